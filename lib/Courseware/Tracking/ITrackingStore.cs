namespace Courseware.Tracking;

/// <summary>
/// Where experiments, runs, metrics, params and tags live: MLflow's <c>AbstractStore</c>. Implementations: the embedded
/// <see cref="SqliteTrackingStore"/>; a PostgreSQL or REST store implements the same members, and a tracking server
/// is this interface behind HTTP (every member maps to one MLflow REST endpoint). Every store validates its input
/// with <see cref="TrackingValidation"/> and reports errors as <see cref="TrackingException"/> with MLflow's codes.
/// Timestamps are milliseconds since the Unix epoch.
/// </summary>
public interface ITrackingStore : IAsyncDisposable
{
    /// <summary>Root URI under which new experiments get their artifact locations.</summary>
    string DefaultArtifactRoot { get; }

    /// <summary>Creates an experiment and returns its id (RESOURCE_ALREADY_EXISTS when the name is taken).</summary>
    Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IEnumerable<ExperimentTag>? tags = null, CancellationToken cancellationToken = default);

    /// <summary>The experiment with that id (RESOURCE_DOES_NOT_EXIST if none).</summary>
    Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default);

    /// <summary>The experiment with that name, deleted or not, or null.</summary>
    Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Experiments in the given lifecycle stages, by name.</summary>
    Task<IReadOnlyList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, CancellationToken cancellationToken = default);

    /// <summary>Soft-deletes an experiment and its runs.</summary>
    Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default);

    /// <summary>Restores a soft-deleted experiment and the runs deleted with it.</summary>
    Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default);

    /// <summary>Renames an active experiment.</summary>
    Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default);

    /// <summary>Sets (or overwrites) an experiment tag.</summary>
    Task SetExperimentTagAsync(string experimentId, ExperimentTag tag, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a RUNNING run in an active experiment. A null <paramref name="runName"/> takes the <c>mlflow.runName</c>
    /// tag if given, else a generated name; the name is always mirrored into that tag.
    /// </summary>
    Task<Run> CreateRunAsync(string experimentId, string? runName, long startTime, string userId, IEnumerable<RunTag>? tags = null, CancellationToken cancellationToken = default);

    /// <summary>The run with its latest metrics, params and tags (RESOURCE_DOES_NOT_EXIST if none).</summary>
    Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Changes a run's status, end time and/or name; null arguments leave the value as it is.</summary>
    Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status = null, long? endTime = null, string? runName = null, CancellationToken cancellationToken = default);

    /// <summary>Soft-deletes a run.</summary>
    Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Restores a soft-deleted run.</summary>
    Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Logs metrics, params and tags atomically (all or nothing), within MLflow's batch limits
    /// (<see cref="TrackingLimits"/>). Params are write-once: the same value again is accepted, a different one is
    /// INVALID_PARAMETER_VALUE. The run must be active (not deleted).
    /// </summary>
    Task LogBatchAsync(string runId, IReadOnlyCollection<Metric> metrics, IReadOnlyCollection<Param> @params, IReadOnlyCollection<RunTag> tags, CancellationToken cancellationToken = default);

    /// <summary>Removes a run tag (RESOURCE_DOES_NOT_EXIST if it is not set).</summary>
    Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default);

    /// <summary>Every logged value of a metric, by step then timestamp.</summary>
    Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// A chart-sized read of one metric over several runs (MLflow's <c>metrics/get-history-bulk-interval</c>): per run,
    /// every point with a step in [<paramref name="startStep"/>, <paramref name="endStep"/>] when there are at most
    /// <paramref name="maxResults"/>; otherwise the range is cut into <c>maxResults / 2</c> equal step buckets and each
    /// bucket keeps its lowest and its highest point (NaN points are neither), so a one-step spike is never sampled
    /// away (MLflow's even step sampling can hide it, mlflow#11444). Points come in history order. Without a range the
    /// runs' smallest to largest step is used (one range for all runs, so their buckets line up). Unknown runs are
    /// RESOURCE_DOES_NOT_EXIST; at most <see cref="MetricSampling.MaxRuns"/> runs and 1..<see cref="MetricSampling.MaxResultsLimit"/> points.
    /// </summary>
    Task<IReadOnlyList<RunMetricHistory>> GetMetricHistorySampledAsync(IReadOnlyList<string> runIds, string key, long? startStep = null, long? endStep = null,
        int maxResults = MetricSampling.DefaultMaxResults, CancellationToken cancellationToken = default);

    /// <summary>Runs matching a <see cref="RunQuery"/> (MLflow filter grammar plus OR and parentheses), one page at a time.</summary>
    Task<RunPage> SearchRunsAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>Records that the process owning a RUNNING run is alive (see <see cref="FailStaleRunsAsync"/>).</summary>
    Task HeartbeatAsync(string runId, long time, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks FAILED every RUNNING run whose last heartbeat is older than <paramref name="heartbeatBefore"/> (its process
    /// died without ending it) and returns their ids. Runs that never sent a heartbeat are left alone.
    /// </summary>
    Task<IReadOnlyList<string>> FailStaleRunsAsync(long heartbeatBefore, CancellationToken cancellationToken = default);
}

/// <summary>
/// A run search: experiments, filter (e.g. <c>metrics.acc &gt; 0.9 and params.opt = 'adam'</c>), order and page.
/// </summary>
/// <param name="ExperimentIds">Experiments to search (at least one).</param>
/// <param name="Filter">MLflow filter string; OR and parentheses are accepted too. Null or empty matches every run.</param>
/// <param name="OrderBy">Clauses like <c>metrics.acc DESC</c> or <c>attributes.start_time</c>; default newest first.</param>
/// <param name="MaxResults">Page size, 1..50000 (default 1000).</param>
/// <param name="PageToken">The <see cref="RunPage.NextPageToken"/> of the previous page (a keyset token: where the previous
/// page stopped, so pages stay consistent while runs are added; MLflow's offset tokens are accepted too).</param>
/// <param name="ViewType">Active runs (default), deleted ones, or both.</param>
public sealed record RunQuery(
    IReadOnlyList<string> ExperimentIds,
    string? Filter = null,
    IReadOnlyList<string>? OrderBy = null,
    int MaxResults = TrackingLimits.DefaultMaxResults,
    string? PageToken = null,
    ViewType ViewType = ViewType.ActiveOnly);

/// <summary>The sampled points of one run's metric (<see cref="ITrackingStore.GetMetricHistorySampledAsync"/>).</summary>
public sealed record RunMetricHistory(string RunId, IReadOnlyList<Metric> Points);

/// <summary>Limits and bucket arithmetic of sampled metric reads (MLflow's <c>get-history-bulk-interval</c>).</summary>
public static class MetricSampling
{
    /// <summary>MLflow's cap on runs per request (<c>MAX_RUNS_GET_METRIC_HISTORY_BULK</c>).</summary>
    public const int MaxRuns = 100;

    /// <summary>MLflow's cap and default for points per run (<c>MAX_RESULTS_PER_RUN</c>).</summary>
    public const int MaxResultsLimit = 2500;

    /// <summary>Default points per run.</summary>
    public const int DefaultMaxResults = MaxResultsLimit;

    /// <summary>
    /// Steps per block of the stores' block summaries (each block's lowest and highest point): a sampled read whose
    /// buckets span at least this many steps reads one summary row per block instead of every point.
    /// </summary>
    public const int BlockSteps = 64;

    /// <summary>The block of a step (⌊step / <see cref="BlockSteps"/>⌋).</summary>
    internal static long Block(long step) => step >> 6;

    /// <summary>The first step of a block.</summary>
    internal static long BlockStart(long block) => block << 6;

    /// <summary>How many step buckets a read of <paramref name="maxResults"/> points cuts the range into (two points each).</summary>
    public static int Buckets(int maxResults) => Math.Max(1, maxResults / 2);

    /// <summary>
    /// Bucket <paramref name="index"/> of <paramref name="count"/> over steps [lo, hi]: the i-th boundary is
    /// lo + ⌊i·n/count⌋ (n = hi − lo + 1); when a bucket spans at least <see cref="BlockSteps"/> steps, the inner
    /// boundaries are rounded down to a block start, so buckets are whole blocks but for the range's two ends.
    /// </summary>
    public static (long From, long To) Bucket(long lo, long hi, int count, int index)
    {
        var span = (Int128)hi - lo + 1;
        var aligned = span >= (Int128)BlockSteps * count;
        long Boundary(int i) => i == 0 ? lo : i == count ? hi + 1
            : aligned ? BlockStart(Block((long)(lo + i * span / count))) : (long)(lo + i * span / count);
        return (Boundary(index), Boundary(index + 1) - 1);
    }

    /// <summary>Checks a request's arguments (MLflow's messages and fields).</summary>
    internal static void Validate(IReadOnlyList<string> runIds, long? startStep, long? endStep, int maxResults)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        if (runIds.Count is 0 or > MaxRuns)
            throw TrackingException.InvalidParameter("run_ids", $"GetMetricHistoryBulkInterval request must specify between 1 and {MaxRuns} run_ids. Received {runIds.Count} run_ids.");
        if (maxResults is < 1 or > MaxResultsLimit)
            throw TrackingException.InvalidParameter("max_results", $"max_results must be between 1 and {MaxResultsLimit}.");
        if ((startStep is null) != (endStep is null))
            throw TrackingException.InvalidParameter("start_step", "If either start step or end step are specified, both must be specified.");
        if (startStep > endStep)
            throw TrackingException.InvalidParameter("end_step", $"end_step must be greater than start_step. Found start_step={startStep} and end_step={endStep}.");
    }
}

