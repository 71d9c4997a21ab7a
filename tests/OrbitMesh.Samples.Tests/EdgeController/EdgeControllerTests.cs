using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using OrbitMesh.Samples.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Samples.Tests.EdgeController;

/// <summary>
/// EdgeController: 25 cameras (two processes) and 2 devices of another group; firmware 2.1.0 (512 KiB)
/// goes to the cameras in batches of 10, 10 and 5, each device streaming the image over HTTP with
/// progress, and nothing reaches the other group.
/// </summary>
public sealed class EdgeControllerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SampleProcesses _processes = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _processes.DisposeAsync();

    private static string Camera(int i) => string.Create(CultureInfo.InvariantCulture, $"cam-{i:00}");

    [Fact]
    public async Task UpdateFirmware_InBatchesOfTen_StreamsTheImageWithProgressToEveryDeviceOfTheGroup()
    {
        var watch = Stopwatch.StartNew();
        var firmware = Directory.CreateDirectory(Path.Combine(_processes.Directory, "firmware")).FullName;
        var image = RandomNumberGenerator.GetBytes(512 * 1024);
        File.WriteAllBytes(Path.Combine(firmware, "2.1.0.bin"), image);
        var root = Path.Combine(_processes.Directory, "devices");
        var (_, url) = await _processes.StartServerAsync("EdgeController", ["--Firmware", firmware], verb: "server");
        var cameras = Enumerable.Range(1, 25).Select(Camera).ToList();
        string[] common = ["--Server", url.ToString(), "--AgentToken", _processes.AgentToken, "--Root", root];
        _processes.Start("EdgeController", ["devices", .. common, "--Group", "cameras", "--Ids", string.Join(',', cameras.Take(13))]);
        _processes.Start("EdgeController", ["devices", .. common, "--Group", "cameras", "--Ids", string.Join(',', cameras.Skip(13))]);
        _processes.Start("EdgeController", ["devices", .. common, "--Group", "sensors", "--Ids", "sensor-1,sensor-2"]);
        using var mesh = _processes.Client(url);
        await SampleProcesses.WaitForAgentsAsync(mesh, [.. cameras, "sensor-1", "sensor-2"]);

        var update = await _processes.RunAsync("EdgeController", ["update", "--Server", url.ToString(), "--ApiKey", _processes.ApiKey, "--Group", "cameras", "--Version", "2.1.0"], TimeSpan.FromSeconds(40));

        Assert.True(update.ExitCode == 0, update.Describe());
        Assert.Equal(
            [$"batch 1: {string.Join(", ", cameras.Take(10))}", $"batch 2: {string.Join(", ", cameras.Skip(10).Take(10))}", $"batch 3: {string.Join(", ", cameras.Skip(20))}"],
            update.StdoutLines.Where(l => l.StartsWith("batch ", StringComparison.Ordinal)));
        Assert.Equal("updated 25 of 25 devices in cameras to 2.1.0", update.StdoutLines[^1]);
        var expected = SHA256.HashData(image);
        foreach (var camera in cameras)
        {
            Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(Path.Combine(root, camera, "firmware.bin"))));
            Assert.Equal("2.1.0", File.ReadAllText(Path.Combine(root, camera, "version")));
            var progress = update.StdoutLines.Where(l => l.StartsWith($"  {camera} ", StringComparison.Ordinal) && l.Contains(" % ", StringComparison.Ordinal)).ToList();
            Assert.True(progress.Count >= 8, $"{camera} reported {progress.Count} progress events for 8 chunks");
            Assert.Equal($"  {camera} 100 % {image.Length} bytes", progress[^1]);
            Assert.Contains($"  {camera} Completed", update.StdoutLines);
        }

        Assert.False(Directory.Exists(Path.Combine(root, "sensor-1", "firmware.bin")));
        Assert.False(File.Exists(Path.Combine(root, "sensor-2", "version")));

        // Batches one after the other: every job of a batch was created after the previous batch's jobs completed.
        var jobs = (await mesh.ListJobsAsync(new JobQuery { Command = "firmware.update", Limit = 100 })).ToDictionary(j => j.AgentId!);
        Assert.Equal(25, jobs.Count);
        var batches = cameras.Chunk(10).Select(b => b.Select(c => jobs[c]).ToList()).ToList();
        for (var i = 1; i < batches.Count; i++)
        {
            Assert.True(batches[i].Min(j => j.CreatedAt) >= batches[i - 1].Max(j => j.CompletedAt!.Value), $"batch {i + 1} started before batch {i} ended");
        }

        _processes.Report("EdgeController: 25 devices in batches of 10", watch);
    }
}
