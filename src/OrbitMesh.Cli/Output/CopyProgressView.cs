using System.Globalization;
using OrbitMesh.Grid;

namespace OrbitMesh.Cli.Output;

/// <summary>
/// The progress bar of <c>grid copy</c> on stderr: bytes and files done, percent and rate, redrawn in
/// place at most every 100 ms. Disabled (nothing written) for <c>--json</c> and when stderr is redirected.
/// </summary>
internal sealed class CopyProgressView(TextWriter writer, bool enabled, TimeProvider time) : IProgress<GridCopyProgress>
{
    private const int Width = 30;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly long _started = time.GetTimestamp();
    private long _lastDrawn = long.MinValue;
    private bool _drawn;

    public void Report(GridCopyProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var now = time.GetTimestamp();
        var finished = value.BytesCopied >= value.TotalBytes && value.FilesCopied == value.TotalFiles;
        if (!enabled || (!finished && _lastDrawn != long.MinValue && time.GetElapsedTime(_lastDrawn, now) < Interval))
        {
            return;
        }

        _lastDrawn = now;
        _drawn = true;
        writer.Write("\r" + Format(value, time.GetElapsedTime(_started, now)).PadRight(100));
    }

    /// <summary>Ends the line the bar was drawn on.</summary>
    public void Clear()
    {
        if (_drawn)
        {
            writer.Write("\r" + new string(' ', 100) + "\r");
        }
    }

    /// <summary>One line: <c>[#####.....]  42% 12.0/28.6 MiB 1/3 files 95.1 MiB/s  docs/big.bin</c>.</summary>
    public static string Format(GridCopyProgress value, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(value);
        var fraction = value.TotalBytes == 0 ? (value.TotalFiles == 0 ? 1 : (double)value.FilesCopied / value.TotalFiles) : (double)value.BytesCopied / value.TotalBytes;
        fraction = Math.Clamp(fraction, 0, 1);
        var filled = (int)Math.Round(fraction * Width);
        var rate = elapsed > TimeSpan.Zero ? value.BytesCopied / elapsed.TotalSeconds : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,3:0}% {Mib(value.BytesCopied)}/{Mib(value.TotalBytes)} MiB {value.FilesCopied}/{value.TotalFiles} files {Mib((long)rate)} MiB/s  {value.Path}");
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture);
}