/// <summary>
/// One metric's history as three columns (steps, timestamps, values) instead of an object per point: what the SQL
/// stores return from <see cref="ITrackingStore.GetMetricHistoryAsync"/>. As a list it makes each <see cref="Metric"/>
/// when it is read; code that plots or aggregates can use <see cref="Steps"/>, <see cref="Timestamps"/> and
/// <see cref="Values"/> directly.
/// </summary>
public sealed class MetricPoints : IReadOnlyList<Metric>
{
    private long[] _steps = new long[16];
    private long[] _timestamps = new long[16];
    private double[] _values = new double[16];

    /// <summary>An empty history of <paramref name="key"/>.</summary>
    internal MetricPoints(string key) => Key = key;

    /// <summary>The metric's name.</summary>
    public string Key { get; }

    /// <inheritdoc />
    public int Count { get; private set; }

    /// <summary>Steps, in history order.</summary>
    public ReadOnlySpan<long> Steps => _steps.AsSpan(0, Count);

    /// <summary>Timestamps (ms since the epoch), in history order.</summary>
    public ReadOnlySpan<long> Timestamps => _timestamps.AsSpan(0, Count);

    /// <summary>Values (NaN kept), in history order.</summary>
    public ReadOnlySpan<double> Values => _values.AsSpan(0, Count);

    /// <summary>Appends a point.</summary>
    internal void Add(long step, long timestamp, double value)
    {
        if (Count == _steps.Length)
        {
            Array.Resize(ref _steps, Count * 2);
            Array.Resize(ref _timestamps, Count * 2);
            Array.Resize(ref _values, Count * 2);
        }
        (_steps[Count], _timestamps[Count], _values[Count]) = (step, timestamp, value);
        Count++;
    }

    /// <inheritdoc />
    public Metric this[int index] => (uint)index < (uint)Count
        ? new Metric(Key, _values[index], _timestamps[index], _steps[index])
        : throw new ArgumentOutOfRangeException(nameof(index));

    /// <inheritdoc />
    public IEnumerator<Metric> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
