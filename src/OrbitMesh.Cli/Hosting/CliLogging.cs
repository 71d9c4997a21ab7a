using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace OrbitMesh.Cli.Hosting;

/// <summary>Console logging for the CLI: one line per entry, or JSON with <c>--log-format json</c>.</summary>
internal static class CliLogging
{
    public static void Configure(ILoggingBuilder logging, LogLevel level, bool json)
    {
        logging.ClearProviders();
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft.AspNetCore", level < LogLevel.Warning ? LogLevel.Warning : level);
        // Data Protection warns that its key files are not encrypted: on Linux they are protected by the
        // key directory's permissions instead (docs/architecture.md).
        logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        logging.AddFilter("Microsoft.Hosting.Lifetime", level < LogLevel.Warning ? LogLevel.Warning : level);
        if (json)
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.IncludeScopes = true;
            });
        }

        // Console logging writes to stderr, so stdout stays for command output.
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    public static ILoggerFactory CreateFactory(LogLevel level, bool json) =>
        LoggerFactory.Create(logging => Configure(logging, level, json));
}
