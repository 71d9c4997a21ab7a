using OrbitMesh.Cli.Output;
using OrbitMesh.Grid;

namespace OrbitMesh.Cli.Tests.Output;

public sealed class CopyProgressViewTests
{
    [Fact]
    public void Format_ShowsBarPercentSizesFilesRateAndPath()
    {
        var line = CopyProgressView.Format(new GridCopyProgress("docs/big.bin", 5 * 1024 * 1024, 10 * 1024 * 1024, 1, 3), TimeSpan.FromSeconds(2));

        Assert.Equal("[###############...............]  50% 5.0/10.0 MiB 1/3 files 2.5 MiB/s  docs/big.bin", line);
    }

    [Fact]
    public void Report_Enabled_RedrawsAtMostEvery100MsButAlwaysTheEnd()
    {
        var time = new ManualTimeProvider();
        var writer = new StringWriter();
        var view = new CopyProgressView(writer, enabled: true, time);

        view.Report(new GridCopyProgress("f", 1, 10, 0, 1));
        view.Report(new GridCopyProgress("f", 2, 10, 0, 1));
        time.Advance(TimeSpan.FromMilliseconds(150));
        view.Report(new GridCopyProgress("f", 3, 10, 0, 1));
        view.Report(new GridCopyProgress("f", 10, 10, 1, 1));

        Assert.Equal(3, writer.ToString().Count(c => c == '\r'));
        Assert.Contains("100%", writer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Report_Disabled_WritesNothing()
    {
        var writer = new StringWriter();
        var view = new CopyProgressView(writer, enabled: false, TimeProvider.System);

        view.Report(new GridCopyProgress("f", 10, 10, 1, 1));
        view.Clear();

        Assert.Equal("", writer.ToString());
    }
}
