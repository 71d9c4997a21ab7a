using Cronos;

namespace OrbitMesh.Workflows;

/// <summary>
/// A cron trigger's schedule: a Cronos expression read in a time zone. Cronos does the calendar
/// arithmetic, including daylight-saving transitions (a time skipped by a spring-forward fires at
/// the first valid instant after it; a time repeated by a fall-back fires once), so that this type
/// only decides the format and refuses schedules that never fire.
/// </summary>
public sealed class CronSchedule
{
    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression, TimeZoneInfo zone)
    {
        Text = text;
        _expression = expression;
        Zone = zone;
    }

    /// <summary>The schedule as written.</summary>
    public string Text { get; }

    /// <summary>The time zone it is read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>
    /// Parses a schedule: five fields (minute hour day-of-month month day-of-week), six with a seconds
    /// field first, or a macro (<c>@yearly</c>, <c>@monthly</c>, <c>@weekly</c>, <c>@daily</c>,
    /// <c>@hourly</c>, <c>@every_minute</c>, <c>@every_second</c>).
    /// </summary>
    /// <exception cref="FormatException">The expression or the time zone is not valid, or the schedule never fires.</exception>
    public static CronSchedule Parse(string schedule, string? timeZone, DateTimeOffset now) => Parse(schedule, FindZone(timeZone), now);

    /// <inheritdoc cref="Parse(string, string?, DateTimeOffset)"/>
    public static CronSchedule Parse(string schedule, TimeZoneInfo zone, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(zone);
        var text = schedule.Trim();
        if (text.Length == 0 || text.Length > 200)
        {
            throw new FormatException("A cron schedule has five fields (minute hour day month weekday), six with seconds first, or is a macro such as @daily.");
        }

        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new FormatException($"The cron schedule '{text}' is not valid: {ex.Message} It has five fields (minute hour day month weekday), six with seconds first, or is a macro such as @daily.", ex);
        }

        var schedule1 = new CronSchedule(text, expression, zone);
        if (schedule1.Next(now) is null)
        {
            throw new FormatException($"The cron schedule '{text}' never fires (no date matches it, e.g. February 30th).");
        }

        return schedule1;
    }

    /// <summary>The first scheduled time after <paramref name="after"/>, or null when there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => _expression.GetNextOccurrence(after, Zone, inclusive: false);

    /// <summary>The scheduled times after <paramref name="after"/> up to and including <paramref name="until"/>, at most <paramref name="limit"/> of them.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset after, DateTimeOffset until, int limit)
    {
        var at = after;
        for (var i = 0; i < limit && Next(at) is { } next && next <= until; i++)
        {
            yield return next;
            at = next;
        }
    }

    /// <summary>The time zone of a name (IANA or Windows); UTC for null.</summary>
    /// <exception cref="FormatException">The zone is not known on this machine.</exception>
    public static TimeZoneInfo FindZone(string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone) || timeZone is "UTC" or "Etc/UTC")
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new FormatException($"The time zone '{timeZone}' is not known on this server; use an IANA name such as 'Europe/Berlin' or 'America/New_York'.", ex);
        }
    }
}
