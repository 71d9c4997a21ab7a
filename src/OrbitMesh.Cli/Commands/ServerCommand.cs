using System.Security.Cryptography;
using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrbitMesh.Cli.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Server;
using OrbitMesh.Transport;
using OrbitMesh.Server.Security;
using OrbitMesh.Storage.Postgres;
using OrbitMesh.Server.Cluster;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh server</c>: runs a server until Ctrl+C or SIGTERM.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen (default {ServerTlsOptions.DefaultHttpUrls}, with --https {ServerTlsOptions.DefaultHttpsUrls})." };
        var tls = new ServerTlsOptions();
        var tokens = new Option<string[]>("--agent-token")
        {
            Description = "A shared token agents may connect with instead of enrolling (development; repeatable; default: $ORBITMESH_AGENT_TOKEN, else none).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var apiKey = new Option<string?>("--api-key") { Description = "Also accept this static admin key in X-Api-Key on /api requests (default: none; never read from $ORBITMESH_API_KEY, the CLI's own credential)." };
        var heartbeat = new Option<double?>("--heartbeat-interval") { Description = "Seconds between agent heartbeats (default 5)." };
        var missed = new Option<int?>("--missed-heartbeats") { Description = "Heartbeats an agent may miss before it is Unreachable (default 3)." };
        var accessLifetime = new Option<string?>("--access-token-lifetime") { Description = "How long a user's access token is valid (e.g. 15m, the default; 30s to 1d)." };
        var refreshLifetime = new Option<string?>("--refresh-token-lifetime") { Description = "How long a login lasts without being refreshed (e.g. 7d, the default)." };
        var data = new Option<string>("--data") { Description = "The data directory (the SQLite database is orbitmesh.db inside).", DefaultValueFactory = _ => "orbitmesh-data" };
        var storage = new Option<string>("--storage")
        {
            Description = "sqlite (default), postgres (one database shared by the servers of a cluster) or memory (nothing survives a restart).",
            DefaultValueFactory = _ => "sqlite",
        };
        storage.AcceptOnlyFromAmong("sqlite", "postgres", "memory");
        var connectionString = new Option<string?>("--connection-string")
        {
            Description = "With --storage postgres: the Npgsql connection string (default: $ORBITMESH_CONNECTION_STRING, which keeps a password out of the process list).",
        };
        var redis = new Option<string?>("--redis")
        {
            Description = "Join the other servers on this Redis (HOST:PORT[,password=...]) as one mesh: agents on any server are listed and reached from every server. Needs --storage postgres.",
        };
        var serverId = new Option<string?>("--server-id") { Description = "With --redis: this server's id in the cluster (default: the machine name and a random suffix). Give a restarted server its old id to take its jobs back at once." };
        var redisPrefix = new Option<string?>("--redis-prefix") { Description = "With --redis: the prefix of the mesh's Redis keys and channels (default orbitmesh); two meshes on one Redis use different ones." };
        var postgresSchema = new Option<string?>("--postgres-schema") { Description = "With --storage postgres: the schema that holds OrbitMesh's tables (default orbitmesh)." };
        var logLevel = CommonOptions.LogLevelOption(LogLevel.Information);
        var logFormat = CommonOptions.LogFormat();
        var otlp = CommonOptions.OtlpEndpoint();
        var stateful = new Option<bool>("--stateful-reconnects")
        {
            Description = "Let agents resume a connection after a short cut, replaying what was missed (a dead agent is then listed Disconnected later).",
        };
        var insecure = new Option<bool>("--insecure-development")
        {
            Description = "Let unauthenticated REST API requests in from any address, as admin (development only; a warning is printed).",
        };

        var noDashboard = new Option<bool>("--no-dashboard")
        {
            Description = $"Do not serve the admin dashboard (default: served at {ServerHost.DashboardPath}, sign-in with the server's users).",
        };

        var command = new Command("server", "Run an OrbitMesh server.") { urls, data, storage, connectionString, postgresSchema, redis, redisPrefix, serverId, tokens, apiKey, heartbeat, missed, accessLifetime, refreshLifetime, stateful, logLevel, logFormat, otlp, insecure, noDashboard };
        tls.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var agentTokens = (result.GetValue(tokens) ?? []).ToList();
            if (agentTokens.Count == 0 && Environment.GetEnvironmentVariable("ORBITMESH_AGENT_TOKEN") is { Length: > 0 } envToken)
            {
                agentTokens.Add(envToken);
            }

            var listenUrls = tls.Urls(result, result.GetValue(urls));
            var (certificate, certificateNote) = tls.Certificate(result, result.GetValue(data)!);
            var settings = new ServerSettings
            {
                Urls = listenUrls,
                Certificate = certificate,
                ClientCertificates = tls.ClientCertificateMode(result),
                DataDirectory = result.GetValue(data)!,
                Storage = result.GetValue(storage)!,
                ConnectionString = result.GetValue(connectionString) ?? (Environment.GetEnvironmentVariable("ORBITMESH_CONNECTION_STRING") is { Length: > 0 } cs ? cs : null),
                PostgresSchema = result.GetValue(postgresSchema),
                Redis = result.GetValue(redis),
                ServerId = result.GetValue(serverId),
                RedisPrefix = result.GetValue(redisPrefix),
                AgentTokens = agentTokens,
                ApiKey = result.GetValue(apiKey),
                HeartbeatInterval = result.GetValue(heartbeat) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                MissedHeartbeats = result.GetValue(missed),
                AllowStatefulReconnects = result.GetValue(stateful),
                AccessTokenLifetime = result.GetValue(accessLifetime) is { } access ? CommonOptions.ParseDuration(access, "--access-token-lifetime") : null,
                RefreshTokenLifetime = result.GetValue(refreshLifetime) is { } refresh ? CommonOptions.ParseDuration(refresh, "--refresh-token-lifetime") : null,
                LogLevel = result.GetValue(logLevel),
                JsonLogs = result.GetValue(logFormat) == "json",
                OtlpEndpoint = CommonOptions.OtlpEndpointValue(result, otlp),
                InsecureDevelopment = result.GetValue(insecure),
                Dashboard = !result.GetValue(noDashboard),
            };

            if (ExposureCheck.Check(settings, result.GetValue(insecure)) is { } warning)
            {
                Console.Error.WriteLine(warning);
            }

            using var telemetry = CliTelemetry.StartUnlessExported(settings.OtlpEndpoint);
            await using var app = ServerHost.Build(settings);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            // Before the listening line, which tells whoever waits for the server that it is up.
            if (certificate is not null)
            {
                if (certificateNote is not null)
                {
                    Console.WriteLine(certificateNote);
                }

                Console.WriteLine($"Server certificate SHA-256 fingerprint: {TlsValidation.Fingerprint(certificate)}");
            }

            // Before "listening on": once that line is out, the first admin exists (or was printed).
            await CreateFirstAdminAsync(app.Services, cancellationToken).ConfigureAwait(false);
            var addresses = string.Join(", ", app.Urls);
            if (settings.Dashboard)
            {
                Console.WriteLine($"Dashboard: {string.Join(", ", app.Urls.Select(u => u.TrimEnd('/') + ServerHost.DashboardPath + "/"))}");
            }

            Console.WriteLine($"OrbitMesh server {ServerInfo.Version} listening on {addresses} ({StorageNote(settings, app.Services)})");
            if (app.Services.GetService<RedisBackplaneOptions>() is { } cluster)
            {
                Console.WriteLine($"Cluster: server id {cluster.ServerId} on the Redis backplane at {settings.Redis!.Split(',')[0]} (prefix {cluster.ChannelPrefix})");
            }
            if (agentTokens.Count == 0)
            {
                Console.WriteLine("Agents enroll: create a token with 'orbitmesh tokens create', start 'orbitmesh agent --enroll-token T --data DIR', approve it with 'orbitmesh nodes approve ID'.");
            }

            // The host's console lifetime takes SIGINT/SIGTERM first (the newest signal registration wins
            // and cancels the rest), so System.CommandLine's token is never cancelled by a signal: wait for
            // the host to be asked to stop (the signal) or for the token, then stop it.
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// On the first start of a database (no users), creates the user <c>admin</c> with a random password
    /// and prints it once. Two servers starting together cannot both do it: the store's
    /// compare-and-swap lets only one create the user.
    /// </summary>
    private static string StorageNote(ServerSettings settings, IServiceProvider services) => settings.Storage switch
    {
        "sqlite" => $"data in {Path.GetFullPath(Path.Combine(settings.DataDirectory, "orbitmesh.db"))}",
        "postgres" => $"data in PostgreSQL at {services.GetRequiredService<PostgresDatabase>().Location}",
        _ => "in-memory storage: nothing survives a restart",
    };

    internal static async Task CreateFirstAdminAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var users = services.GetRequiredService<UserAccounts>();
        if (await users.AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        var (outcome, _) = await users.CreateAsync("admin", password, OrbitMeshRoles.Admin, cancellationToken).ConfigureAwait(false);
        if (outcome == UserCreateOutcome.Created)
        {
            await services.GetRequiredService<SecurityAudit>().RecordAsync(AuditEventTypes.UserChanged, "admin", reason: "first admin created at first start", actor: "server", cancellationToken: cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Created the first admin user 'admin' with password: {password}");
            Console.WriteLine("It is not shown again: log in with 'orbitmesh login --username admin', then create users and API keys.");
        }
    }
}
