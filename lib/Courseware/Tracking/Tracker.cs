namespace Courseware.Tracking;

/// <summary>Settings of a <see cref="Tracker"/>.</summary>
public sealed record TrackerOptions
{
    /// <summary>How often a live run tells the store it is alive (default 10 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A RUNNING run silent for this long is considered dead and marked FAILED (default 2 min).</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether <see cref="Tracker.Open(string?, TrackerOptions?)"/> marks stale runs FAILED (default true).</summary>
    public bool FailStaleRunsOnOpen { get; init; } = true;
}

/// <summary>
/// The entry point of experiment tracking: opens a store, starts runs, and queries them (MLflow's client and fluent
/// API in one object).
/// <code>
/// using var tracker = Tracker.Open();                      // .courseware/tracking (SQLite + artifacts)
/// using (var run = tracker.StartRun("penguins", name: "lr-0.01"))
/// {
///     run.LogParams(new { lr = 0.01, epochs = 20 });
///     run.LogMetric("val/acc", 0.93, step: 5);
/// }                                                        // FINISHED
/// var best = await tracker.BestRunAsync("penguins", "val/acc");
/// </code>
/// Runs end FINISHED when disposed. To record FAILED, run the body through <see cref="Run"/>/<see cref="RunAsync"/>
/// or call <see cref="ActiveRun.Fail"/> (a <c>Dispose</c> cannot see the exception that is unwinding through it).
/// </summary>
public sealed class Tracker : IDisposable, IAsyncDisposable
{
    /// <summary>Where <see cref="Open(string?, TrackerOptions?)"/> stores runs when given no location and $MLFLOW_TRACKING_URI is unset.</summary>
    public const string DefaultLocation = TrackingLocation.DefaultFolder;

    /// <summary>Artifact folder of a PostgreSQL store opened by URI (<see cref="TrackingLocation.DefaultArtifactFolder"/>).</summary>
    public const string DefaultPostgresArtifacts = TrackingLocation.DefaultArtifactFolder;

    private readonly MetricBuffer _metrics;
    private readonly bool _ownsStore;
    private int _disposed;

    private Tracker(ITrackingStore store, IArtifactRepository artifacts, TrackerOptions options, bool ownsStore)
    {
        Store = store;
        Artifacts = artifacts;
        Options = options;
        _ownsStore = ownsStore;
        _metrics = new MetricBuffer(store);
    }

    /// <summary>
    /// Opens a tracking location (<see cref="TrackingLocation"/>): a folder path or <c>file:</c> URI (embedded SQLite
    /// store, created if missing), an <c>http://</c> URL of a tracking server (<c>courseware server</c>), a PostgreSQL
    /// database (<c>postgresql://user@host/db</c>, <c>postgres://</c> or an Npgsql connection string; artifacts go to
    /// <see cref="DefaultPostgresArtifacts"/>; for a shared folder use <see cref="Open(string?, TrackerOptions?, string)"/>), or
    /// null for $MLFLOW_TRACKING_URI, else <see cref="DefaultLocation"/> under the current directory.
    /// </summary>
    /// <example><code>var tracker = Tracker.Open("runs/");</code></example>
    public static Tracker Open(string? location = null, TrackerOptions? options = null) => Open(TrackingLocation.Resolve(location), options);

    /// <summary>Opens a tracking location like <see cref="Open(string?, TrackerOptions?)"/>, keeping a PostgreSQL store's artifact files in <paramref name="postgresArtifacts"/>.</summary>
    public static Tracker Open(string? location, TrackerOptions? options, string postgresArtifacts) =>
        Open(TrackingLocation.Resolve(location, postgresArtifacts), options);

    /// <summary>Opens the store at <paramref name="location"/>; the tracker disposes it.</summary>
    public static Tracker Open(TrackingLocation location, TrackerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        var store = location.Open();
        return Open(store, ArtifactsOf(store), options, ownsStore: true);
    }

    /// <summary>
    /// The store behind a tracking location (see <see cref="TrackingLocation.Parse"/>): SQLite for a folder or
    /// <c>file:</c> URI, REST for an <c>http(s)://</c> server, PostgreSQL (artifact files in <paramref name="postgresArtifacts"/>)
    /// for a <c>postgresql://</c> URI or connection string. The caller disposes it.
    /// </summary>
    public static ITrackingStore OpenStore(string location, string postgresArtifacts = DefaultPostgresArtifacts) =>
        TrackingLocation.Parse(location, postgresArtifacts).Open();

    /// <summary>Uses an existing store (e.g. a PostgreSQL or REST one); the tracker does not dispose it.</summary>
    public static Tracker Open(ITrackingStore store, IArtifactRepository? artifacts = null, TrackerOptions? options = null) =>
        Open(store, artifacts ?? new LocalArtifactRepository(), options, ownsStore: false);

