namespace OrbitMesh.Grid.Tests;

/// <summary>The test classes that share one server and its two stars.</summary>
[CollectionDefinition(nameof(StarsCollection))]
public sealed class StarsCollection : ICollectionFixture<StarsFixture>;
