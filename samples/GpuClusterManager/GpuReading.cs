using System.Diagnostics;
using System.Globalization;

namespace GpuClusterManager;

/// <summary>What a node reports about its GPU: from <c>nvidia-smi</c> when there is one, simulated otherwise.</summary>
internal sealed record GpuReading(double Utilization, long MemoryUsedMb, long MemoryTotalMb, string Source)
{
    private const long SimulatedMemoryMb = 16_384;

    /// <summary>Simulated: the node's base load plus 35 points and 6 GiB per inference running on it.</summary>
    public static GpuReading Simulated(double baseLoad, int running) =>
        new(Math.Min(100, baseLoad + (35 * running)), Math.Min(SimulatedMemoryMb, 1_024 + (6_144L * running)), SimulatedMemoryMb, "simulated");

    /// <summary>The first GPU's reading from <c>nvidia-smi</c>, or null when it is not installed or fails.</summary>
    public static async Task<GpuReading?> NvidiaSmiAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            var line = (await smi.StandardOutput.ReadLineAsync(cancellationToken))?.Split(',', StringSplitOptions.TrimEntries);
            await smi.WaitForExitAsync(cancellationToken);
            return smi.ExitCode == 0 && line is [var utilization, var used, var total, ..]
                ? new GpuReading(double.Parse(utilization, CultureInfo.InvariantCulture), long.Parse(used, CultureInfo.InvariantCulture), long.Parse(total, CultureInfo.InvariantCulture), "nvidia-smi")
                : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // No nvidia-smi on this machine.
        }
    }
}
