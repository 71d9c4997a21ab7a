namespace OrbitMesh.Grid.Tests.Links;

/// <summary>The test classes that share the direct-link server and stars.</summary>
[CollectionDefinition(nameof(LinkStarsCollection))]
public sealed class LinkStarsCollection : ICollectionFixture<LinkStarsFixture>;
