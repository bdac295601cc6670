using Courseware.Notebooks;

namespace Courseware.Tracking;

/// <summary>Where a run is in its life. Same names and meaning as MLflow's <c>RunStatus</c>.</summary>
public enum RunStatus
{
    /// <summary>Created and logging.</summary>
    Running,
    /// <summary>Created but not started yet (e.g. queued by a sweep).</summary>
    Scheduled,
    /// <summary>Ended normally.</summary>
    Finished,
    /// <summary>Ended by an error, or its process died (stale heartbeat).</summary>
    Failed,
    /// <summary>Stopped on purpose before it finished.</summary>
    Killed,
}

/// <summary>Soft-delete state of an experiment or run: deleted entities keep their data and can be restored.</summary>
public enum LifecycleStage
{
    /// <summary>Visible in searches.</summary>
    Active,
    /// <summary>Soft-deleted: hidden from default searches, restorable.</summary>
    Deleted,
}

/// <summary>Which lifecycle stages a search returns.</summary>
public enum ViewType
{
    /// <summary>Only active entities (the default).</summary>
    ActiveOnly,
    /// <summary>Only soft-deleted entities.</summary>
    DeletedOnly,
    /// <summary>Both.</summary>
    All,
}

/// <summary>MLflow's wire spellings of the enums (RUNNING, active, ...), shared by every store and the REST seam.</summary>
public static class TrackingNames
{
    /// <summary>RUNNING, SCHEDULED, FINISHED, FAILED or KILLED.</summary>
    public static string ToWire(this RunStatus status) => status.ToString().ToUpperInvariant();

    /// <summary>"active" or "deleted".</summary>
    public static string ToWire(this LifecycleStage stage) => stage == LifecycleStage.Active ? "active" : "deleted";

    /// <summary>Parses RUNNING, FINISHED, ... (case-insensitive); throws INVALID_PARAMETER_VALUE otherwise.</summary>
    public static RunStatus ParseRunStatus(string value) =>
        Enum.TryParse<RunStatus>(value, ignoreCase: true, out var s) && Enum.IsDefined(s) && !int.TryParse(value, out _)
            ? s
            : throw TrackingException.InvalidParameter("status",
                $"Invalid run status '{value}': expected one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED.");

    /// <summary>Parses "active" or "deleted".</summary>
    public static LifecycleStage ParseLifecycleStage(string value) => value switch
    {
        "active" => LifecycleStage.Active,
        "deleted" => LifecycleStage.Deleted,
        _ => throw TrackingException.InvalidParameter("lifecycle_stage", $"Invalid lifecycle stage '{value}': expected 'active' or 'deleted'."),
    };

    /// <summary>Milliseconds since the Unix epoch, the time unit of every timestamp in this namespace.</summary>
    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>
/// One measurement of a metric: a value at a training step and wall-clock time.
/// NaN is kept as NaN; ±∞ is stored as ±<see cref="double.MaxValue"/> (MLflow's convention).
/// </summary>
/// <param name="Key">Metric name, e.g. <c>val/acc</c>.</param>
/// <param name="Value">The measured value.</param>
/// <param name="Timestamp">Milliseconds since the Unix epoch.</param>
/// <param name="Step">Training step (0 when not given).</param>
public sealed record Metric(string Key, double Value, long Timestamp, long Step = 0)
{
    /// <summary>The timestamp as a date.</summary>
    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(Timestamp);

    /// <summary>
    /// Orders measurements the way MLflow picks a metric's "latest" value: by step, then timestamp, then value
    /// (NaN below every number so the choice is deterministic).
    /// </summary>
    public static int CompareLatest(Metric a, Metric b)
    {
        var c = a.Step.CompareTo(b.Step);
        if (c != 0) return c;
        c = a.Timestamp.CompareTo(b.Timestamp);
        return c != 0 ? c : a.Value.CompareTo(b.Value); // double.CompareTo puts NaN below every number
    }
}

/// <summary>A hyperparameter or setting of a run. Write-once: re-logging the same value is fine, a different value is an error.</summary>
public sealed record Param(string Key, string Value);

/// <summary>A mutable key/value label on a run (system tags start with <c>mlflow.</c> or <c>courseware.</c>).</summary>
public sealed record RunTag(string Key, string Value);

/// <summary>A key/value label on an experiment.</summary>
public sealed record ExperimentTag(string Key, string Value);

/// <summary>A named group of runs (one per question being studied, e.g. "penguins").</summary>
public sealed record Experiment(
    string ExperimentId,
    string Name,
    string ArtifactLocation,
    LifecycleStage LifecycleStage,
    long CreationTime,
    long LastUpdateTime,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>The attributes of a run (everything but its metrics, params and tags).</summary>
public sealed record RunInfo(
    string RunId,
    string ExperimentId,
    string RunName,
    string UserId,
    RunStatus Status,
    long StartTime,
    long? EndTime,
    string ArtifactUri,
    LifecycleStage LifecycleStage)
{
    /// <summary>Wall-clock duration, or null while the run has not ended.</summary>
    public TimeSpan? Duration => EndTime is { } end ? TimeSpan.FromMilliseconds(end - StartTime) : null;
}

/// <summary>What a run logged: the latest value of each metric, its params and its tags.</summary>
public sealed record RunData(
    IReadOnlyDictionary<string, Metric> Metrics,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>Nothing logged yet.</summary>
    public static RunData Empty { get; } = new(
        new Dictionary<string, Metric>(), new Dictionary<string, string>(), new Dictionary<string, string>());
}

/// <summary>A run as stored: <see cref="RunInfo"/> plus <see cref="RunData"/>. An immutable snapshot.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed record Run(RunInfo Info, RunData Data)
{
    /// <summary>Shortcut for <c>Info.RunId</c>.</summary>
    public string RunId => Info.RunId;

    /// <summary>Shortcut for <c>Info.RunName</c>.</summary>
    public string Name => Info.RunName;

    /// <summary>The parent run's id for a nested run (tag <c>mlflow.parentRunId</c>), else null.</summary>
    public string? ParentRunId => Data.Tags.GetValueOrDefault(SystemTags.ParentRunId);

    /// <summary>Latest value of a metric, or null when the run never logged it.</summary>
    public double? Metric(string key) => Data.Metrics.TryGetValue(key, out var m) ? m.Value : null;

    /// <summary>Value of a param, or null when the run never logged it.</summary>
    public string? Param(string key) => Data.Params.GetValueOrDefault(key);

    /// <summary>Name, id, status and duration, e.g. <c>Run 'lr-0.01' (3f2a…) FINISHED in 4.2 s</c>.</summary>
    public override string ToString() =>
        $"Run '{Name}' ({RunId}) {Info.Status.ToWire()}" + (Info.Duration is { } d ? $" in {d.TotalSeconds:0.0} s" : "");
}
