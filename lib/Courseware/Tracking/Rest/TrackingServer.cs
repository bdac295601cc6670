using System.Diagnostics;
using System.Text;
using Courseware.Notebooks;

namespace Courseware.Tracking;

/// <summary>
/// A <c>courseware server</c> process started from a notebook or program: the tracking UI and REST API over a store
/// folder, on a free port of 127.0.0.1. The library does not host ASP.NET itself (notebook hosts do not carry it), so it
/// runs the CLI that sits beside it (<c>build/cli/courseware</c> next to <c>build/Courseware/</c>). Dispose stops it.
/// Re-running a notebook cell is safe: starting a server for a store folder this process already serves stops the
/// earlier server first (one server per folder, no leaked process), and servers still running when the process
/// exits are stopped.
/// </summary>
/// <example><code>using var server = TrackingServer.Start(".courseware/tracking");   // prints http://127.0.0.1:41235</code></example>
public sealed class TrackingServer : HtmlDisplayable, IDisposable
{
    /// <summary>How long <see cref="Start"/> waits for the server to answer /health by default.</summary>
    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(60);

    // The servers this process started, by store folder: what a re-run cell replaces and process exit stops.
    private static readonly Dictionary<string, TrackingServer> Running = new(StringComparer.Ordinal);
    private static readonly Lock RunningLock = new();

    private readonly Process _process;
    private readonly StringBuilder _errors;
    private readonly TrackingLocation _location;

    private const string ServerGcVariable = "DOTNET_gcServer";
    private int _disposed;

