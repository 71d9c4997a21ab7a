// AppDeployer: a rolling deploy across web nodes in 20 % batches, rolled back when a batch fails.
//   AppDeployer server [--urls URL] [--Packages DIR]          the mesh server, serving DIR at /packages/
//   AppDeployer agents --Ids web-01,web-02,... [--Root DIR]     one OrbitMesh agent per id, each a "web node"
//   AppDeployer deploy --Version 2.0.0 [--App demo] [--BatchPercent 20]
// Common settings: --Server URL (default http://127.0.0.1:5080), --AgentToken, --ApiKey.
using AppDeployer;

var verb = args.Length > 0 ? args[0] : "";
var settings = new ConfigurationBuilder().AddCommandLine(args.Skip(1).ToArray()).Build();
var stop = new CancellationTokenSource(); // Not disposed: ProcessExit may cancel it after Main returns.
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

return verb switch
{
    "server" => await DeployServer.RunAsync(args.Skip(1).ToArray(), stop.Token),
    "agents" => await WebNodes.RunAsync(settings, stop.Token),
    "deploy" => await Deployer.RunAsync(settings, stop.Token),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: AppDeployer server|agents|deploy [--Key value]... (see samples/AppDeployer/README.md)");
    return 2;
}
