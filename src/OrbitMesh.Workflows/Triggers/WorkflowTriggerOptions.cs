namespace OrbitMesh.Workflows;

/// <summary>How triggers behave, validated at start (<c>AddOrbitMeshWorkflows</c>).</summary>
public sealed class WorkflowTriggerOptions
{
    /// <summary>
    /// How late a cron time may fire and still count as on time. A time later than this (the server
    /// was down, or stalled) is missed and follows the trigger's <see cref="MissedTickPolicy"/>. Default one minute.
    /// </summary>
    public TimeSpan MisfireGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the scheduler reads the triggers from the store again, so changes made through other servers apply. Default 30 seconds.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many triggers a server holds; creating more is refused. Default 1,000.</summary>
    public int MaxTriggers { get; set; } = 1000;

    /// <summary>The largest webhook body accepted, in bytes; larger requests get 413. Default 256 KiB.</summary>
    public int MaxWebhookBodyBytes { get; set; } = 256 * 1024;

    /// <summary>The largest posted event's data, in bytes. Default 64 KiB.</summary>
    public int MaxEventDataBytes { get; set; } = 64 * 1024;

    /// <summary>How many triggered runs may lead to one another through events before the next is refused (a loop). Default 8.</summary>
    public int MaxEventChainDepth { get; set; } = 8;

    /// <summary>How many built-in events (agents, jobs, runs) may wait for the event triggers; beyond it the newest are dropped and logged. Default 10,000.</summary>
    public int EventQueueCapacity { get; set; } = 10_000;

    /// <summary>How many cron triggers fire at once when several are due together. Default 16.</summary>
    public int FireConcurrency { get; set; } = 16;

    /// <summary>The problems with these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MisfireGrace < TimeSpan.FromSeconds(1) || MisfireGrace > TimeSpan.FromDays(1))
        {
            errors.Add($"MisfireGrace must be between one second and one day; it is {MisfireGrace}.");
        }

        if (RefreshInterval < TimeSpan.FromMilliseconds(100) || RefreshInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"RefreshInterval must be between 100 ms and one hour; it is {RefreshInterval}.");
        }

        Range(errors, nameof(MaxTriggers), MaxTriggers, 1, 1_000_000);
        Range(errors, nameof(MaxWebhookBodyBytes), MaxWebhookBodyBytes, 1, 16 * 1024 * 1024);
        Range(errors, nameof(MaxEventDataBytes), MaxEventDataBytes, 1, 16 * 1024 * 1024);
        Range(errors, nameof(MaxEventChainDepth), MaxEventChainDepth, 1, 100);
        Range(errors, nameof(EventQueueCapacity), EventQueueCapacity, 1, 10_000_000);
        Range(errors, nameof(FireConcurrency), FireConcurrency, 1, 1024);
        return errors;
    }

    private static void Range(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} must be between {min:N0} and {max:N0}; it is {value:N0}.");
        }
    }
}