    static TrackingServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        TrackingServer[] left;
        lock (RunningLock) left = [.. Running.Values];
        foreach (var server in left) server.Dispose();
    };

    private TrackingServer(Process process, StringBuilder errors, string url, TrackingLocation location)
    {
        _process = process;
        _errors = errors;
        Url = url;
        _location = location;
    }

    /// <summary>The server's base URL, e.g. <c>http://127.0.0.1:41235</c>; give it to <see cref="Tracker.Open(string?, TrackerOptions?)"/>.</summary>
    public string Url { get; }

    /// <summary>The store being served: its folder's full path, or the PostgreSQL location as given.</summary>
    public string StorePath => _location.Store;

    /// <summary>The server process's id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the server process is still running.</summary>
    public bool IsRunning
    {
        get
        {
            try { return !_process.HasExited; }
            catch (InvalidOperationException) { return false; } // disposed: the process is gone
        }
    }

    /// <summary>
    /// Starts <c>courseware server --store <paramref name="storePath"/> --port 0</c>, waits until it answers /health,
    /// prints and returns its URL. A server this process started earlier for the same store is stopped first.
    /// </summary>
    /// <param name="storePath">
    /// Store folder (default <see cref="Tracker.DefaultLocation"/>), or a PostgreSQL location (<see cref="TrackingLocation"/>),
    /// which reaches the server through its environment (<see cref="TrackingLocation.EnvironmentVariable"/>), not its
    /// command line, so a password in it is not shown to other users of the machine.
    /// </param>
    /// <param name="command">The <c>courseware</c> executable; default: <c>../cli/courseware</c> relative to Courseware.dll's folder.</param>
    /// <param name="startTimeout">How long to wait for it to answer (default <see cref="DefaultStartTimeout"/>).</param>
    /// <param name="monitors">A drift monitoring YAML (<see cref="Drift.MonitorConfig"/>) whose gauges the server serves at <c>/metrics</c>.</param>
    /// <param name="artifacts">The artifact folder of a PostgreSQL store (default <see cref="TrackingLocation.DefaultArtifactFolder"/>).</param>
    public static TrackingServer Start(string? storePath = null, string? command = null, TimeSpan? startTimeout = null, string? monitors = null, string? artifacts = null)
    {
        var location = TrackingLocation.Parse(storePath ?? Tracker.DefaultLocation, artifacts);
        if (location.Kind == TrackingStoreKind.Server)
            throw new ArgumentException($"{location} is a tracking server already; start one over a store folder or a PostgreSQL database.", nameof(storePath));
        storePath = location.Store;
        TrackingServer? previous;
        lock (RunningLock) Running.TryGetValue(storePath, out previous);
        previous?.Dispose();
        command ??= DefaultCommand();
        if (!File.Exists(command))
            throw new FileNotFoundException(
                $"The courseware CLI is not at {command}; build it (dotnet build lib/Courseware.Cli -c Release) or pass its path as 'command'.", command);
        var info = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var arg in new[] { "server", "--host", "127.0.0.1", "--port", "0" }) info.ArgumentList.Add(arg);
        // A server answers many clients at once: server GC (ASP.NET Core's default) took four concurrent clients'
        // ingest from 616-656k to 714-806k points/s at ~80 MB more peak memory (bench/server). The caller's choice wins.
        if (Environment.GetEnvironmentVariable(ServerGcVariable) is null) info.Environment[ServerGcVariable] = "1";
        if (location.Kind == TrackingStoreKind.Postgres)
        {
            info.Environment[TrackingLocation.EnvironmentVariable] = location.Store;
            info.ArgumentList.Add("--artifacts");
            info.ArgumentList.Add(location.ArtifactFolder!);
        }
        else
        {
            info.ArgumentList.Add("--store");
            info.ArgumentList.Add(storePath);
        }
        if (monitors is not null)
        {
            info.ArgumentList.Add("--monitors");
            info.ArgumentList.Add(Path.GetFullPath(monitors));
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {command}.");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            var url = WaitUntilListening(process, errors, startTimeout ?? DefaultStartTimeout);
            Console.WriteLine($"Tracking server: {url}");
            var server = new TrackingServer(process, errors, url, location);
            lock (RunningLock) Running[storePath] = server;
            return server;
        }
        catch
        {
            Stop(process);
            process.Dispose();
            throw;
        }
    }

    private static string WaitUntilListening(Process process, StringBuilder errors, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        // The first line of `courseware server` is "Listening on <url>".
        var firstLine = process.StandardOutput.ReadLineAsync();
        if (!firstLine.Wait(timeout) || firstLine.Result is not { } line || !line.StartsWith("Listening on ", StringComparison.Ordinal))
            throw Failed(process, errors, "it did not report its address");
        var url = line["Listening on ".Length..].Trim();
        // Keep draining stdout so the process never blocks on a full pipe.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited) throw Failed(process, errors, $"it exited with code {process.ExitCode}");
            try
            {
                if (http.GetAsync(url + "/health").GetAwaiter().GetResult().IsSuccessStatusCode) return url;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            Thread.Sleep(100);
        }
        throw Failed(process, errors, $"{url}/health did not answer within {timeout.TotalSeconds:0} s");
    }

    private static InvalidOperationException Failed(Process process, StringBuilder errors, string why)
    {
        if (!process.HasExited) process.WaitForExit(500);
        string stderr;
        lock (errors) stderr = errors.ToString().Trim();
        return new InvalidOperationException($"The tracking server did not start: {why}." + (stderr.Length > 0 ? "\n" + stderr : ""));
    }

    // Notebooks load Courseware.dll from build/Courseware/, next to build/cli/; a program that references both the
    // library and the CLI (the tests, for one) has the CLI's app host beside the library instead.
    private static string DefaultCommand()
    {
        var folder = Path.GetDirectoryName(typeof(TrackingServer).Assembly.Location) ?? AppContext.BaseDirectory;
        var exe = OperatingSystem.IsWindows() ? ".exe" : "";
        string[] candidates = [Path.Combine(folder, "..", "cli", "courseware" + exe), Path.Combine(folder, "Courseware.Cli" + exe)];
        return Path.GetFullPath(candidates.FirstOrDefault(File.Exists) ?? candidates[0]);
    }

    /// <summary>What the server wrote to stderr so far (empty when all is well).</summary>
    public string Errors { get { lock (_errors) return _errors.ToString(); } }

    /// <summary>A link to the UI.</summary>
    public override string ToHtml() =>
        $"<a href=\"{Html.Escape(Url)}\" target=\"_blank\">Tracking UI: {Html.Escape(Url)}</a> (store {Html.Escape(_location.ToString())})";

    /// <inheritdoc />
    public override string ToString() => Url;

    /// <summary>Stops the server process (a second call does nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (RunningLock)
            if (Running.TryGetValue(StorePath, out var registered) && ReferenceEquals(registered, this)) Running.Remove(StorePath);
        Stop(_process);
        _process.Dispose();
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
