using System.Net;
using Courseware.Registry;
using Courseware.Tracking;
using Courseware.Tracking.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Courseware.Cli.Server;

/// <summary>How the tracking server listens.</summary>
/// <param name="Host">Bind address; 127.0.0.1 by default. Anything but a loopback address needs a token or <paramref name="Insecure"/>.</param>
/// <param name="Port">TCP port; 0 picks a free one.</param>
/// <param name="Token">Bearer token every request must carry (header, or the cookie the UI gets from <c>?token=</c>).</param>
/// <param name="Insecure">Explicitly allows a non-loopback bind without a token.</param>
internal sealed record ServerOptions(string Host = "127.0.0.1", int Port = 5000, string? Token = null, bool Insecure = false)
{
    /// <summary>Environment variable read when no --token is given.</summary>
    public const string TokenVariable = "COURSEWARE_SERVER_TOKEN";

    /// <summary>Drift monitors served at /metrics (<c>--monitors</c>); none when null.</summary>
    public Courseware.Drift.DriftExporter? Monitors { get; init; }

    /// <summary>The largest artifact upload accepted (<c>--max-artifact-mb</c>); bigger ones get 413. Uploads stream to disk, so memory does not grow with size.</summary>
    public long MaxArtifactBytes { get; init; } = DefaultMaxArtifactBytes;

    /// <summary>Default <see cref="MaxArtifactBytes"/>: 2 GiB.</summary>
    public const long DefaultMaxArtifactBytes = 2L << 30;

    /// <summary>A RUNNING run whose last heartbeat is older than this is marked FAILED by the server (as a Tracker does when it opens).</summary>
    public TimeSpan StaleAfter { get; init; } = new TrackerOptions().StaleAfter;

    /// <summary>How often the server looks for stale runs.</summary>
    public TimeSpan StaleCheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether <see cref="Host"/> only accepts connections from this machine.</summary>
    public bool IsLoopback => Host is "localhost" || (IPAddress.TryParse(Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Refuses an exposed bind without a token unless <see cref="Insecure"/> says so, and checks the values.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
            throw new ArgumentException($"--port must be between 0 and 65535, got {Port}.");
        if (Host != "localhost" && !IPAddress.TryParse(Host.Trim('[', ']'), out _))
            throw new ArgumentException($"--host must be an IP address (e.g. 127.0.0.1, 0.0.0.0) or localhost, got '{Host}'.");
        if (!IsLoopback && string.IsNullOrEmpty(Token) && !Insecure)
            throw new ArgumentException(
                $"Binding {Host} exposes the tracking server to the network: give a bearer token (--token or ${TokenVariable}), " +
                "or pass --insecure to allow anyone who can reach this port to read and write runs.");
        if (Token is { Length: < 16 })
            throw new ArgumentException("The token must be at least 16 characters long.");
        if (MaxArtifactBytes <= 0)
            throw new ArgumentException($"--max-artifact-mb must be positive, got {MaxArtifactBytes / (1 << 20)}.");
        if (StaleAfter <= TimeSpan.Zero || StaleCheckInterval <= TimeSpan.Zero)
            throw new ArgumentException($"--stale-after must be positive, got {StaleAfter.TotalSeconds} s.");
    }

    /// <summary>What the operator should know before the server listens (printed to stderr by <c>courseware server</c>).</summary>
    public IEnumerable<string> Warnings()
    {
        if (!IsLoopback && string.IsNullOrEmpty(Token))
            yield return $"WARNING: --insecure: {Host}:{Port} is open to the network without a token; anyone who can reach it can read, change and delete runs, models and artifacts.";
        else if (Insecure)
            yield return "Note: --insecure has no effect here (the server is on loopback or has a token).";
    }
}

/// <summary>
/// The tracking server: MLflow's REST API over an <see cref="ITrackingStore"/>, the artifact endpoints and the web UI,
/// hosted by Kestrel. Used by <c>courseware server</c> and by the tests (in-process, on a free port).
/// </summary>
internal sealed class TrackingServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TrackingServerHost(WebApplication app, ITrackingStore store, string url)
    {
        _app = app;
        Store = store;
        Url = url;
    }

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:5000</c> (no trailing slash).</summary>
    public string Url { get; }

    /// <summary>Fires when the host is asked to stop (SIGTERM or Ctrl+C through the console lifetime).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>The store behind the API.</summary>
    public ITrackingStore Store { get; }

    /// <summary>Starts serving <paramref name="store"/> (which the host does not dispose) and returns once it listens.</summary>
    public static async Task<TrackingServerHost> StartAsync(ITrackingStore store, ServerOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            var ip = options.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host.Trim('[', ']'));
            k.Listen(ip, options.Port);
        });
        builder.Services.AddSingleton(store);
        var app = builder.Build();
        app.UseMiddleware<ServerSecurity>(options);
        MlflowApi.Map(app, [.. MlflowEndpoints.Tracking(store), .. RegistryEndpoints.For(store)]);
        ArtifactApi.Map(app, store, options.MaxArtifactBytes);
        SweepApi.Map(app, store);
        RunCountApi.Map(app, store);
        WebUi.Map(app);
        DriftMetricsApi.Map(app, options.Monitors);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _ = FailStaleRunsAsync(store, options, app.Lifetime.ApplicationStopping);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        var host = options.Host.Contains(':') && !options.Host.StartsWith('[') ? $"[{options.Host}]" : options.Host;
        return new TrackingServerHost(app, store, $"http://{host}:{port}");
    }

    // Runs whose process died (no heartbeat for StaleAfter) end FAILED even if no Tracker ever opens the store again.
    private static async Task FailStaleRunsAsync(ITrackingStore store, ServerOptions options, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.StaleCheckInterval);
        do
        {
            try
            {
                var failed = await store.FailStaleRunsAsync(DateTimeOffset.UtcNow.Add(-options.StaleAfter).ToUnixTimeMilliseconds(), stopping).ConfigureAwait(false);
                if (failed.Count > 0) Console.Error.WriteLine($"Marked FAILED (no heartbeat for {options.StaleAfter.TotalSeconds:0} s): {string.Join(", ", failed)}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"Stale-run check failed: {e.Message}");
            }
        } while (await WaitAsync(timer, stopping).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
