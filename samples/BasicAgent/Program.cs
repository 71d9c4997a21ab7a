// The shortest complete OrbitMesh agent: it connects to the server (retrying until it answers,
// reconnecting after faults) and runs two commands. Settings come from the command line or the
// environment: --Server, --AgentToken, --Id (default: the machine name).

var builder = Host.CreateApplicationBuilder(args);
var settings = builder.Configuration;

builder.Services.AddOrbitMeshAgent(options =>
{
    options.Server = new Uri(settings["Server"] ?? "http://127.0.0.1:5080");
    options.Token = settings["AgentToken"] ?? "dev-agent-token";
    options.Id = settings["Id"];
    options.Capabilities.Add("greeter");
})
.AddHandler("greet", command => $"Hello, {command.GetParameter("name", "world")}, from {Environment.MachineName}!")
.AddHandler("add", command => command.GetParameter<double>("a") + command.GetParameter<double>("b"));

builder.Build().Run();
