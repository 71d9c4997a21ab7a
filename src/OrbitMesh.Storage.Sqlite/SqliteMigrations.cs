namespace OrbitMesh.Storage.Sqlite;

/// <summary>The ordered schema migrations. A database records the versions applied in <c>schema_version</c>.</summary>
internal static class SqliteMigrations
{
    /// <summary>The marker in the <c>meta</c> table that says a file is an OrbitMesh database.</summary>
    public const string Application = "orbitmesh";

    public static readonly IReadOnlyList<(int Version, string Description, string Sql)> All =
    [
        (1, "jobs, job events, idempotency keys, event streams, snapshots, agents", """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                version INTEGER NOT NULL,
                status INTEGER NOT NULL,
                final INTEGER NOT NULL,
                command TEXT NOT NULL,
                agent_id TEXT,
                correlation_id TEXT,
                fencing_token INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                completed_at INTEGER,
                record TEXT NOT NULL);
            CREATE INDEX ix_jobs_status_created ON jobs (status, created_at);
            CREATE INDEX ix_jobs_created ON jobs (created_at);
            CREATE INDEX ix_jobs_unfinished ON jobs (final) WHERE final = 0;
            CREATE INDEX ix_jobs_correlation ON jobs (correlation_id) WHERE correlation_id IS NOT NULL;
            CREATE INDEX ix_jobs_completed ON jobs (completed_at) WHERE completed_at IS NOT NULL;
            CREATE TABLE job_events (
                job_id TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                payload TEXT NOT NULL,
                PRIMARY KEY (job_id, sequence)) WITHOUT ROWID;
            CREATE TABLE idempotency (
                key TEXT PRIMARY KEY,
                job_id TEXT NOT NULL,
                created_at INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE streams (
                stream_id TEXT PRIMARY KEY,
                version INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE events (
                stream_id TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                type TEXT NOT NULL,
                timestamp INTEGER NOT NULL,
                payload TEXT NOT NULL,
                PRIMARY KEY (stream_id, sequence)) WITHOUT ROWID;
            CREATE TABLE snapshots (
                stream_id TEXT PRIMARY KEY,
                version INTEGER NOT NULL,
                timestamp INTEGER NOT NULL,
                state TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE agents (
                id TEXT PRIMARY KEY,
                record TEXT NOT NULL) WITHOUT ROWID;
            """),
        (2, "security records and the audit trail", """
            CREATE TABLE security (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                version INTEGER NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (kind, id)) WITHOUT ROWID;
            CREATE TABLE audit (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                timestamp INTEGER NOT NULL,
                type TEXT NOT NULL,
                actor TEXT,
                subject TEXT,
                success INTEGER NOT NULL,
                reason TEXT,
                remote_address TEXT);
            CREATE INDEX ix_audit_subject ON audit (subject, sequence) WHERE subject IS NOT NULL;
            """),
        (3, "WebAssembly modules", """
            CREATE TABLE wasm_modules (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size INTEGER NOT NULL,
                uploaded_at INTEGER NOT NULL,
                uploaded_by TEXT,
                content BLOB NOT NULL,
                UNIQUE (name, version));
            """),
    ];

    public static int Latest => All[^1].Version;
}
