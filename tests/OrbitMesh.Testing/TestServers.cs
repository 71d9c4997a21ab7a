namespace OrbitMesh.Testing;

/// <summary>
/// The database and cache servers the tests use: <c>.ci/run</c> starts PostgreSQL and Redis on 127.0.0.1 with free ports
/// and names them in <c>ORBITMESH_TEST_POSTGRES</c> (an Npgsql connection string) and <c>ORBITMESH_TEST_REDIS</c>
/// (<c>host:port</c>). A test that needs one and finds none fails with the way to get one; it never skips.
/// </summary>
public static class TestServers
{
    /// <summary>The PostgreSQL connection string, or a failure that says how to get a server.</summary>
    public static string Postgres =>
        Environment.GetEnvironmentVariable("ORBITMESH_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "This test needs a PostgreSQL server: run the tests through .ci/run (it installs and starts one on 127.0.0.1), " +
                "or set ORBITMESH_TEST_POSTGRES to an Npgsql connection string of a server you run.");

    /// <summary>The Redis address (<c>host:port</c>), or a failure that says how to get a server.</summary>
    public static string Redis =>
        Environment.GetEnvironmentVariable("ORBITMESH_TEST_REDIS") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "This test needs a Redis server: run the tests through .ci/run (it installs and starts one on 127.0.0.1), " +
                "or set ORBITMESH_TEST_REDIS to host:port of a server you run.");

    /// <summary>The nginx binary (the load balancer of the scale-out tests), or a failure that says how to get one.</summary>
    public static string Nginx =>
        Environment.GetEnvironmentVariable("ORBITMESH_TEST_NGINX") is { Length: > 0 } value ? value
        : File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx"
        : throw new InvalidOperationException(
            "This test needs nginx: run the tests through .ci/run (it installs Debian's nginx), or set ORBITMESH_TEST_NGINX to an nginx binary.");
}
