using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using OrbitMesh.Agent;

namespace GpuClusterManager;

/// <summary>
/// GPU node agents (capability <c>gpu</c>). Each reports its GPU reading in its twin (<c>reported.gpu</c>)
/// every second and whenever an inference starts or ends, and runs <c>run-inference</c>, a streaming
/// command whose items are the generated tokens.
/// </summary>
internal static class GpuNodes
{
    public static async Task<int> RunAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        var server = new Uri(settings["Server"] ?? "http://127.0.0.1:5080");
        var baseLoad = double.Parse(settings["BaseLoad"] ?? "10", System.Globalization.CultureInfo.InvariantCulture);
        var tokenDelay = TimeSpan.FromMilliseconds(int.Parse(settings["TokenMs"] ?? "20", System.Globalization.CultureInfo.InvariantCulture));
        var ids = (settings["Ids"] ?? "gpu-1,gpu-2").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var real = await GpuReading.NvidiaSmiAsync(cancellationToken) is not null;
        var nodes = ids.Select(id => new GpuNode(id, baseLoad, real, tokenDelay)).ToList();
        var agents = nodes.Select(node => node.Agent = new MeshAgentBuilder()
            .WithServer(server).WithToken(settings["AgentToken"] ?? "dev-agent-token").WithId(node.Id).WithCapabilities("gpu")
            .Configure(o => o.RetryInitialConnection = true)
            .RegisterStreamHandler("run-inference", node.InferAsync)
            .Build()).ToList();
        try
        {
            await Task.WhenAll(agents.Select(a => a.ConnectAsync(cancellationToken)));
            Console.WriteLine($"{agents.Count} GPU nodes connected to {server} ({(real ? "nvidia-smi" : "simulated")} readings)");
            await Task.WhenAll(nodes.Select(n => n.ReportEverySecondAsync(cancellationToken)));
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.DisposeAsync().AsTask()));
        }

        return 0;
    }

    private sealed class GpuNode(string id, double baseLoad, bool real, TimeSpan tokenDelay)
    {
        private int _running;

        public string Id => id;

        public MeshAgent? Agent { get; set; }

        public async IAsyncEnumerable<object?> InferAsync(MeshCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var words = command.GetParameter<string>("prompt").Split(' ', StringSplitOptions.RemoveEmptyEntries).Reverse().ToArray();
            var maxTokens = command.GetParameter("maxTokens", 16);
            Interlocked.Increment(ref _running);
            try
            {
                await ReportAsync(cancellationToken);
                for (var i = 0; i < maxTokens && words.Length > 0; i++)
                {
                    await Task.Delay(tokenDelay, cancellationToken); // The model producing its next token.
                    yield return words[i % words.Length];
                }
            }
            finally
            {
                Interlocked.Decrement(ref _running);
                await ReportAsync(CancellationToken.None);
            }
        }

        public async Task ReportEverySecondAsync(CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await ReportAsync(cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        private async Task ReportAsync(CancellationToken cancellationToken)
        {
            var reading = (real ? await GpuReading.NvidiaSmiAsync(cancellationToken) : null) ?? GpuReading.Simulated(baseLoad, Volatile.Read(ref _running));
            if (Agent is { IsRegistered: true } agent)
            {
                await agent.Twin.ReportAsync(new { gpu = reading }, cancellationToken);
            }
        }
    }
}
