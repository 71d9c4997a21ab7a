using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Modules;

namespace OrbitMesh.Storage.Postgres.Tests;

public sealed class PostgresDatabaseTests
{
    [Fact]
    public async Task Open_CreatesTheSchema_RecordsEveryMigration_AndAReopenAppliesNothing()
    {
        await using var schema = new TempSchema();
        await (schema.Open()).DisposeAsync();
        await (schema.Open()).DisposeAsync();

        Assert.Equal(PostgresMigrations.Latest, await schema.ScalarAsync($"SELECT max(version) FROM \"{schema.Name}\".schema_version"));
        Assert.Equal(PostgresMigrations.All.Count, await schema.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".schema_version"));
        Assert.Equal(1, await schema.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".meta WHERE key = 'application' AND value = 'orbitmesh'"));
    }

    [Fact]
    public async Task ServersStartingTogether_MigrateOnce_UnderTheAdvisoryLock()
    {
        await using var schema = new TempSchema();
        var opens = Enumerable.Range(0, 4).Select(_ => Task.Run(() => schema.Open())).ToArray();
        await Task.WhenAll(opens);

        Assert.Equal(PostgresMigrations.All.Count, await schema.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".schema_version"));
    }

    [Fact]
    public async Task ASchemaWrittenByANewerOrbitMesh_IsRefused_WithBothVersions()
    {
        await using var schema = new TempSchema();
        await (schema.Open()).DisposeAsync();
        await schema.ExecuteAsync($"INSERT INTO \"{schema.Name}\".schema_version (version, description) VALUES (99, 'from the future')");

        var error = Assert.Throws<StorageUnavailableException>(() => schema.Open());

        Assert.Contains("newer OrbitMesh", error.Message, StringComparison.Ordinal);
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains($"knows up to {PostgresMigrations.Latest}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASchemaOfAnotherApplication_IsRefused_AndLeftAlone()
    {
        await using var schema = new TempSchema();
        await schema.ExecuteAsync($"CREATE SCHEMA \"{schema.Name}\"; CREATE TABLE \"{schema.Name}\".invoices (id int)");

        var error = Assert.Throws<StorageUnavailableException>(() => schema.Open());

        Assert.Contains("another application", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await schema.ScalarAsync($"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema.Name}'"));
    }

    [Fact]
    public void AnUnreachableServer_IsRefusedAtStart_WithWhereItLooked()
    {
        var port = FreePort.Next();
        var options = new PostgresStorageOptions { ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Timeout=3" };

        var error = Assert.Throws<StorageUnavailableException>(() => new PostgresDatabase(options, NullLogger<PostgresDatabase>.Instance));

        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be reached", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidSettings_AreRefused_WithTheReason()
    {
        var badSchema = Assert.Throws<OrbitMeshException>(() => new PostgresDatabase(
            new PostgresStorageOptions { ConnectionString = TestServers.Postgres, Schema = "Robert'); DROP TABLE" }, NullLogger<PostgresDatabase>.Instance));
        var badString = Assert.Throws<OrbitMeshException>(() => new PostgresDatabase(
            new PostgresStorageOptions { ConnectionString = "Hots=nowhere" }, NullLogger<PostgresDatabase>.Instance));

        Assert.Contains("lower-case PostgreSQL identifier", badSchema.Message, StringComparison.Ordinal);
        Assert.Contains("connection string is invalid", badString.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionsCutByTheServer_ReportAProblem_UntilTheProbeFindsTheDatabaseBack()
    {
        await using var schema = new TempSchema();
        var database = schema.Open(o =>
        {
            o.ReconnectProbeInterval = TimeSpan.FromMilliseconds(100);
            o.ConnectionString += ";Application Name=" + schema.Name; // So that only this test's sessions are ended.
        });
        var agents = new PostgresAgentStore(database);
        await agents.UpsertAsync(new StoredAgent { Id = "a1" });

        // An administrator ends every session of the application (waiting until they are gone): the pooled connections are dead.
        await schema.ExecuteAsync($"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = '{schema.Name}'");
        var failure = await Record.ExceptionAsync(() => agents.GetAsync("a1").AsTask());

        // The pooled connection the read takes is dead: the read fails as "unavailable", and the server reports not-ready.
        Assert.IsType<StorageUnavailableException>(failure);
        Assert.NotNull(database.Problem);
        await Wait.UntilAsync(() => database.Problem is null, "the probe to find PostgreSQL back");

        Assert.Equal("a1", (await agents.GetAsync("a1"))!.Id);
        Assert.Null(database.Problem);
    }

    [Fact]
    public async Task TwoServersOnOneSchema_ShareOneIdempotencyKey_AndOneSingleUseToken()
    {
        await using var schema = new TempSchema();
        var a = schema.Open();
        var b = schema.Open();
        var jobsA = new PostgresJobStore(a, TimeProvider.System);
        var jobsB = new PostgresJobStore(b, TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        JobRecord Job(string id) => new() { Id = id, Command = "work", IdempotencyKey = "order-42", CreatedAt = now, UpdatedAt = now, Version = 1 };
        JobEvent Created(JobRecord job) => new() { JobId = job.Id, Sequence = 1, Status = job.Status, Timestamp = now };

        var creates = Enumerable.Range(0, 10).Select(i =>
        {
            var job = Job("job-" + i);
            return Task.Run(async () => await (i % 2 == 0 ? jobsA : jobsB).CreateAsync(job, Created(job), TimeSpan.FromHours(1)));
        }).ToArray();
        var results = await Task.WhenAll(creates);

        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Equal(1, await schema.ScalarAsync($"SELECT count(*) FROM \"{schema.Name}\".jobs"));

        var securityA = new PostgresSecurityStore(a);
        var securityB = new PostgresSecurityStore(b);
        await securityA.TrySaveAsync(new SecurityDocument { Kind = "token", Id = "t1", Data = "{\"uses\":0}" });
        var spends = await Task.WhenAll(
            Task.Run(async () => await securityA.TrySaveAsync(new SecurityDocument { Kind = "token", Id = "t1", Version = 2, Data = "{\"uses\":1,\"by\":\"a\"}" })),
            Task.Run(async () => await securityB.TrySaveAsync(new SecurityDocument { Kind = "token", Id = "t1", Version = 2, Data = "{\"uses\":1,\"by\":\"b\"}" })));

        Assert.Single(spends, s => s);
    }

    [Fact]
    public async Task Modules_AddGetListContent_AndAConflictingUpload()
    {
        await using var schema = new TempSchema();
        var store = new PostgresModuleStore(schema.Open());
        WasmModuleInfo Info(string name, string version, char digest) => new()
        {
            Name = name, Version = version, Sha256 = new string(digest, 64), Size = 3,
            UploadedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), UploadedBy = "user:admin",
        };

        Assert.Equal(ModuleAddOutcome.Added, await store.AddAsync(Info("m", "1", 'a'), new byte[] { 1, 2, 3 }));
        Assert.Equal(ModuleAddOutcome.Added, await store.AddAsync(Info("m", "2", 'b'), new byte[] { 4 }));
        Assert.Equal(ModuleAddOutcome.Added, await store.AddAsync(Info("a", "1", 'c'), new byte[] { 5 }));
        Assert.Equal(ModuleAddOutcome.AlreadyStored, await store.AddAsync(Info("m", "1", 'a'), new byte[] { 1, 2, 3 }));
        Assert.Equal(ModuleAddOutcome.Conflict, await store.AddAsync(Info("m", "1", 'z'), new byte[] { 9 }));

        var reopened = new PostgresModuleStore(schema.Open());
        Assert.Equal("2", (await reopened.GetAsync("m", null))!.Version);
        var pinned = await reopened.GetAsync("m", "1");
        Assert.Equal(new string('a', 64), pinned!.Sha256);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), pinned.UploadedAt);
        Assert.Equal("user:admin", pinned.UploadedBy);
        Assert.Equal(new byte[] { 1, 2, 3 }, await reopened.GetContentAsync("m", "1"));
        Assert.Equal(["a@1", "m@1", "m@2"], (await reopened.ListAsync()).Select(m => m.Name + "@" + m.Version));
        Assert.Null(await reopened.GetAsync("none", null));
        Assert.Null(await reopened.GetContentAsync("m", "9"));
    }
}
