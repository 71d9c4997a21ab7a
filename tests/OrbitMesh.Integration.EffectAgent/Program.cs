using System.Globalization;
using Microsoft.Extensions.Logging;
using OrbitMesh.Agent;

// orbitmesh-effect-agent --server URL --token TOKEN --id ID --effects FILE [--max-concurrent N]
//
// Handler "effect": waits a little (the job's work), then appends "<idempotency key> <job id> <attempt>"
// to FILE and returns {key, agent}. Every line is one side effect; a test counts them per key.
var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    arguments[args[i].TrimStart('-')] = args[i + 1];
}

foreach (var required in new[] { "server", "token", "id", "effects" })
{
    if (!arguments.ContainsKey(required))
    {
        Console.Error.WriteLine($"error: --{required} is required.");
        return 2;
    }
}

var id = arguments["id"];
var effects = new StreamWriter(new FileStream(arguments["effects"], FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
var effectsGate = new Lock();
using var stop = new CancellationTokenSource();
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information).AddFilter("OrbitMesh.Transport", LogLevel.Warning).AddFilter("OrbitMesh.Agent", LogLevel.Debug));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

var agent = new MeshAgentBuilder()
    .WithServer(new Uri(arguments["server"]))
    .WithToken(arguments["token"])
    .WithId(id)
    .WithCapabilities("effects")
    .WithMaxConcurrentJobs(int.Parse(arguments.GetValueOrDefault("max-concurrent", "4"), CultureInfo.InvariantCulture))
    .WithLoggerFactory(loggerFactory)
    .Configure(o => o.RetryInitialConnection = true)
    .RegisterHandler("effect", async (command, cancellationToken) =>
    {
        var key = command.IdempotencyKey ?? throw new InvalidOperationException("An effect job needs an idempotency key.");
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(10, 40)), cancellationToken);
        lock (effectsGate)
        {
            effects.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key} {command.JobId} {command.Attempt}"));
        }

        return (object?)new { key, agent = id };
    })
    .Build();

await agent.ConnectAsync(stop.Token);
Console.WriteLine($"READY {id}");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

await agent.DisposeAsync();
await effects.DisposeAsync();
return 0;
