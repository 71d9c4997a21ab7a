using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;

namespace OrbitMesh.Grid.Tests.Links;

/// <summary>
/// A real server on 127.0.0.1 and two stars with data endpoints ("link-a", "link-b"), each jailed to its own root.
/// The stars reach the server through <see cref="ServerProxy"/>, which counts every byte the server receives
/// from them; "link-b" advertises its data endpoint through <see cref="DataProxyB"/>, which can drop a link.
/// </summary>
public sealed class LinkStarsFixture : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private MeshAgent? _a;
    private MeshAgent? _b;

    public TestMeshServer Server { get; private set; } = null!;

    public TcpProxy ServerProxy { get; private set; } = null!;

    public TcpProxy DataProxyB { get; private set; } = null!;

    public GridDataEndpoint DataA { get; private set; } = null!;

    public GridDataEndpoint DataB { get; private set; } = null!;

    public ECDsa ServerKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public GridLinkCopier Copier { get; private set; } = null!;

    public string RootA => _tree["a"];

    public string RootB => _tree["b"];

    public string Outside => _tree["outside"];

    public async Task InitializeAsync()
    {
        _tree.Dir("a");
        _tree.Dir("b");
        _tree.Dir("outside");
        Server = await TestMeshServer.StartAsync(
            services: s => s.AddGridLinkCopier(),
            mapExtra: app => app.MapGridLinkCopies(OrbitMesh.Server.Security.OrbitMeshPolicies.Operator));
        ServerProxy = new TcpProxy(Server.Url);
        DataA = await GridDataEndpoint.StartAsync(new GridDataOptions { NodeId = "link-a" }, new PathAllowList([RootA]));
        var portB = FreePort.Next();
        DataProxyB = new TcpProxy(new Uri($"http://127.0.0.1:{portB}"));
        DataB = await GridDataEndpoint.StartAsync(
            new GridDataOptions { NodeId = "link-b", Address = $"http://127.0.0.1:{portB}", AdvertisedAddress = DataProxyB.Url },
            new PathAllowList([RootB]));
        _a = Server.NewAgent("link-a").WithServer(ServerProxy.Url).AddGridHandlers(new PathAllowList([RootA])).AddGridLinks(DataA).Build();
        _b = Server.NewAgent("link-b").WithServer(ServerProxy.Url).AddGridHandlers(new PathAllowList([RootB])).AddGridLinks(DataB).Build();
        await _a.ConnectAsync();
        await _b.ConnectAsync();
        await Server.WaitForAgentAsync("link-a", AgentStatus.Ready);
        await Server.WaitForAgentAsync("link-b", AgentStatus.Ready);
        Copier = new GridLinkCopier(Server.Mesh, ServerKey);
    }

    public async Task DisposeAsync()
    {
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }

        if (_b is not null)
        {
            await _b.DisposeAsync();
        }

        await DataA.DisposeAsync();
        await DataB.DisposeAsync();
        await DataProxyB.DisposeAsync();
        await ServerProxy.DisposeAsync();
        await Server.DisposeAsync();
        ServerKey.Dispose();
        _tree.Dispose();
    }
}
