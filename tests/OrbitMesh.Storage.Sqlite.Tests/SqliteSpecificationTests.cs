using OrbitMesh.Testing.Specifications;

namespace OrbitMesh.Storage.Sqlite.Tests;

public sealed class SqliteEventStoreTests : EventStoreSpecification
{
    private readonly TempDatabase _database = new();

    protected override Task<IEventStore> CreateStoreAsync() => Task.FromResult<IEventStore>(new SqliteEventStore(_database.Open(), TimeProvider.System));

    protected override async Task DisposeStoreAsync() => await _database.DisposeAsync();
}

public sealed class SqliteJobStoreTests : JobStoreSpecification
{
    private readonly TempDatabase _database = new();

    protected override Task<IJobStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<IJobStore>(new SqliteJobStore(_database.Open(), time));

    protected override async Task DisposeStoreAsync() => await _database.DisposeAsync();
}

public sealed class SqliteEventSourcingTests : EventSourcingSpecification
{
    private readonly TempDatabase _database = new();

    protected override Task<IEventStore> CreateStoreAsync() => Task.FromResult<IEventStore>(new SqliteEventStore(_database.Open(), TimeProvider.System));

    protected override async Task DisposeStoreAsync() => await _database.DisposeAsync();
}

public sealed class SqliteSecurityStoreTests : SecurityStoreSpecification
{
    private readonly TempDatabase _database = new();

    protected override Task<ISecurityStore> CreateStoreAsync() => Task.FromResult<ISecurityStore>(new SqliteSecurityStore(_database.Open()));

    protected override async Task DisposeStoreAsync() => await _database.DisposeAsync();
}
