using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrbitMesh.Bench;

internal static partial class Scenarios
{
    /// <summary>
    /// Cron trigger accuracy on a server on SQLite: the delay from a trigger's scheduled second to its
    /// run's start, for 100 triggers due in the same second, against a baseline of one trigger alone
    /// due in another second of the same run. Each trigger is a six-field schedule naming one second.
    /// </summary>
    public static async Task<Dictionary<string, double>> CronAsync(BenchSettings settings)
    {
        const int Many = 100;
        var metrics = new Dictionary<string, double> { ["triggers"] = Many };
        await using var server = await ServerProcess.StartAsync("sqlite");
        var agents = await StartAgentsAsync(server, 1, maxConcurrentJobs: 64);
        try
        {
            var alone = await CronRoundAsync(server.Http, "alone", 1);
            var together = await CronRoundAsync(server.Http, "together", Many);
            Report(metrics, "alone", alone);
            Report(metrics, "together", together);
            metrics["p99_ratio_together_vs_alone"] = Percentile(together, 99) / Math.Max(1, Percentile(alone, 99));
        }
        finally
        {
            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }

        return metrics;
    }

    /// <summary>Creates <paramref name="count"/> triggers due in one second a few seconds ahead; returns each run's start delay in ms.</summary>
    private static async Task<List<double>> CronRoundAsync(HttpClient http, string prefix, int count)
    {
        var due = DateTimeOffset.UtcNow.AddSeconds(6 + (count / 20));
        due = new DateTimeOffset(due.Year, due.Month, due.Day, due.Hour, due.Minute, due.Second, TimeSpan.Zero);
        var schedule = string.Create(CultureInfo.InvariantCulture, $"{due.Second} {due.Minute} {due.Hour} * * *");
        for (var i = 0; i < count; i++)
        {
            using var created = await http.PostAsJsonAsync("/api/triggers", new { name = $"{prefix}-{i:D3}", workflow = "noop-1", kind = "cron", schedule });
            created.EnsureSuccessStatusCode();
        }

        if (DateTimeOffset.UtcNow >= due)
        {
            throw new InvalidOperationException($"Creating {count} triggers took past their due time; raise the lead.");
        }

        var delays = new List<double>();
        await WaitUntilAsync(async () =>
        {
            delays.Clear();
            var list = await http.GetFromJsonAsync<JsonElement>("/api/workflow-runs?workflow=noop-1&limit=1000").ConfigureAwait(false);
            foreach (var run in list.EnumerateArray())
            {
                var started = run.GetProperty("startedAt").GetDateTimeOffset();
                if (started >= due && started < due.AddMinutes(1))
                {
                    delays.Add((started - due).TotalMilliseconds);
                }
            }

            return delays.Count >= count;
        }, ScenarioLimit);

        foreach (var i in Enumerable.Range(0, count))
        {
            using var _ = await http.DeleteAsync($"/api/triggers/{prefix}-{i:D3}");
        }

        return delays;
    }

    private static void Report(Dictionary<string, double> metrics, string name, List<double> delays)
    {
        metrics[$"{name}_fire_delay_p50_ms"] = Percentile(delays, 50);
        metrics[$"{name}_fire_delay_p99_ms"] = Percentile(delays, 99);
        metrics[$"{name}_fire_delay_max_ms"] = delays.Max();
    }

    private static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToList();
        var index = (int)Math.Ceiling(percentile / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }
}
