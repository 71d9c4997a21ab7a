using System.Globalization;
using System.Text.Json;

namespace OrbitMesh.Dashboard.Components;

/// <summary>How the pages show jobs and times.</summary>
internal static class JobViews
{
    private static readonly JsonSerializerOptions Indented = new(OrbitMeshJson.Options) { WriteIndented = true };

    /// <summary>Failed, timed-out and dead-lettered jobs may be re-run (as a new job with the same request).</summary>
    public static bool CanRerun(JobRecord job) => job.Status is JobStatus.Failed or JobStatus.TimedOut or JobStatus.DeadLettered;

    public static string StatusClass(JobStatus status) => "status status-" + status.ToString().ToLowerInvariant();

    public static string StatusClass(AgentStatus status) => "status status-" + status.ToString().ToLowerInvariant();

    public static string Time(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "—";

    public static string Ago(DateTimeOffset? time, DateTimeOffset now)
    {
        if (time is not { } t)
        {
            return "—";
        }

        var age = now - t;
        return age.TotalSeconds < 60 ? $"{Math.Max(0, (int)age.TotalSeconds)} s ago"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} min ago"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours} h ago"
            : Time(t);
    }

    public static string Percent(double? percent) => percent is { } p ? p.ToString("0.#", CultureInfo.InvariantCulture) : "0";

    public static string Json(JsonElement? element) => element is { } e ? JsonSerializer.Serialize(e, Indented) : "";
}
