namespace Courseware.Drift;

/// <summary>The state of one monitor in a <see cref="DriftExporter"/>.</summary>
/// <param name="Name">The monitor's name.</param>
/// <param name="Result">The latest successful scoring, or null when the last attempt failed.</param>
/// <param name="Error">Why the last attempt failed, or null.</param>
/// <param name="RefreshedAt">When the data was last scored successfully (UTC), or null.</param>
public sealed record MonitorStatus(string Name, MonitoringResult? Result, string? Error, DateTimeOffset? RefreshedAt);

/// <summary>
/// A Prometheus exporter for drift monitors: scores each monitor of a <see cref="MonitorConfig"/> and answers a scrape
/// with the latest window's gauges (<see cref="MonitoringResult.AddTo"/>, labelled <c>monitor</c>) plus
/// <c>{prefix}_monitor_up</c> and <c>{prefix}_monitor_last_refresh_timestamp_seconds</c> per monitor. A scrape
/// re-scores only the monitors whose files changed (size or write time) since they were last scored; a monitor whose
/// data cannot be read or scored reports <c>up 0</c> and no drift gauges (no stale numbers) until it can.
/// </summary>
/// <example><code>var exporter = await DriftExporter.LoadAsync("monitors.yaml"); Console.Write(await exporter.ScrapeAsync());</code></example>
public sealed class DriftExporter
{
    private readonly Monitor[] _monitors;

    private sealed class Monitor(MonitorSpec spec)
    {
        public MonitorSpec Spec { get; } = spec;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public string? Fingerprint { get; set; }
        public MonitorStatus Status { get; set; } = new(spec.Name, null, null, null);
    }

    /// <summary>Wraps <paramref name="config"/>; nothing is read until <see cref="RefreshAsync(CancellationToken)"/> or a scrape.</summary>
    public DriftExporter(MonitorConfig config)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        _monitors = config.Monitors.Select(m => new Monitor(m)).ToArray();
    }

    /// <summary>The monitors being exported.</summary>
    public MonitorConfig Config { get; }

    /// <summary>Each monitor's latest state, in the configured order.</summary>
    public IReadOnlyList<MonitorStatus> Statuses => _monitors.Select(m => m.Status).ToList();

    /// <summary>
    /// Loads a monitoring file and scores every monitor once, so that a wrong path, column or window is reported at
    /// start rather than at the first scrape.
    /// </summary>
    /// <exception cref="FormatException">The YAML is wrong (file, line, column and field named).</exception>
    /// <exception cref="InvalidDataException">A monitor's data cannot be scored (monitor and field named).</exception>
    public static async Task<DriftExporter> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        var exporter = new DriftExporter(MonitorConfig.Load(path));
        await exporter.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var errors = exporter.Statuses.Where(s => s.Error is not null).Select(s => s.Error).ToList();
        if (errors.Count > 0) throw new InvalidDataException(string.Join(Environment.NewLine, errors));
        return exporter;
    }

    /// <summary>Re-scores every monitor whose files changed since it was last scored (all of them the first time).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        foreach (var monitor in _monitors)
            await RefreshAsync(monitor, cancellationToken).ConfigureAwait(false);
    }

    private static async Task RefreshAsync(Monitor monitor, CancellationToken cancellationToken)
    {
        await monitor.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var fingerprint = Fingerprint(monitor.Spec);
            if (fingerprint == monitor.Fingerprint) return;
            try
            {
                var result = await monitor.Spec.RunAsync(cancellationToken).ConfigureAwait(false);
                monitor.Status = new MonitorStatus(monitor.Spec.Name, result, null, DateTimeOffset.UtcNow);
            }
            catch (InvalidDataException e)
            {
                monitor.Status = monitor.Status with { Result = null, Error = e.Message };
            }
            monitor.Fingerprint = fingerprint;
        }
        finally
        {
            monitor.Gate.Release();
        }
    }

    // Size and write time of each input: a file replaced or appended to scores again.
    private static string Fingerprint(MonitorSpec spec) => string.Join("|", spec.Files.Select(f =>
    {
        var info = new FileInfo(f);
        return info.Exists ? $"{f}:{info.Length}:{info.LastWriteTimeUtc.Ticks}" : $"{f}:missing";
    }));

    /// <summary>Refreshes what changed and returns every monitor's gauges.</summary>
    public async Task<PrometheusMetrics> CollectAsync(CancellationToken cancellationToken = default)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        var metrics = new PrometheusMetrics();
        var prefix = Config.Prefix;
        metrics.Gauge(prefix + "_monitors", "Drift monitors configured on this server.", _monitors.Length);
        var statuses = Statuses; // one snapshot: a concurrent scrape may refresh a monitor meanwhile
        foreach (var status in statuses)
            metrics.Gauge(prefix + "_monitor_up", "1 when the monitor's data was read and scored, 0 when it failed (the error is at /api/2.0/courseware/monitors).",
                status.Result is null ? 0 : 1, ("monitor", status.Name));
        foreach (var status in statuses.Where(s => s.RefreshedAt is not null))
            metrics.Gauge(prefix + "_monitor_last_refresh_timestamp_seconds", "When the monitor's data was last scored (Unix time).",
                status.RefreshedAt!.Value.ToUnixTimeMilliseconds() / 1000.0, ("monitor", status.Name));
        foreach (var status in statuses.Where(s => s.Result is not null))
            status.Result!.AddTo(metrics, prefix, ("monitor", status.Name));
        return metrics;
    }

    /// <summary>The exposition text a <c>/metrics</c> endpoint returns (<see cref="PrometheusMetrics.ContentType"/>).</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellationToken = default) =>
        (await CollectAsync(cancellationToken).ConfigureAwait(false)).ToString();
}
