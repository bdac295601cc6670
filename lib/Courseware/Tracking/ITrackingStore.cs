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
/// <param name="PageToken">The <see cref="RunPage.NextPageToken"/> of the previous page.</param>
/// <param name="ViewType">Active runs (default), deleted ones, or both.</param>
public sealed record RunQuery(
    IReadOnlyList<string> ExperimentIds,
    string? Filter = null,
    IReadOnlyList<string>? OrderBy = null,
    int MaxResults = TrackingLimits.DefaultMaxResults,
    string? PageToken = null,
    ViewType ViewType = ViewType.ActiveOnly);