    // The store says where its artifact files go (a tracking server keeps them); a store of another library writes local files.
    private static IArtifactRepository ArtifactsOf(ITrackingStore store) => store is IStoreServices services ? services.Artifacts : new LocalArtifactRepository();

    private static Tracker Open(ITrackingStore store, IArtifactRepository artifacts, TrackerOptions? options, bool ownsStore)
    {
        var tracker = new Tracker(store, artifacts, options ?? new TrackerOptions(), ownsStore);
        if (tracker.Options.FailStaleRunsOnOpen) Wait(tracker.FailStaleRunsAsync());
        return tracker;
    }

    /// <summary>The store runs are written to.</summary>
    public ITrackingStore Store { get; }

    /// <summary>Where artifact files go.</summary>
    public IArtifactRepository Artifacts { get; }

    /// <summary>Heartbeat and staleness settings.</summary>
    public TrackerOptions Options { get; }

    // ---------------- runs ----------------

    /// <summary>
    /// Starts a run in <paramref name="experiment"/> (created if missing). Dispose it to end it FINISHED.
    /// </summary>
    /// <param name="experiment">Experiment name.</param>
    /// <param name="name">Run name; generated ("brave-owl-417") when null.</param>
    /// <param name="parent">Makes this a nested run of <paramref name="parent"/> (tag <c>mlflow.parentRunId</c>).</param>
    /// <param name="tags">Extra tags: an anonymous object or a dictionary.</param>
    /// <example><code>using var run = tracker.StartRun("penguins", name: "lr-0.01");</code></example>
    public ActiveRun StartRun(string experiment, string? name = null, ActiveRun? parent = null, object? tags = null)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var experimentId = Wait(GetOrCreateExperimentAsync(experiment)).ExperimentId;
        var allTags = new Dictionary<string, string>(SystemTags.ForThisProcess());
        if (parent is not null) allTags[SystemTags.ParentRunId] = parent.RunId;
        foreach (var (k, v) in KeyValues.From(tags)) allTags[k] = v;
        var run = Wait(Store.CreateRunAsync(experimentId, name, TrackingNames.NowMs(), Environment.UserName,
            allTags.Select(t => new RunTag(t.Key, t.Value))));
        return new ActiveRun(this, run.Info, parent);
    }

    /// <summary>
    /// Runs <paramref name="body"/> inside a new run: FINISHED when it returns, FAILED (with the exception recorded in
    /// tag <c>courseware.failure</c>) when it throws; the exception still propagates.
    /// </summary>
    /// <example><code>tracker.Run("penguins", "lr-0.01", run => run.LogMetric("acc", Train(0.01)));</code></example>
    public void Run(string experiment, string? name, Action<ActiveRun> body)
    {
        using var run = StartRun(experiment, name);
        // The filter marks the run FAILED before the stack unwinds (and before Dispose would mark it FINISHED).
        try { body(run); }
        catch (Exception e) when (run.Fail(e)) { }
    }

    /// <summary>Async form of <see cref="Run"/>.</summary>
    public async Task RunAsync(string experiment, string? name, Func<ActiveRun, Task> body)
    {
        await using var run = StartRun(experiment, name);
        try { await body(run).ConfigureAwait(false); }
        catch (Exception e) when (run.Fail(e)) { }
    }

    // ---------------- experiments ----------------

    /// <summary>
    /// Experiments matching an MLflow experiment filter (<c>name LIKE 'lab%' AND tags.team = 'nlp'</c>; see
    /// <see cref="ExperimentSearch"/>), by name unless <paramref name="orderBy"/> says otherwise.
    /// </summary>
    public async Task<IReadOnlyList<Experiment>> SearchExperimentsAsync(string? filter = null, IReadOnlyList<string>? orderBy = null,
        ViewType viewType = ViewType.ActiveOnly, CancellationToken cancellationToken = default) =>
        ExperimentSearch.Apply(await Store.SearchExperimentsAsync(viewType, cancellationToken).ConfigureAwait(false), filter, orderBy);

    /// <summary>The experiment with that name, created when missing (a deleted one is an error: restore it first).</summary>
    public async Task<Experiment> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken = default)
    {
        var existing = await Store.GetExperimentByNameAsync(name, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            try
            {
                await Store.CreateExperimentAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (TrackingException e) when (e.Code == TrackingErrorCode.ResourceAlreadyExists)
            {
                // Another process created it between our lookup and create: use theirs.
            }
            existing = await Store.GetExperimentByNameAsync(name, cancellationToken).ConfigureAwait(false);
        }
        if (existing!.LifecycleStage == LifecycleStage.Deleted)
            throw new TrackingException(TrackingErrorCode.InvalidState,
                $"Experiment '{name}' is deleted; restore it (Store.RestoreExperimentAsync(\"{existing.ExperimentId}\")) or pick another name.", "experiment");
        return existing;
    }

    private async Task<string> ExperimentIdAsync(string name, CancellationToken ct) =>
        (await Store.GetExperimentByNameAsync(name, ct).ConfigureAwait(false))?.ExperimentId
        ?? throw TrackingException.NotFound("experiment", $"No experiment named '{name}'.");

    // ---------------- queries ----------------

    /// <summary>The run with that id, with its latest metrics, params and tags.</summary>
    public Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default) => Store.GetRunAsync(runId, cancellationToken);

    /// <summary>
    /// Searches an experiment's runs with MLflow's filter grammar (plus OR and parentheses).
    /// </summary>
    /// <example><code>var runs = await tracker.SearchRunsAsync("penguins", "metrics.acc > 0.9 and params.opt = 'adam'", ["metrics.acc DESC"]);</code></example>
    public async Task<RunPage> SearchRunsAsync(string experiment, string? filter = null, IReadOnlyList<string>? orderBy = null,
        int maxResults = TrackingLimits.DefaultMaxResults, string? pageToken = null, ViewType viewType = ViewType.ActiveOnly,
        CancellationToken cancellationToken = default)
    {
        var id = await ExperimentIdAsync(experiment, cancellationToken).ConfigureAwait(false);
        return await Store.SearchRunsAsync(new RunQuery([id], filter, orderBy, maxResults, pageToken, viewType), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The run with the highest (or, with <paramref name="maximize"/> false, lowest) latest value of a metric among
    /// the runs matching <paramref name="filter"/>; null when no run logged a number for it.
    /// </summary>
    public async Task<Run?> BestRunAsync(string experiment, string metric, bool maximize = true, string? filter = null, CancellationToken cancellationToken = default)
    {
        var page = await SearchRunsAsync(experiment, filter, [$"metrics.`{metric.Replace("`", "``", StringComparison.Ordinal)}` {(maximize ? "DESC" : "ASC")}"],
            maxResults: 1, cancellationToken: cancellationToken).ConfigureAwait(false);
        return page.Count == 1 && page[0].Metric(metric) is { } v && !double.IsNaN(v) ? page[0] : null;
    }

    /// <summary>Every logged value of a metric in a run, by step.</summary>
    public async Task<MetricHistory> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellationToken = default) =>
        new(runId, key, await Store.GetMetricHistoryAsync(runId, key, cancellationToken).ConfigureAwait(false));

    /// <summary>Side-by-side params and latest metrics of several runs (differences highlighted in notebooks).</summary>
    public async Task<RunComparison> CompareRunsAsync(IEnumerable<string> runIds, CancellationToken cancellationToken = default)
    {
        var runs = new List<Run>();
        foreach (var id in runIds) runs.Add(await Store.GetRunAsync(id, cancellationToken).ConfigureAwait(false));
        return new RunComparison(runs);
    }

    /// <summary>
    /// Marks FAILED every RUNNING run whose process stopped sending heartbeats more than
    /// <paramref name="staleAfter"/> (default <see cref="TrackerOptions.StaleAfter"/>) ago; returns their ids.
    /// </summary>
    public Task<IReadOnlyList<string>> FailStaleRunsAsync(TimeSpan? staleAfter = null, CancellationToken cancellationToken = default) =>
        Store.FailStaleRunsAsync(DateTimeOffset.UtcNow.Add(-(staleAfter ?? Options.StaleAfter)).ToUnixTimeMilliseconds(), cancellationToken);

    // ---------------- artifacts ----------------

    /// <summary>Lists a run's artifacts (one folder level).</summary>
    public async Task<IReadOnlyList<ArtifactInfo>> ListArtifactsAsync(string runId, string? folder = null, CancellationToken cancellationToken = default)
    {
        var run = await Store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        return await Artifacts.ListAsync(run.Info.ArtifactUri, folder, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a text artifact of a run.</summary>
    public async Task<string> ReadArtifactTextAsync(string runId, string artifactPath, CancellationToken cancellationToken = default)
    {
        var run = await Store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        await using var stream = await Artifacts.OpenReadAsync(run.Info.ArtifactUri, artifactPath, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---------------- lifetime ----------------

    internal void QueueMetric(string runId, Metric metric) => _metrics.Add(runId, metric);

    /// <summary>Waits until every metric logged so far is committed to the store.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _metrics.FlushAsync(cancellationToken);

    /// <summary>Blocking <see cref="FlushAsync"/>.</summary>
    public void Flush() => Wait(FlushAsync());

    /// <summary>Writes queued metrics and closes the store (when the tracker opened it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await _metrics.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_ownsStore) await Store.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    // Notebook-friendly sync calls over the async store. Stores complete on the thread pool without a captured
    // context, so blocking here cannot deadlock.
    internal static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    internal static void Wait(Task task) => task.GetAwaiter().GetResult();
}
