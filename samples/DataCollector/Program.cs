// DataCollector: gathers system metrics and log lines from every agent and aggregates them on the server.
//   DataCollector server [--urls URL]                        the mesh server, with the aggregation step
//   DataCollector agents --Ids node-1,node-2 [--Logs DIR]     one collector agent per id; each reads DIR/ID.log
//   DataCollector collect [--Match ERROR] [--Json true]       one collection; prints the aggregate
// Common settings: --Server URL (default http://127.0.0.1:5080), --AgentToken, --ApiKey.
using DataCollector;

var verb = args.Length > 0 ? args[0] : "";
var settings = new ConfigurationBuilder().AddCommandLine(args.Skip(1).ToArray()).Build();
var stop = new CancellationTokenSource(); // Not disposed: ProcessExit may cancel it after Main returns.
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

return verb switch
{
    "server" => await CollectorServer.RunAsync(args.Skip(1).ToArray(), stop.Token),
    "agents" => await CollectorAgents.RunAsync(settings, stop.Token),
    "collect" => await Collection.RunAsync(settings, stop.Token),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: DataCollector server|agents|collect [--Key value]... (see samples/DataCollector/README.md)");
    return 2;
}
