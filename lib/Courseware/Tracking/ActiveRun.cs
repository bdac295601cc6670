using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Analysis;

namespace Courseware.Tracking;

/// <summary>
/// A run in progress, returned by <see cref="Tracker.StartRun"/>. Metrics are queued and written in batches in the
/// background (<see cref="Flush"/> waits for them); params, tags and artifacts are written at once so a mistake
/// (e.g. re-logging a param with another value) throws at the call that made it. A heartbeat marks the run alive;
/// if the process dies, the run is later marked FAILED (<see cref="Tracker.FailStaleRunsAsync"/>).
/// <para>Ending: <see cref="Dispose"/> ends it FINISHED unless it already ended. <see cref="Fail"/> ends it FAILED:
/// call it in a <c>catch</c>, or as an exception filter, <c>catch (Exception e) when (run.Fail(e)) { }</c>, which
/// records the failure without catching — this is what <see cref="Tracker.Run"/> does for you.</para>
/// </summary>
public sealed class ActiveRun : IDisposable, IAsyncDisposable
{
    private readonly Tracker _tracker;
    private readonly CancellationTokenSource _stopHeartbeat = new();
    private readonly Task _heartbeat;
    private readonly object _endLock = new();
    private RunStatus? _endStatus;

    internal ActiveRun(Tracker tracker, RunInfo info, ActiveRun? parent)
    {
        _tracker = tracker;
        Info = info;
        Parent = parent;
        Tracker.Wait(tracker.Store.HeartbeatAsync(info.RunId, TrackingNames.NowMs()));
        _heartbeat = BeatAsync(tracker.Options.HeartbeatInterval, _stopHeartbeat.Token);
    }

    /// <summary>The run's attributes when it started.</summary>
    public RunInfo Info { get; }

    /// <summary>The run id (32 hex digits).</summary>
    public string RunId => Info.RunId;

    /// <summary>The run name.</summary>
    public string Name => Info.RunName;

    /// <summary>The parent of a nested run, else null.</summary>
    public ActiveRun? Parent { get; }

    /// <summary>How the run ended, or null while it is running.</summary>
    public RunStatus? EndStatus { get { lock (_endLock) return _endStatus; } }

    // ---------------- metrics ----------------

    /// <summary>Queues one metric value (validated now, written in the background).</summary>
    /// <example><code>run.LogMetric("val/acc", 0.93, step: 5);</code></example>
    public void LogMetric(string key, double value, long step = 0, DateTimeOffset? time = null)
    {
        ThrowIfEnded();
        var metric = TrackingValidation.ValidateMetric(new Metric(key, value, (time ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds(), step));
        _tracker.QueueMetric(RunId, metric);
    }

    /// <summary>Queues several metrics at one step: an anonymous object or a dictionary of numbers.</summary>
    /// <example><code>run.LogMetrics(new { loss = 0.31, acc = 0.9 }, step: 3);</code></example>
    public void LogMetrics(object values, long step = 0)
    {
        var time = DateTimeOffset.UtcNow;
        foreach (var (key, raw) in KeyValues.Raw(values))
        {
            var value = raw switch
            {
                double d => d,
                float f => f,
                IConvertible c and not string and not bool => c.ToDouble(CultureInfo.InvariantCulture),
                _ => throw TrackingException.InvalidParameter($"metrics[{key}].value",
                    $"Metric '{key}' has the value {KeyValues.Format(raw)} of type {raw?.GetType().Name ?? "null"}; metrics must be numbers."),
            };
            LogMetric(key, value, step, time);
        }
    }

    /// <summary>Waits until every metric logged so far is committed.</summary>
    public void Flush() => _tracker.Flush();

    // ---------------- params and tags ----------------

    /// <summary>Logs one param now (same value again: fine; different value: INVALID_PARAMETER_VALUE).</summary>
    public void LogParam(string key, object? value) => LogParams(new Dictionary<string, object?> { [key] = value });

    /// <summary>Logs params from an anonymous object or a dictionary; values are formatted invariantly (0.01 → "0.01").</summary>
    /// <example><code>run.LogParams(new { lr = 0.01, epochs = 20 });</code></example>
    public void LogParams(object values)
    {
        ThrowIfEnded();
        foreach (var chunk in KeyValues.From(values).Select(kv => new Param(kv.Key, kv.Value)).Chunk(TrackingLimits.MaxParamsTagsPerBatch))
            Tracker.Wait(_tracker.Store.LogBatchAsync(RunId, [], chunk, []));
    }

    /// <summary>Sets (or overwrites) a tag now.</summary>
    public void SetTag(string key, object? value) => SetTags(new Dictionary<string, object?> { [key] = value });

    /// <summary>Sets tags from an anonymous object or a dictionary.</summary>
    public void SetTags(object values)
    {
        ThrowIfEnded();
        foreach (var chunk in KeyValues.From(values).Select(kv => new RunTag(kv.Key, kv.Value)).Chunk(TrackingLimits.MaxParamsTagsPerBatch))
            Tracker.Wait(_tracker.Store.LogBatchAsync(RunId, [], [], chunk));
    }

    /// <summary>Sets the run's description (tag <c>mlflow.note.content</c>, shown by MLflow's UI).</summary>
    public void SetNote(string markdown) => SetTag(SystemTags.Note, markdown);

    // ---------------- artifacts ----------------

    /// <summary>Copies a local file into the run's artifacts, under <paramref name="artifactFolder"/> if given.</summary>
    public void LogArtifact(string localFile, string? artifactFolder = null)
    {
        if (!File.Exists(localFile))
            throw TrackingException.InvalidParameter("local_path", $"No file at '{localFile}'.");
        using var stream = File.OpenRead(localFile);
        Write(Combine(artifactFolder, Path.GetFileName(localFile)), stream);
    }

    /// <summary>Copies a local folder (recursively) into the run's artifacts, under <paramref name="artifactFolder"/> if given.</summary>
    public void LogArtifacts(string localFolder, string? artifactFolder = null)
    {
        if (!Directory.Exists(localFolder))
            throw TrackingException.InvalidParameter("local_dir", $"No folder at '{localFolder}'.");
        foreach (var file in Directory.EnumerateFiles(localFolder, "*", SearchOption.AllDirectories))
        {
            using var stream = File.OpenRead(file);
            Write(Combine(artifactFolder, Path.GetRelativePath(localFolder, file).Replace('\\', '/')), stream);
        }
    }

    /// <summary>Saves text as an artifact (UTF-8).</summary>
    /// <example><code>run.LogText("converged after 12 epochs", "notes.txt");</code></example>
    public void LogText(string text, string artifactPath) => Write(artifactPath, new MemoryStream(Encoding.UTF8.GetBytes(text)));

    /// <summary>Saves a value as indented JSON.</summary>
    public void LogJson(object? value, string artifactPath) =>
        Write(artifactPath, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(value, JsonOptions)));

