using OrbitMesh.Server.Storage;
using OrbitMesh.Storage;
using OrbitMesh.Testing.Specifications;

namespace OrbitMesh.Server.Tests.Storage;

public sealed class InMemoryEventStoreTests : EventStoreSpecification
{
    protected override Task<IEventStore> CreateStoreAsync() => Task.FromResult<IEventStore>(new InMemoryEventStore());
}

public sealed class InMemoryJobStoreTests : JobStoreSpecification
{
    protected override Task<IJobStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<IJobStore>(new InMemoryJobStore(time));
}

public sealed class InMemoryEventSourcingTests : EventSourcingSpecification
{
    protected override Task<IEventStore> CreateStoreAsync() => Task.FromResult<IEventStore>(new InMemoryEventStore());
}

public sealed class InMemorySecurityStoreTests : SecurityStoreSpecification
{
    protected override Task<ISecurityStore> CreateStoreAsync() => Task.FromResult<ISecurityStore>(new InMemorySecurityStore());
}
