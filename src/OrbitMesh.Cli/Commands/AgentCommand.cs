using System.CommandLine;
using Microsoft.Extensions.Logging;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Cli.Handlers;
using OrbitMesh.Cli.Hosting;
using OrbitMesh.Grid;
using OrbitMesh.Transport;
using OrbitMesh.Wasm;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh agent</c>: runs an agent with the built-in handlers until Ctrl+C or SIGTERM.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var server = new Option<string[]>("--server")
        {
            Description = "The server's base URL (default: $ORBITMESH_SERVER, then " + CommonOptions.DefaultServer + "). Repeat it for the other servers of a cluster: "
                + "when the one the agent is on cannot be reached, it connects to the next (enrollment and module downloads use the first).",
            DefaultValueFactory = _ => [Environment.GetEnvironmentVariable("ORBITMESH_SERVER") is { Length: > 0 } env ? env : CommonOptions.DefaultServer],
        };
        var token = new Option<string?>("--token") { Description = "A shared agent token the server accepts (development; default: $ORBITMESH_TOKEN). Enrolled nodes use --data instead." };
        var enrollToken = new Option<string?>("--enroll-token") { Description = "A bootstrap token from 'orbitmesh tokens create': on first start, generate a key in --data and ask to join." };
        var dataDirectory = new Option<string?>("--data") { Description = "The node's data directory (its key, certificate and id); with it the agent connects as an enrolled node." };
        var pollInterval = new Option<double>("--approval-poll-interval") { Description = "Seconds between checks while waiting for an admin's approval.", DefaultValueFactory = _ => 2 };
        var id = new Option<string?>("--id") { Description = "The agent's id (default: the machine name)." };
        var name = new Option<string?>("--name") { Description = "A human-readable name." };
        var capabilities = new Option<string[]>("--capability") { Description = "A capability to declare (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var groups = new Option<string[]>("--group") { Description = "A group to join (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var maxJobs = new Option<int>("--max-concurrent-jobs") { Description = "Commands run at once.", DefaultValueFactory = _ => MeshAgentOptions.DefaultMaxConcurrentJobs };
        var logLevel = CommonOptions.LogLevelOption(LogLevel.Information);
        var logFormat = CommonOptions.LogFormat();
        var otlp = CommonOptions.OtlpEndpoint();
        var allowPaths = new Option<string[]>("--allow-path")
        {
            Description = "A directory the file handlers (file.read, file.write, file.list) and the grid handlers (grid.scan, grid.hash, grid.read, grid.write, ...: the agent becomes an Orbit Grid star) may reach (repeatable). Without it they are not registered.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        var dataAddress = new Option<string?>("--data-address")
        {
            Description = "Start the star's data endpoint for direct star-to-star copies at http://IP:PORT (HTTP/2 without TLS; port 0 picks a free one). Needs --allow-path and --id (or an enrolled node).",
        };
        var dataAdvertise = new Option<Uri?>("--data-advertise") { Description = "The address other stars push to, when it differs from --data-address (behind NAT or a proxy)." };

        var allowWasm = new Option<bool>("--allow-wasm")
        {
            Description = "Run sandboxed WebAssembly jobs (wasm:NAME[@VERSION]) with modules fetched from the server; they may read files only under --allow-path.",
        };
        var wasmMemory = new Option<long>("--wasm-max-memory-mb") { Description = "The most linear memory one module may grow to, in MiB.", DefaultValueFactory = _ => WasmOptions.DefaultMaxMemoryBytes / (1024 * 1024) };
        var wasmFuel = new Option<long>("--wasm-max-fuel") { Description = "The CPU budget of one module run, in Wasmtime fuel units (about one per instruction).", DefaultValueFactory = _ => WasmOptions.DefaultMaxFuel };
        var wasmWallTime = new Option<double>("--wasm-max-seconds") { Description = "The wall-time limit of one module run, in seconds.", DefaultValueFactory = _ => WasmOptions.DefaultMaxWallTime.TotalSeconds };
        var wasmClock = new Option<bool>("--wasm-allow-clock") { Description = "Let modules read the wall clock (clock_now_ms)." };

        var transports = new Option<string[]>("--transport")
        {
            Description = "A transport the agent may use: websockets, sse, longpolling (repeatable; default all three, tried in that order).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var protocol = new Option<string>("--protocol")
        {
            Description = "The encoding of hub messages: json (the default) or messagepack.",
            DefaultValueFactory = _ => "json",
        };
        protocol.AcceptOnlyFromAmong("json", "messagepack");
        var statefulReconnect = new Option<bool>("--stateful-reconnect") { Description = "Resume the connection after a short cut instead of registering again (the server must run with --stateful-reconnects)." };
        var command = new Command("agent", "Run an OrbitMesh agent with the built-in handlers (echo, sleep, system.info, stream.count, stream.echo).")
        {
            server, token, enrollToken, dataDirectory, pollInterval, id, name, capabilities, groups, maxJobs, allowPaths, dataAddress, dataAdvertise,
            allowWasm, wasmMemory, wasmFuel, wasmWallTime, wasmClock, transports, protocol, statefulReconnect, logLevel, logFormat, otlp,
        };
        var tls = new AgentTlsOptions();
        tls.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var serverUris = result.GetValue(server)!.Select(CommonOptions.ParseServer).ToArray();
            var serverUri = serverUris[0];
            if (serverUris.Skip(1).FirstOrDefault(u => u.Scheme != serverUri.Scheme) is { } mixed)
            {
                throw new CliException($"--server {mixed} uses {mixed.Scheme} but {serverUri} uses {serverUri.Scheme}: the servers of one cluster are reached alike.");
            }

            var directory = result.GetValue(dataDirectory);
            var agentToken = result.GetValue(token) ?? (directory is null ? Environment.GetEnvironmentVariable("ORBITMESH_TOKEN") : null);
            if (directory is null && string.IsNullOrEmpty(agentToken))
            {
                throw new CliException("--data DIR (an enrolled node; with --enroll-token T the first time) or --token T (a shared development token) is required: agents never connect anonymously.");
            }

            if (directory is not null && !string.IsNullOrEmpty(agentToken))
            {
                throw new CliException("Give either --data (an enrolled node) or --token (a shared token), not both.");
            }

            if (directory is null && result.GetValue(enrollToken) is not null)
            {
                throw new CliException("--enroll-token needs --data DIR, where the node keeps its key and certificate.");
            }

            using var telemetry = CliTelemetry.Start("orbitmesh-agent", CommonOptions.OtlpEndpointValue(result, otlp), metrics: false);
            using var loggerFactory = CliLogging.CreateFactory(result.GetValue(logLevel), result.GetValue(logFormat) == "json");
            // The node's REST calls (enrollment, proofs) trust the server as its connections do: the given pin
            // or CA, else the fingerprint learned at enrollment, else, enrolling over https, whatever
            // certificate the server shows first (trust on first use), which is then pinned for good.
            var (pin, ca) = tls.ServerTrust(result);
            var stored = directory is null ? null : NodeIdentity.ReadServerFingerprint(directory);
            string? firstSeen = null;
            string? lastSeen = null;
            var pinned = pin ?? (ca is null ? stored : null);
            var check = serverUri.Scheme != "https" ? null
                : pinned is not null ? TlsValidation.PinnedFingerprint(pinned)
                : ca is not null ? TlsValidation.TrustedAuthority(ca)
                : directory is not null ? TlsValidation.TrustOnFirstUse(seen => firstSeen ??= seen)
                : null;
            System.Net.Security.RemoteCertificateValidationCallback? validation = check is null ? null : (sender, certificate, chain, errors) =>
            {
                lastSeen = certificate is null ? null : TlsValidation.Fingerprint(certificate);
                return check(sender, certificate, chain, errors);
            };

            // A refused TLS handshake on a REST call says only "the SSL connection could not be established": name the cause.
            CliException? TlsRefusal(HttpRequestException ex) =>
                ex.InnerException is System.Security.Authentication.AuthenticationException && pinned is not null && lastSeen is not null && !TlsValidation.FingerprintsEqual(lastSeen, pinned)
                    ? new CliException($"The server's certificate fingerprint {lastSeen} does not match the pinned {pinned}" +
                        (pin is null ? " (learned when this node enrolled; if the server's certificate changed on purpose, pass --server-fingerprint)." : "."), exitCode: 1)
                    : null;
            using var http = new HttpClient(TlsValidation.CreateHandler(validation)) { Timeout = TimeSpan.FromSeconds(30) };
            NodeIdentity? enrolled = null;
            try
            {
                enrolled = directory is null
                    ? null
                    : await new NodeEnrollmentClient(http, serverUri).EnsureEnrolledAsync(
                        directory, result.GetValue(id), result.GetValue(enrollToken), result.GetValue(name), result.GetValue(capabilities) ?? [],
                        TimeSpan.FromSeconds(Math.Max(0.05, result.GetValue(pollInterval))),
                        waiting => Console.WriteLine($"Node {waiting.NodeId} is waiting for approval (key SHA-256 {waiting.KeyFingerprint}): orbitmesh nodes approve {waiting.NodeId}"),
                        cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (TlsRefusal(ex) is { } refusal)
            {
                throw refusal;
            }

            using var identity = enrolled;
            if (identity is not null)
            {
                if (firstSeen is not null && pin is null && identity.ServerFingerprint is null)
                {
                    identity.PinServer(firstSeen);
                    Console.WriteLine($"Pinned the server's certificate, SHA-256 fingerprint {firstSeen} (trust on first use; compare it with what the server printed).");
                }

                Console.WriteLine($"Node {identity.NodeId} is enrolled; its certificate expires {identity.Certificate!.NotAfter.ToUniversalTime():u}.");
            }

            var builder = new MeshAgentBuilder().WithServer(serverUri).WithFailoverServers(serverUris.Skip(1));
            if (identity is not null)
            {
                builder.WithNodeIdentity(identity, http);
            }
            else
            {
                builder.WithToken(agentToken!);
            }

            builder
                .WithCapabilities(result.GetValue(capabilities) ?? [])
                .WithGroups(result.GetValue(groups) ?? [])
                .WithMaxConcurrentJobs(result.GetValue(maxJobs))
                .WithLoggerFactory(loggerFactory)
                .Configure(o =>
                {
                    o.RetryInitialConnection = true;
                    o.StatefulReconnect = result.GetValue(statefulReconnect);
                    o.Transports = ParseTransports(result.GetValue(transports));
                    o.HubProtocol = ParseProtocol(result.GetValue(protocol));
                })
                .AddBuiltInHandlers();
            tls.Apply(result, builder);
            PathAllowList? allowList = null;
            if (result.GetValue(allowPaths) is { Length: > 0 } roots)
            {
                try
                {
                    allowList = new PathAllowList(roots);
                }
                catch (ArgumentException ex)
                {
                    throw new CliException("--allow-path: " + ex.Message.Split(" (Parameter", 2)[0]);
                }

                builder.AddFileHandlers(allowList).AddGridHandlers(allowList);
            }

            WasmRuntime? wasm = null;
            if (result.GetValue(allowWasm))
            {
                var wasmOptions = new WasmOptions
                {
                    MaxMemoryBytes = result.GetValue(wasmMemory) * 1024 * 1024,
                    MaxFuel = result.GetValue(wasmFuel),
                    MaxWallTime = TimeSpan.FromSeconds(result.GetValue(wasmWallTime)),
                    AllowClock = result.GetValue(wasmClock),
                    Files = allowList,
                    CacheDirectory = directory is null ? null : Path.Combine(directory, "wasm-cache"),
                };
                try
                {
                    wasmOptions.Validate();
                }
                catch (OrbitMeshException ex)
                {
                    throw new CliException(ex.Message);
                }

                // Every module request carries the agent's credential: its shared token, or a fresh proof of the enrolled node.
                var enrollment = new NodeEnrollmentClient(http, serverUri);
                Func<CancellationToken, Task<string>> credential = identity is null
                    ? _ => Task.FromResult(agentToken!)
                    : ct => enrollment.ConnectCredentialAsync(identity, null, ct);
                builder.AddWasmHandlers(new HttpWasmModuleSource(http, serverUri, credential), wasmOptions, out wasm);
            }

            using var wasmRuntime = wasm;

            if (identity is null && result.GetValue(id) is { } agentId)
            {
                builder.WithId(agentId);
            }

            if (result.GetValue(name) is { } agentName)
            {
                builder.WithName(agentName);
            }

            GridDataEndpoint? dataEndpoint = null;
            if (result.GetValue(dataAddress) is { } address)
            {
                if (allowList is null)
                {
                    throw new CliException("--data-address needs --allow-path: the data endpoint writes only under the allowed paths.");
                }

                var nodeId = identity?.NodeId ?? result.GetValue(id) ?? throw new CliException("--data-address needs --id (or an enrolled node, --data): link tokens name the star.");
                try
                {
                    dataEndpoint = await GridDataEndpoint.StartAsync(
                        new GridDataOptions { NodeId = nodeId, Address = address, AdvertisedAddress = result.GetValue(dataAdvertise) },
                        allowList, loggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    throw new CliException("--data-address: " + ex.Message.Split(" (Parameter", 2)[0]);
                }

                builder.AddGridLinks(dataEndpoint);
                Console.WriteLine($"Data endpoint for direct links on {dataEndpoint.Address} (HTTP/2 without TLS{(serverUri.Scheme == "https" ? "; the links are not encrypted although the mesh is" : "")}).");
            }

            await using var data = dataEndpoint;
            await using var agent = builder.Build();
            var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            agent.Closed += error =>
            {
                closed.TrySetResult(error);
                return Task.CompletedTask;
            };
            agent.Reconnected += _ =>
            {
                Console.WriteLine($"Agent {agent.Id} reconnected to {agent.ConnectedServer} and registered again.");
                return Task.CompletedTask;
            };

            try
            {
                await agent.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (MeshConnectionException ex) when (ex.InnerException is HttpRequestException rest && TlsRefusal(rest) is { } refusal)
            {
                // The node's proof is fetched over REST before the hub connects: a changed certificate shows there first.
                throw refusal;
            }

            Console.WriteLine($"Agent {agent.Id} connected to {agent.ConnectedServer ?? serverUri} with {agent.Commands.Count} handlers.");

            var finished = await Task.WhenAny(closed.Task, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            if (finished == closed.Task && closed.Task.Result is { } error)
            {
                throw new CliException($"The agent's connection closed: {error.Message}", exitCode: 2);
            }

            await agent.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>--transport values to the client's flags; none given means all three.</summary>
    internal static OrbitMesh.Transport.MeshHubProtocol ParseProtocol(string? value) =>
        value is "messagepack" ? OrbitMesh.Transport.MeshHubProtocol.MessagePack : OrbitMesh.Transport.MeshHubProtocol.Json;

    internal static Microsoft.AspNetCore.Http.Connections.HttpTransportType ParseTransports(string[]? values)
    {
        var result = Microsoft.AspNetCore.Http.Connections.HttpTransportType.None;
        foreach (var value in values ?? [])
        {
            result |= value.ToLowerInvariant() switch
            {
                "websockets" or "ws" => Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets,
                "sse" or "serversentevents" => Microsoft.AspNetCore.Http.Connections.HttpTransportType.ServerSentEvents,
                "longpolling" or "lp" => Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling,
                _ => throw new CliException($"Unknown transport '{value}': use websockets, sse or longpolling."),
            };
        }

        return result == Microsoft.AspNetCore.Http.Connections.HttpTransportType.None ? OrbitMesh.Transport.MeshConnectionOptions.AllTransports : result;
    }
}
