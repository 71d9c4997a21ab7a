using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Cli.Commands;
using OrbitMesh.Cli.Tests.CommandLine;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Tests.Commands;

/// <summary><c>workflows run --secret NAME=VALUE</c> and <c>--secret-file</c>: parsed without echoing a value, sent as the run's secrets, shown as NAME=***.</summary>
public sealed class WorkflowSecretOptionsTests : IDisposable
{
    private const string Password = "cli-pw-Zx81-secret";
    private const string Token = "cli-tok-Q77-secret";

    private readonly string _dir = Directory.CreateTempSubdirectory("orbitmesh-cli-secrets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Parse_ReadsPairsLinesJsonAndStdin_AndRefusesMalformedInputWithoutShowingIt()
    {
        var lines = Path.Combine(_dir, "secrets.env");
        File.WriteAllText(lines, "# deploy secrets\n\napiToken=abc=def\r\nuser = deploy\n");
        var parsed = WorkflowSecretOptions.Parse(["dbPassword=" + Password], lines)!;
        Assert.Equal(new Dictionary<string, string> { ["apiToken"] = "abc=def", ["user"] = " deploy", ["dbPassword"] = Password }, parsed);

        var json = Path.Combine(_dir, "secrets.json");
        File.WriteAllText(json, """{ "apiToken": "from-json" }""");
        Assert.Equal("from-json", WorkflowSecretOptions.Parse([], json)!["apiToken"]);
        Assert.Equal("from-stdin", WorkflowSecretOptions.Parse([], "-", () => "apiToken=from-stdin\n")!["apiToken"]);
        Assert.Null(WorkflowSecretOptions.Parse([], null));

        var noEquals = Assert.Throws<CliException>(() => WorkflowSecretOptions.Parse([Password], null));
        Assert.DoesNotContain(Password, noEquals.Message, StringComparison.Ordinal);
        Assert.Contains("NAME=VALUE", noEquals.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<CliException>(() => WorkflowSecretOptions.Parse(["apiToken=" + Password], lines));
        Assert.Contains("'apiToken' is given twice", twice.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, twice.Message, StringComparison.Ordinal);
        File.WriteAllText(json, $$"""{ "apiToken": "{{Password}}", "n": 5 """);
        var broken = Assert.Throws<CliException>(() => WorkflowSecretOptions.Parse([], json));
        Assert.DoesNotContain(Password, broken.Message, StringComparison.Ordinal);
        File.WriteAllText(json, """{ "n": 5 }""");
        Assert.Contains("'n'", Assert.Throws<CliException>(() => WorkflowSecretOptions.Parse([], json)).Message, StringComparison.Ordinal);
        Assert.Contains("Cannot read", Assert.Throws<CliException>(() => WorkflowSecretOptions.Parse([], Path.Combine(_dir, "missing"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkflowsRun_WithSecretAndSecretFile_GivesThemToTheReadingStep_AndPrintsOnlyMaskedNames()
    {
        await using var server = await TestMeshServer.StartAsync(services: s => s.AddOrbitMeshWorkflows());
        var received = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await using var agent = server.NewAgent("cli-secrets")
            .RegisterHandler("build", c => { received["build"] = c.Parameters?.GetRawText() ?? "null"; return "built"; })
            .RegisterHandler("login", c => { received["login"] = c.Parameters?.GetRawText() ?? "null"; return "in"; })
            .Build();
        await agent.ConnectAsync();
        using (var http = new HttpClient { BaseAddress = server.Url })
        {
            using var registered = await http.PostAsync("/api/workflows", new StringContent("""
                name: cli-secret
                steps:
                  - id: build
                    command: build
                  - id: login
                    command: login
                    dependsOn: [build]
                    parameters:
                      password: ${{ secrets.dbPassword }}
                      token: ${{ secrets.apiToken }}
                """, Encoding.UTF8, "application/yaml"));
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        var file = Path.Combine(_dir, "token.env");
        File.WriteAllText(file, "apiToken=" + Token + "\n");
        var url = server.Url.ToString().TrimEnd('/');
        var started = await OrbitMeshProcess.RunAsync("workflows", "run", "cli-secret", "--secret", "dbPassword=" + Password, "--secret-file", file, "--server", url);

        Assert.True(started.ExitCode == 0, started.Stderr);
        Assert.Contains("Secrets: apiToken=***, dbPassword=***.", started.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, started.Stdout + started.Stderr, StringComparison.Ordinal);
        var runId = started.Stdout.Split(' ')[2];
        var done = await Wait.ForAsync(server.Services.GetRequiredService<WorkflowEngine>().WaitForRunAsync(runId), "the run to end");
        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        using (var login = JsonDocument.Parse(received["login"]))
        {
            Assert.Equal(Password, login.RootElement.GetProperty("password").GetString());
            Assert.Equal(Token, login.RootElement.GetProperty("token").GetString());
        }

        Assert.DoesNotContain(Password, received["build"], StringComparison.Ordinal);

        var shown = await OrbitMeshProcess.RunAsync("workflows", "show", runId, "--server", url);
        Assert.Contains("Secrets: apiToken=***, dbPassword=***", shown.Stdout, StringComparison.Ordinal);
        var json = await OrbitMeshProcess.RunAsync("workflows", "show", runId, "--json", "--server", url);
        Assert.Equal(["apiToken", "dbPassword"], JsonDocument.Parse(json.Stdout).RootElement.GetProperty("secretNames").EnumerateArray().Select(e => e.GetString()!).ToList());
        foreach (var output in new[] { shown.Stdout, json.Stdout })
        {
            Assert.DoesNotContain(Password, output, StringComparison.Ordinal);
            Assert.DoesNotContain(Token, output, StringComparison.Ordinal);
        }

        // Bad input: one error line, no value in it, nothing started.
        var noEquals = await OrbitMeshProcess.RunAsync("workflows", "run", "cli-secret", "--secret", Password, "--server", url);
        Assert.NotEqual(0, noEquals.ExitCode);
        Assert.StartsWith("error: --secret needs NAME=VALUE", Assert.Single(noEquals.StderrLines), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, noEquals.Stderr, StringComparison.Ordinal);
        var missing = await OrbitMeshProcess.RunAsync("workflows", "run", "cli-secret", "--secret", "dbPassword=" + Password, "--server", url);
        Assert.NotEqual(0, missing.ExitCode);
        var line = Assert.Single(missing.StderrLines);
        Assert.Contains("apiToken", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, line, StringComparison.Ordinal);
        Assert.Single(await server.Services.GetRequiredService<WorkflowEngine>().ListRunsAsync(new WorkflowRunQuery()));
    }
}
