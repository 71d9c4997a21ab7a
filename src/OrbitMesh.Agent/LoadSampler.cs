using System.Diagnostics;

namespace OrbitMesh.Agent;

/// <summary>Measures the process's CPU use between samples and its working set.</summary>
internal sealed class LoadSampler
{
    private TimeSpan _lastCpu;
    private long _lastTimestamp;

    public (double CpuPercent, long WorkingSetBytes) Sample(TimeProvider time)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var now = time.GetTimestamp();
        double percent = 0;
        if (_lastTimestamp != 0)
        {
            var wall = time.GetElapsedTime(_lastTimestamp, now).TotalMilliseconds * Environment.ProcessorCount;
            percent = wall <= 0 ? 0 : Math.Clamp((cpu - _lastCpu).TotalMilliseconds / wall * 100, 0, 100);
        }

        _lastCpu = cpu;
        _lastTimestamp = now;
        return (percent, Environment.WorkingSet);
    }
}
