using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Server.Cluster;

/// <summary>Settings for running several servers as one mesh over a Redis backplane.</summary>
public sealed class RedisBackplaneOptions
{
    /// <summary>StackExchange.Redis configuration: <c>host:port</c>, optionally with <c>,password=...,ssl=true</c>. Required.</summary>
    [Required]
    public string Configuration { get; set; } = string.Empty;

    /// <summary>Prefix of every Redis key and channel; servers of one mesh share it, two meshes on one Redis use different ones. Default <c>orbitmesh</c>.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,64}$", ErrorMessage = "The channel prefix may hold letters, digits, '_', '.' and '-' (at most 64).")]
    public string ChannelPrefix { get; set; } = "orbitmesh";

    /// <summary>This server's id in the cluster, shown beside each agent it serves. Default: the machine name and a random suffix.</summary>
    [Required]
    public string ServerId { get; set; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>How often the server publishes its agents and reads the others'. Default 1 s.</summary>
    public TimeSpan PresenceInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A server that has not published for this long is taken for dead and its agents are no longer listed. Default 10 s.</summary>
    public TimeSpan ServerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a server owns its jobs without renewing (renewed every second, on the database's clock); when a server
    /// dies, its jobs are claimed by the others this long after its last renewal. Needs a shared store with job claims
    /// (<c>UsePostgres</c>). Default 10 s.
    /// </summary>
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a server looks for jobs it can claim (it is also woken when a job is submitted). Default 500 ms.</summary>
    public TimeSpan JobIntakeInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A claimed Pending job that none of this server's agents takes for this long is released for the others. Default 3 s.</summary>
    public TimeSpan UnservedRelease { get; set; } = TimeSpan.FromSeconds(3);
}
