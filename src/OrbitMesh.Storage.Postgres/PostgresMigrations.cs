namespace OrbitMesh.Storage.Postgres;

/// <summary>
/// The ordered schema migrations. A schema records the versions applied in <c>schema_version</c>. JSON is stored as
/// <c>json</c>, not <c>jsonb</c>: the text is kept as written (workflow definitions are compared by their content hash),
/// and writes skip the conversion to the binary form.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>The marker in the <c>meta</c> table that says a schema is OrbitMesh's.</summary>
    public const string Application = "orbitmesh";

    public static readonly IReadOnlyList<(int Version, string Description, string Sql)> All =
    [
        (1, "jobs, job events, idempotency keys, event streams, snapshots, agents, security records, audit, WebAssembly modules", """
            CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE jobs (
                id text PRIMARY KEY,
                version bigint NOT NULL,
                status integer NOT NULL,
                final boolean NOT NULL,
                command text NOT NULL,
                agent_id text,
                correlation_id text,
                fencing_token bigint NOT NULL,
                created_at timestamptz NOT NULL,
                completed_at timestamptz,
                record json NOT NULL);
            CREATE INDEX ix_jobs_status_created ON jobs (status, created_at);
            CREATE INDEX ix_jobs_created ON jobs (created_at);
            CREATE INDEX ix_jobs_unfinished ON jobs (created_at) WHERE NOT final;
            CREATE INDEX ix_jobs_correlation ON jobs (correlation_id) WHERE correlation_id IS NOT NULL;
            CREATE INDEX ix_jobs_completed ON jobs (completed_at) WHERE completed_at IS NOT NULL;
            CREATE TABLE job_events (
                job_id text NOT NULL,
                sequence bigint NOT NULL,
                payload json NOT NULL,
                PRIMARY KEY (job_id, sequence));
            CREATE TABLE idempotency (
                key text PRIMARY KEY,
                job_id text NOT NULL,
                created_at timestamptz NOT NULL);
            CREATE TABLE streams (
                stream_id text PRIMARY KEY,
                version bigint NOT NULL);
            CREATE TABLE events (
                stream_id text NOT NULL,
                sequence bigint NOT NULL,
                type text NOT NULL,
                timestamp timestamptz NOT NULL,
                payload json NOT NULL,
                PRIMARY KEY (stream_id, sequence));
            CREATE TABLE snapshots (
                stream_id text PRIMARY KEY,
                version bigint NOT NULL,
                timestamp timestamptz NOT NULL,
                state json NOT NULL);
            CREATE TABLE agents (
                id text PRIMARY KEY,
                record json NOT NULL);
            CREATE TABLE security (
                kind text NOT NULL,
                id text NOT NULL,
                version bigint NOT NULL,
                data text NOT NULL,
                PRIMARY KEY (kind, id));
            CREATE TABLE audit (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                timestamp timestamptz NOT NULL,
                type text NOT NULL,
                actor text,
                subject text,
                success boolean NOT NULL,
                reason text,
                remote_address text);
            CREATE INDEX ix_audit_subject ON audit (subject, sequence) WHERE subject IS NOT NULL;
            CREATE TABLE wasm_modules (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL,
                version text NOT NULL,
                sha256 text NOT NULL,
                size bigint NOT NULL,
                uploaded_at timestamptz NOT NULL,
                uploaded_by text,
                content bytea NOT NULL,
                UNIQUE (name, version));
            """),
        (2, "Data Protection keys shared by the servers", """
            CREATE TABLE data_protection_keys (
                name text PRIMARY KEY,
                xml text NOT NULL,
                stored_at timestamptz NOT NULL DEFAULT now());
            """),
        (3, "server leases and job owners, for several servers sharing the job path", """
            CREATE TABLE servers (
                id text PRIMARY KEY,
                lease_until timestamptz NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now());
            ALTER TABLE jobs ADD COLUMN owner text;
            CREATE INDEX ix_jobs_owner ON jobs (owner) WHERE NOT final;
            """),
    ];

    public static int Latest => All[^1].Version;
}
