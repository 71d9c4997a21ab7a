using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;

namespace OrbitMesh.Server.Tests.Infrastructure;

/// <summary>A hub caller context for unit tests of the registry; records whether it was aborted.</summary>
internal sealed class FakeCallerContext(string connectionId) : HubCallerContext
{
    private readonly CancellationTokenSource _aborted = new();

    public override string ConnectionId { get; } = connectionId;

    public override string? UserIdentifier => null;

    public override ClaimsPrincipal? User => null;

    public override IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override CancellationToken ConnectionAborted => _aborted.Token;

    public bool WasAborted => _aborted.IsCancellationRequested;

    public override void Abort() => _aborted.Cancel();
}