    /// <summary>Saves a DataFrame as CSV (header row, invariant culture).</summary>
    public void LogDataFrame(DataFrame frame, string artifactPath)
    {
        using var buffer = new MemoryStream();
        DataFrame.SaveCsv(frame, buffer, cultureInfo: CultureInfo.InvariantCulture);
        buffer.Position = 0;
        Write(artifactPath, buffer);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private static string Combine(string? folder, string name) => string.IsNullOrEmpty(folder) ? name : folder.TrimEnd('/') + "/" + name;

    private void Write(string artifactPath, Stream content) =>
        Tracker.Wait(_tracker.Artifacts.WriteAsync(Info.ArtifactUri, artifactPath, content));

    // ---------------- ending ----------------

    /// <summary>Ends the run FAILED, recording the exception in tag <c>courseware.failure</c>.
    /// Returns false, so it can serve as an exception filter that records without catching.</summary>
    public bool Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var text = $"{exception.GetType().FullName}: {exception.Message}";
        End(RunStatus.Failed, text.Length > TrackingLimits.MaxRunTagValueLength ? text[..TrackingLimits.MaxRunTagValueLength] : text);
        return false;
    }

    /// <summary>Ends the run with a status (FINISHED, FAILED or KILLED) after flushing its metrics. Ending twice is a no-op.</summary>
    public void End(RunStatus status = RunStatus.Finished) => End(status, null);

    private void End(RunStatus status, string? failure)
    {
        if (status is RunStatus.Running or RunStatus.Scheduled)
            throw TrackingException.InvalidParameter("status", $"A run ends FINISHED, FAILED or KILLED, not {status.ToWire()}.");
        lock (_endLock)
        {
            if (_endStatus is not null) return;
            _endStatus = status;
        }
        _stopHeartbeat.Cancel();
        Tracker.Wait(_heartbeat);
        _stopHeartbeat.Dispose();
        try
        {
            _tracker.Flush();
        }
        finally
        {
            if (failure is not null)
                Tracker.Wait(_tracker.Store.LogBatchAsync(RunId, [], [], [new RunTag(SystemTags.Failure, failure)]));
            Tracker.Wait(_tracker.Store.UpdateRunAsync(RunId, status, TrackingNames.NowMs()));
        }
    }

    /// <summary>A fresh snapshot of the run as stored (after flushing its metrics).</summary>
    public async Task<Run> GetAsync()
    {
        await _tracker.FlushAsync().ConfigureAwait(false);
        return await _tracker.Store.GetRunAsync(RunId).ConfigureAwait(false);
    }

    /// <summary>Ends the run FINISHED unless it already ended.</summary>
    public void Dispose() => End(RunStatus.Finished);

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void ThrowIfEnded()
    {
        if (EndStatus is { } s)
            throw new TrackingException(TrackingErrorCode.InvalidState, $"Run '{Name}' ({RunId}) already ended {s.ToWire()}; start a new run to log more.", "run_id");
    }

    // An async loop rather than a Timer: beats never overlap and never block a thread-pool thread while the store
    // waits for another process's write lock (blocked timer callbacks piling up starve the pool).
    private async Task BeatAsync(TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await _tracker.Store.HeartbeatAsync(RunId, TrackingNames.NowMs(), stop).ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                    return; // the tracker was closed under a run that was never ended
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed beat is harmless (the next one catches up); staleness needs many in a row.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"Run '{Name}' ({RunId}) {(EndStatus?.ToWire() ?? "RUNNING")}";
}

/// <summary>Turns an anonymous object or a dictionary into key/value pairs (for params, tags and metrics).</summary>
internal static class KeyValues
{
    public static IEnumerable<(string Key, object? Value)> Raw(object? values) => values switch
    {
        null => [],
        IDictionary d => d.Keys.Cast<object>().Select(k => (Convert.ToString(k, CultureInfo.InvariantCulture)!, d[k])),
        _ => values.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0).Select(p => (p.Name, p.GetValue(values))),
    };

    public static IEnumerable<KeyValuePair<string, string>> From(object? values) =>
        Raw(values).Select(kv => new KeyValuePair<string, string>(kv.Key, Format(kv.Value)));

    public static string Format(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
