using System.Diagnostics;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Server;

/// <summary>
/// <see cref="TrackingServer.Start"/> as a notebook uses it: the real <c>courseware server</c> process built into
/// build/cli/, on a free port, reached through <see cref="Tracker.Open(string?, TrackerOptions?)"/>, stopped by Dispose.
/// </summary>
public sealed class TrackingServerLauncherTests
{
    internal static string Cli()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return Path.Combine(dir.FullName, "build", "cli", OperatingSystem.IsWindows() ? "courseware.exe" : "courseware");
    }

    [Fact]
    public async Task Start_runs_the_cli_on_a_free_port_and_dispose_stops_it()
    {
        using var folder = new TempFolder();
        int pid;
        string url;
        using (var server = TrackingServer.Start(folder.Path, Cli()))
        {
            url = server.Url;
            Assert.Matches(@"^http://127\.0\.0\.1:\d+$", url);
            Assert.NotEqual("http://127.0.0.1:5000", url);
            using (var tracker = Tracker.Open(url))
            using (var run = tracker.StartRun("launched", name: "first"))
                run.LogMetric("acc", 0.75);
            pid = server.ProcessId;
            Assert.Contains(url, server.ToHtml());
            // Server GC for the many concurrent clients a server has, unless the caller chose (bench/server).
            var environment = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
            Assert.Contains($"DOTNET_gcServer={Environment.GetEnvironmentVariable("DOTNET_gcServer") ?? "1"}", environment);
        }
        Assert.True(HasExited(pid));
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(url + "/health"));
        // What went through the server is in the folder.
        await using var store = SqliteTrackingStore.Open(folder.Path);
        var experiment = await store.GetExperimentByNameAsync("launched");
        var runs = await store.SearchRunsAsync(new RunQuery([experiment!.ExperimentId]));
        Assert.Equal((1, "first", 0.75), (runs.Count, runs[0].Name, runs[0].Metric("acc")));
    }

    [Fact]
    public async Task Starting_again_for_the_same_folder_replaces_the_server_like_a_rerun_cell()
    {
        using var folder = new TempFolder();
        using var other = new TempFolder();
        using var first = TrackingServer.Start(folder.Path, Cli());
        var firstPid = first.ProcessId;
        using var elsewhere = TrackingServer.Start(other.Path, Cli());
        // The cell runs again: the earlier server for this folder is stopped, not left running beside the new one.
        using var second = TrackingServer.Start(folder.Path, Cli());
        Assert.False(first.IsRunning);
        Assert.True(HasExited(firstPid));
        Assert.True(second.IsRunning);
        Assert.True(elsewhere.IsRunning); // another folder's server is left alone
        using var http = new HttpClient();
        Assert.Equal("OK", await http.GetStringAsync(second.Url + "/health"));
        // Disposing the replaced handle (the old cell's `using`) does not touch the new server.
        first.Dispose();
        Assert.True(second.IsRunning);
        Assert.Equal("OK", await http.GetStringAsync(second.Url + "/health"));
    }

    [Fact]
    public void A_missing_cli_or_a_server_that_fails_to_start_is_a_clear_error()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => TrackingServer.Start(command: "/nonexistent/courseware"));
        Assert.Contains("dotnet build", missing.Message);
        // A store path that is a file cannot be opened: the server exits and its error is reported.
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "not-a-folder");
        File.WriteAllText(file, "x");
        var failed = Assert.Throws<InvalidOperationException>(() => TrackingServer.Start(file, Cli(), TimeSpan.FromSeconds(60)));
        Assert.Contains("did not start", failed.Message);
        Assert.Contains("Cannot open the tracking store", failed.Message);
        // A location that is a server already, or names no store, is refused before any process starts.
        var server = Assert.Throws<ArgumentException>(() => TrackingServer.Start("http://127.0.0.1:5000", Cli()));
        Assert.Contains("is a tracking server already", server.Message);
        var unknown = Assert.Throws<TrackingException>(() => TrackingServer.Start("mysql://root:secret@db/x", Cli()));
        Assert.Contains("no tracking store for 'mysql:' URIs", unknown.Message);
        Assert.DoesNotContain("secret", unknown.Message);
    }

    [Fact]
    public async Task The_cli_refuses_a_network_bind_without_a_token()
    {
        var info = new ProcessStartInfo(Cli()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "server", "--host", "0.0.0.0", "--port", "0" }) info.ArgumentList.Add(arg);
        info.Environment.Remove("COURSEWARE_SERVER_TOKEN");
        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--token", stderr);
        Assert.Contains("--insecure", stderr);
    }

    private static bool HasExited(int pid)
    {
        try { return Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return true; }
    }
}
