// DistributedScheduler: recurring workflows on cron triggers, each run placed on the least-loaded worker.
//   DistributedScheduler workers --Ids worker-1,worker-2 [--Slots 4]     the workers (one agent each)
//   DistributedScheduler schedule --Cron "*/10 * * * * *" [--Name report-every-10s] [--TimeZone Europe/Berlin]
//   DistributedScheduler status [--Name report-every-10s]                the trigger and where its runs ran
// Common settings: --Server URL (default http://127.0.0.1:5080), --AgentToken, --ApiKey. The server is BasicServer.
using DistributedScheduler;
using Microsoft.Extensions.Configuration;

var verb = args.Length > 0 ? args[0] : "";
var settings = new ConfigurationBuilder().AddCommandLine(args.Skip(1).ToArray()).Build();
var stop = new CancellationTokenSource(); // Not disposed: ProcessExit may cancel it after Main returns.
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

return verb switch
{
    "workers" => await Workers.RunAsync(settings, stop.Token),
    "schedule" => await Scheduler.ScheduleAsync(settings, stop.Token),
    "status" => await Scheduler.StatusAsync(settings, stop.Token),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: DistributedScheduler workers|schedule|status [--Key value]... (see samples/DistributedScheduler/README.md)");
    return 2;
}
