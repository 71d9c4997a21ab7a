// EdgeController: firmware updates of a device group, 10 devices at a time, with progress per device.
//   EdgeController server [--urls URL] [--Firmware DIR]               the mesh server, serving DIR at /firmware/
//   EdgeController devices --Ids cam-01,cam-02 --Group cameras [--Root DIR]   one agent per device
//   EdgeController update --Group cameras --Version 2.1.0 [--BatchSize 10]    the update
// Common settings: --Server URL (default http://127.0.0.1:5080), --AgentToken, --ApiKey.
using EdgeController;

var verb = args.Length > 0 ? args[0] : "";
var settings = new ConfigurationBuilder().AddCommandLine(args.Skip(1).ToArray()).Build();
var stop = new CancellationTokenSource(); // Not disposed: ProcessExit may cancel it after Main returns.
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

return verb switch
{
    "server" => await EdgeServer.RunAsync(args.Skip(1).ToArray(), stop.Token),
    "devices" => await Devices.RunAsync(settings, stop.Token),
    "update" => await FirmwareUpdate.RunAsync(settings, stop.Token),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: EdgeController server|devices|update [--Key value]... (see samples/EdgeController/README.md)");
    return 2;
}
