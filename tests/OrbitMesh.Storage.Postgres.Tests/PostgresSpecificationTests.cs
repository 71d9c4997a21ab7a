using OrbitMesh.Testing.Specifications;

namespace OrbitMesh.Storage.Postgres.Tests;

public sealed class PostgresEventStoreTests : EventStoreSpecification
{
    private readonly TempSchema _schema = new();

    protected override Task<IEventStore> CreateStoreAsync() => Task.FromResult<IEventStore>(new PostgresEventStore(_schema.Open(), TimeProvider.System));

    protected override async Task DisposeStoreAsync() => await _schema.DisposeAsync();
}

public sealed class PostgresJobStoreTests : JobStoreSpecification
{
    private readonly TempSchema _schema = new();

    protected override Task<IJobStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<IJobStore>(new PostgresJobStore(_schema.Open(), time));

    protected override async Task DisposeStoreAsync() => await _schema.DisposeAsync();
}

public sealed class PostgresEventSourcingTests : EventSourcingSpecification
{
    private readonly TempSchema _schema = new();

    protected override Task<IEventStore> CreateStoreAsync() => Task.FromResult<IEventStore>(new PostgresEventStore(_schema.Open(), TimeProvider.System));

    protected override async Task DisposeStoreAsync() => await _schema.DisposeAsync();
}

public sealed class PostgresSecurityStoreTests : SecurityStoreSpecification
{
    private readonly TempSchema _schema = new();

    protected override Task<ISecurityStore> CreateStoreAsync() => Task.FromResult<ISecurityStore>(new PostgresSecurityStore(_schema.Open()));

    protected override async Task DisposeStoreAsync() => await _schema.DisposeAsync();
}
