// GpuClusterManager: GPU nodes report utilization and memory through their twins; an inference request
// goes to the least-utilized GPU node and streams its output tokens back. The server is BasicServer.
//   GpuClusterManager nodes --Ids gpu-1,gpu-2 [--BaseLoad 30] [--TokenMs 20]   one agent per id
//   GpuClusterManager infer --Prompt "..." [--MaxTokens 16]                     one inference
//   GpuClusterManager status                                                    every node's twin
// Common settings: --Server URL (default http://127.0.0.1:5080), --AgentToken, --ApiKey.
using GpuClusterManager;
using Microsoft.Extensions.Configuration;

var verb = args.Length > 0 ? args[0] : "";
var settings = new ConfigurationBuilder().AddCommandLine(args.Skip(1).ToArray()).Build();
var stop = new CancellationTokenSource(); // Not disposed: ProcessExit may cancel it after Main returns.
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

return verb switch
{
    "nodes" => await GpuNodes.RunAsync(settings, stop.Token),
    "infer" => await ClusterManager.InferAsync(settings, stop.Token),
    "status" => await ClusterManager.StatusAsync(settings, stop.Token),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: GpuClusterManager nodes|infer|status [--Key value]... (see samples/GpuClusterManager/README.md)");
    return 2;
}
