using System.Diagnostics;
using System.Globalization;
using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

/// <summary>
/// Several real processes logging into one SQLite store, and a process killed mid-run. The children are this test
/// assembly started again with a .NET startup hook (<see cref="StartupHook"/>) that runs
/// <see cref="TrackingChild.Execute"/> instead of the test host — no extra project, and the child runs exactly the
/// library build under test.
/// </summary>
public sealed class MultiProcessTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Concurrent_processes_log_into_one_fresh_store_without_errors_or_loss()
    {
        const int Processes = 4, Points = 1500;
        // All children open the not-yet-existing store at once, so schema creation races too.
        var children = Enumerable.Range(0, Processes)
            .Select(i => TrackingChild.Start("log", _folder.Path, $"worker-{i}", Points.ToString(CultureInfo.InvariantCulture)))
            .ToList();
        foreach (var child in children) await TrackingChild.WaitSuccessAsync(child);

        await using var store = SqliteTrackingStore.Open(_folder.Path);
        var experiment = await store.GetExperimentByNameAsync("concurrent");
        var runs = await store.SearchRunsAsync(new RunQuery([experiment!.ExperimentId]));
        Assert.Equal(Enumerable.Range(0, Processes).Select(i => $"worker-{i}"), runs.Select(r => r.Name).Order());
        foreach (var run in runs)
        {
            Assert.Equal(RunStatus.Finished, run.Info.Status);
            var history = await store.GetMetricHistoryAsync(run.RunId, "loss");
            Assert.Equal(Enumerable.Range(0, Points).Select(s => (long)s), history.Select(m => m.Step));
            Assert.Equal(Enumerable.Range(0, Points).Select(s => 1.0 / (s + 1)), history.Select(m => m.Value));
            Assert.Equal(1.0 / Points, run.Metric("loss"));
            Assert.Equal(run.Name, run.Param("worker"));
            Assert.Equal("19", run.Data.Tags["progress"]);
        }
    }

    [Fact]
    public async Task A_killed_process_keeps_what_it_flushed_and_its_run_is_later_failed()
    {
        const int Flushed = 700;
        var child = TrackingChild.Start("hang", _folder.Path, "doomed", Flushed.ToString(CultureInfo.InvariantCulture));
        // The child names its run in a marker file once its first points are flushed, then keeps logging.
        var marker = Path.Combine(_folder.Path, TrackingChild.FlushedMarker);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            while (!File.Exists(marker))
            {
                if (child.HasExited) Assert.Fail("child exited before flushing: " + await child.StandardError.ReadToEndAsync());
                await Task.Delay(50, timeout.Token);
            }
        var runId = await File.ReadAllTextAsync(marker);
        child.Kill();
        Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)), "the child survived SIGKILL");

        using var tracker = Tracker.Open(_folder.Path, new TrackerOptions { FailStaleRunsOnOpen = false });
        var before = await tracker.GetRunAsync(runId);
        Assert.Equal(RunStatus.Running, before.Info.Status); // nobody ended it
        var history = await tracker.GetMetricHistoryAsync(runId, "loss");
        // Everything flushed is there; points queued after the flush may or may not have been written.
        Assert.Equal(Enumerable.Range(0, Flushed).Select(s => (long)s), history.Steps.Take(Flushed));

        // The heartbeat stopped with the process: with no tolerance at all, the run is stale now.
        var failed = await tracker.FailStaleRunsAsync(TimeSpan.Zero);
        Assert.Equal([runId], failed);
        var after = await tracker.GetRunAsync(runId);
        Assert.Equal(RunStatus.Failed, after.Info.Status);
        Assert.Contains("heartbeat", after.Data.Tags[SystemTags.Failure]);
        Assert.True(after.Info.EndTime >= after.Info.StartTime);
    }
}

/// <summary>What a child process does; started by <see cref="StartupHook"/> when COURSEWARE_TRACKING_CHILD is set.</summary>
internal static class TrackingChild
{
    public const string RoleVariable = "COURSEWARE_TRACKING_CHILD";
    public const string FlushedMarker = "flushed.txt";

    public static Process Start(string role, params string[] args)
    {
        var assembly = typeof(TrackingChild).Assembly.Location;
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(assembly);
        psi.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
        psi.Environment[RoleVariable] = role;
        psi.Environment["COURSEWARE_TRACKING_CHILD_ARGS"] = string.Join('\n', args);
        return Process.Start(psi)!;
    }

    public static async Task WaitSuccessAsync(Process child)
    {
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await child.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            child.Kill();
            throw new TimeoutException("A tracking child process hung; stderr: " + await stderr);
        }
        Assert.True(child.ExitCode == 0, $"child exited {child.ExitCode}: {await stderr} {await stdout}");
    }

    public static int Execute(string role, string[] args)
    {
        try
        {
            var options = new TrackerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200), FailStaleRunsOnOpen = false };
            using var tracker = Tracker.Open(args[0], options);
            var points = int.Parse(args[2], CultureInfo.InvariantCulture);
            switch (role)
            {
                case "log":
                {
                    using var run = tracker.StartRun("concurrent", name: args[1]);
                    run.LogParam("worker", args[1]);
                    for (var s = 0; s < points; s++)
                    {
                        run.LogMetric("loss", 1.0 / (s + 1), step: s);
                        // Small commits interleave with the other processes' writes as much as possible.
                        if (s % 75 == 74)
                        {
                            run.Flush();
                            run.SetTag("progress", s / 75);
                        }
                    }
                    return 0;
                }
                case "hang":
                {
                    var run = tracker.StartRun("killed", name: args[1]);
                    for (var s = 0; s < points; s++) run.LogMetric("loss", s, step: s);
                    run.Flush();
                    var marker = Path.Combine(args[0], FlushedMarker);
                    File.WriteAllText(marker + ".tmp", run.RunId);
                    File.Move(marker + ".tmp", marker);
                    for (var s = points; ; s++)
                    {
                        run.LogMetric("loss", s, step: s);
                        Thread.Sleep(1);
                    }
                }
                default:
                    Console.Error.WriteLine($"unknown role {role}");
                    return 2;
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 1;
        }
    }
}
