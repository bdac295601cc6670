using System.Data.Common;
using System.Globalization;

namespace Courseware.Tracking;

/// <summary>
/// The tracking logic shared by SQL stores (<see cref="SqliteTrackingStore"/>, <see cref="PostgresTrackingStore"/>):
/// one table layout (experiments, experiment_tags, runs, metrics, latest_metrics, params, tags), one set of
/// statements, and a <see cref="SqlDialect"/> for the few spots where the databases differ. A subclass creates the
/// schema and says how a unit of work gets a connection and transaction (<see cref="ExecuteAsync{T}"/>).
/// </summary>
public abstract class SqlTrackingStore : ITrackingStore, IStoreServices
{
    IArtifactRepository IStoreServices.Artifacts { get; } = new LocalArtifactRepository();

    bool IStoreServices.ArtifactsAreLocal => true;

    Registry.IRegistryBackend IStoreServices.OpenRegistry(string actor) => new Registry.SqlRegistryBackend(this, actor);

    private protected SqlTrackingStore(string description, string defaultArtifactRoot, SqlDialect dialect)
    {
        Description = description;
        DefaultArtifactRoot = defaultArtifactRoot;
        Dialect = dialect;
    }

    /// <summary>The tracking schema this library writes (see <see cref="Upgrade"/>).</summary>
    private protected const int SchemaVersion = 2;

    /// <summary>
    /// Brings a database at schema <paramref name="version"/> (0: empty) to <see cref="SchemaVersion"/> and creates the
    /// registry's tables beside it. The caller records the new version in the same transaction: a database is
    /// migrated whole or left untouched.
    /// </summary>
    private protected void Upgrade(int version, DbTransaction tx)
    {
        if (version == 0)
        {
            Exec(SchemaV1(Dialect), tx);
            Exec("INSERT INTO experiments(experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) " +
                 "VALUES (0, 'Default', @loc, 'active', @now, @now) ON CONFLICT DO NOTHING", tx, ("@loc", DefaultArtifactRoot + "/0"), ("@now", TrackingNames.NowMs()));
            version = 1;
        }
        if (version == 1) Exec(MigrateV1ToV2, tx);
        Exec(Registry.RegistrySchema.Tables, tx);
    }

    /// <summary>
    /// Schema 1, the tables as first released, in the dialect's types; a new store is created as schema 1 and migrated
    /// like an old one (<see cref="MigrateV1ToV2"/>), so that one path is always exercised.
    /// </summary>
    internal static string SchemaV1(SqlDialect dialect) => $"""
        CREATE TABLE IF NOT EXISTS experiments (
            experiment_id {dialect.KeyIdColumn},
            name TEXT NOT NULL UNIQUE,
            artifact_location TEXT NOT NULL,
            lifecycle_stage TEXT NOT NULL,
            creation_time {dialect.Integer} NOT NULL,
            last_update_time {dialect.Integer} NOT NULL);
        CREATE TABLE IF NOT EXISTS experiment_tags (
            experiment_id {dialect.Integer} NOT NULL REFERENCES experiments(experiment_id),
            key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (experiment_id, key));
        CREATE TABLE IF NOT EXISTS runs (
            run_uuid TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            experiment_id {dialect.Integer} NOT NULL REFERENCES experiments(experiment_id),
            user_id TEXT NOT NULL,
            status TEXT NOT NULL,
            start_time {dialect.Integer} NOT NULL,
            end_time {dialect.Integer},
            lifecycle_stage TEXT NOT NULL,
            artifact_uri TEXT NOT NULL,
            heartbeat_time {dialect.Integer},
            deleted_time {dialect.Integer},
            deleted_with_experiment {dialect.Integer} NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS ix_runs_experiment ON runs(experiment_id, start_time);
        CREATE INDEX IF NOT EXISTS ix_runs_running ON runs(status, heartbeat_time);
        CREATE TABLE IF NOT EXISTS metrics ({dialect.InsertionOrderColumn}
            run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
            key TEXT NOT NULL,
            value {dialect.Real},
            is_nan {dialect.Integer} NOT NULL,
            timestamp {dialect.Integer} NOT NULL,
            step {dialect.Integer} NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_metrics_run_key ON metrics(run_uuid, key, step);
        CREATE TABLE IF NOT EXISTS latest_metrics (
            run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
            key TEXT NOT NULL,
            value {dialect.Real},
            is_nan {dialect.Integer} NOT NULL,
            timestamp {dialect.Integer} NOT NULL,
            step {dialect.Integer} NOT NULL,
            PRIMARY KEY (run_uuid, key)){dialect.ClusteredTable};
        CREATE INDEX IF NOT EXISTS ix_latest_metrics_key ON latest_metrics(key, value);
        CREATE TABLE IF NOT EXISTS params (
            run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
            key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (run_uuid, key)){dialect.ClusteredTable};
        CREATE INDEX IF NOT EXISTS ix_params_key_value ON params(key, value);
        CREATE TABLE IF NOT EXISTS tags (
            run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
            key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (run_uuid, key)){dialect.ClusteredTable};
        """;

    /// <summary>
    /// Schema 1 → 2 (issue #17), in the dialect's types. Runs get a stable integer key (run_key); metric names are
    /// stored once (metric_keys); the history becomes a table clustered on (run_key, key_id, step, timestamp, seq) with
    /// NaN as a NULL value (WITHOUT ROWID on SQLite: ~32 bytes a point instead of ~130), so a history read is one
    /// primary-key range; seq numbers the points that share (step, timestamp), in insertion order. latest_metrics
    /// carries each run's experiment and start time, so ordering an experiment's runs by a metric walks an index
    /// instead of sorting. Every row is carried over; the caller runs this in the transaction that records version 2.
    /// </summary>
    private protected string MigrateV1ToV2 => $"""
        {Dialect.AddRunKey}
        CREATE UNIQUE INDEX ux_runs_key ON runs(run_key);
        DROP INDEX IF EXISTS ix_runs_experiment;
        CREATE INDEX ix_runs_order ON runs(experiment_id, start_time DESC, run_uuid);
        CREATE TABLE metric_keys (key_id {Dialect.KeyIdColumn}, key TEXT NOT NULL UNIQUE);
        INSERT INTO metric_keys(key) SELECT key FROM metrics UNION SELECT key FROM latest_metrics ORDER BY 1;
        ALTER TABLE metrics RENAME TO metrics_v1;
        CREATE TABLE metrics (
            run_key {Dialect.Integer} NOT NULL,
            key_id {Dialect.Integer} NOT NULL,
            step {Dialect.Integer} NOT NULL,
            timestamp {Dialect.Integer} NOT NULL,
            seq INTEGER NOT NULL,
            value {Dialect.Real},
            CONSTRAINT metric_points_pkey PRIMARY KEY (run_key, key_id, step, timestamp, seq)){Dialect.ClusteredTable};
        INSERT INTO metrics(run_key, key_id, step, timestamp, seq, value)
            SELECT r.run_key, k.key_id, m.step, m.timestamp,
                   ROW_NUMBER() OVER (PARTITION BY m.run_uuid, m.key, m.step, m.timestamp ORDER BY m.{Dialect.InsertionOrder}) - 1,
                   CASE WHEN m.is_nan = 1 THEN NULL ELSE m.value END
            FROM metrics_v1 m JOIN runs r ON r.run_uuid = m.run_uuid JOIN metric_keys k ON k.key = m.key;
        DROP TABLE metrics_v1;
        ALTER TABLE latest_metrics ADD COLUMN experiment_id {Dialect.Integer};
        ALTER TABLE latest_metrics ADD COLUMN start_time {Dialect.Integer};
        UPDATE latest_metrics SET
            experiment_id = (SELECT r.experiment_id FROM runs r WHERE r.run_uuid = latest_metrics.run_uuid),
            start_time = (SELECT r.start_time FROM runs r WHERE r.run_uuid = latest_metrics.run_uuid);
        CREATE INDEX ix_latest_desc ON latest_metrics(experiment_id, key, value DESC, start_time DESC, run_uuid);
        CREATE INDEX ix_latest_asc ON latest_metrics(experiment_id, key, value, start_time DESC, run_uuid);
        CREATE INDEX ix_tags_key_value ON tags(key, value);
        CREATE TABLE metric_blocks (
            run_key {Dialect.Integer} NOT NULL,
            key_id {Dialect.Integer} NOT NULL,
            block {Dialect.Integer} NOT NULL,
            lo_step {Dialect.Integer} NOT NULL, lo_ts {Dialect.Integer} NOT NULL, lo_seq INTEGER NOT NULL, lo_value {Dialect.Real} NOT NULL,
            hi_step {Dialect.Integer} NOT NULL, hi_ts {Dialect.Integer} NOT NULL, hi_seq INTEGER NOT NULL, hi_value {Dialect.Real} NOT NULL,
            CONSTRAINT metric_blocks_pkey PRIMARY KEY (run_key, key_id, block)){Dialect.ClusteredTable};
        WITH ranked AS (   -- step >> 6: the block of MetricSampling.BlockSteps = 64 steps
            SELECT run_key, key_id, step >> 6 AS block, step, timestamp, seq, value,
                   ROW_NUMBER() OVER (PARTITION BY run_key, key_id, step >> 6 ORDER BY value, step, timestamp, seq) AS lo_rank,
                   ROW_NUMBER() OVER (PARTITION BY run_key, key_id, step >> 6 ORDER BY value DESC, step, timestamp, seq) AS hi_rank
            FROM metrics WHERE value IS NOT NULL)
        INSERT INTO metric_blocks(run_key, key_id, block, lo_step, lo_ts, lo_seq, lo_value, hi_step, hi_ts, hi_seq, hi_value)
            SELECT l.run_key, l.key_id, l.block, l.step, l.timestamp, l.seq, l.value, h.step, h.timestamp, h.seq, h.value
            FROM ranked l JOIN ranked h ON h.run_key = l.run_key AND h.key_id = l.key_id AND h.block = l.block AND h.hi_rank = 1
            WHERE l.lo_rank = 1;
        """;

    /// <summary>Where the data lives, for messages (a folder or a database name).</summary>
    protected string Description { get; }

    private protected SqlDialect Dialect { get; }

    /// <inheritdoc />
    public string DefaultArtifactRoot { get; }

    /// <summary>
    /// Runs <paramref name="body"/> in one transaction (committed when it returns; rolled back when it throws).
    /// <paramref name="write"/> says whether it writes, so the store can take the write lock up front.
    /// </summary>
    protected abstract Task<T> ExecuteAsync<T>(bool write, Func<DbTransaction, T> body, CancellationToken cancellationToken);

    /// <summary>Whether a database error is a unique-key violation (a name taken by a concurrent writer).</summary>
    protected abstract bool IsUniqueViolation(DbException exception);

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();

    // ---------------- experiments ----------------

    /// <inheritdoc />
    public Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IEnumerable<ExperimentTag>? tags = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateExperimentName(name);
        var tagList = tags?.ToList() ?? [];
        tagList.ForEach(TrackingValidation.ValidateExperimentTag);
        var chosenLocation = artifactLocation is null ? null : ArtifactLocations.Normalize(artifactLocation);
        return WriteAsync(tx =>
        {
            if (Scalar("SELECT experiment_id FROM experiments WHERE name = @n", tx, ("@n", name)) is not null)
                throw new TrackingException(TrackingErrorCode.ResourceAlreadyExists, $"Experiment '{name}' already exists.", "name");
            var now = TrackingNames.NowMs();
            var id = Convert.ToInt64(Scalar(
                "INSERT INTO experiments(name, artifact_location, lifecycle_stage, creation_time, last_update_time) " +
                "VALUES (@n, '', 'active', @now, @now) RETURNING experiment_id", tx, ("@n", name), ("@now", now)), CultureInfo.InvariantCulture);
            var location = chosenLocation ?? DefaultArtifactRoot + "/" + id.ToString(CultureInfo.InvariantCulture);
            Exec("UPDATE experiments SET artifact_location = @l WHERE experiment_id = @id", tx, ("@l", location), ("@id", id));
            foreach (var t in tagList)
                Exec("INSERT INTO experiment_tags(experiment_id, key, value) VALUES (@id, @k, @v) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value", tx, ("@id", id), ("@k", t.Key), ("@v", t.Value));
            return id.ToString(CultureInfo.InvariantCulture);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        var id = ParseExperimentId(experimentId);
        return ReadAsync(tx => ReadExperiments(tx, "experiment_id = @id", ("@id", id)).FirstOrDefault()
            ?? throw TrackingException.NotFound("experiment_id", $"No experiment with id={experimentId} exists."), cancellationToken);
    }

    /// <inheritdoc />
    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync(tx => ReadExperiments(tx, "name = @n", ("@n", name)).FirstOrDefault(), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Experiment>>(tx => ReadExperiments(tx, $"lifecycle_stage IN ({StageList(viewType)})"), cancellationToken);

    /// <inheritdoc />
    public Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        SetExperimentStageAsync(experimentId, LifecycleStage.Deleted, cancellationToken);

    /// <inheritdoc />
    public Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        SetExperimentStageAsync(experimentId, LifecycleStage.Active, cancellationToken);

    private Task SetExperimentStageAsync(string experimentId, LifecycleStage stage, CancellationToken ct)
    {
        var id = ParseExperimentId(experimentId);
        return WriteAsync(tx =>
        {
            var current = ExperimentStage(id, experimentId, tx);
            if (id == 0 && stage == LifecycleStage.Deleted)
                throw TrackingException.InvalidParameter("experiment_id", "The default experiment (id 0) cannot be deleted.");
            if (current == stage)
                throw new TrackingException(TrackingErrorCode.InvalidState,
                    $"Experiment {experimentId} is already {stage.ToWire()}.", "experiment_id");
            var now = TrackingNames.NowMs();
            Exec("UPDATE experiments SET lifecycle_stage = @s, last_update_time = @now WHERE experiment_id = @id", tx,
                ("@s", stage.ToWire()), ("@now", now), ("@id", id));
            // Runs follow their experiment (MLflow 2.x); restoring brings back only the runs deleted with it.
            if (stage == LifecycleStage.Deleted)
                Exec("UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = @now, deleted_with_experiment = 1 WHERE experiment_id = @id AND lifecycle_stage = 'active'",
                    tx, ("@now", now), ("@id", id));
            else
                Exec("UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL, deleted_with_experiment = 0 WHERE experiment_id = @id AND deleted_with_experiment = 1",
                    tx, ("@id", id));
            return 0;
        }, ct);
    }

    /// <inheritdoc />
    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateExperimentName(newName);
        var id = ParseExperimentId(experimentId);
        return WriteAsync(tx =>
        {
            if (ExperimentStage(id, experimentId, tx) != LifecycleStage.Active)
                throw new TrackingException(TrackingErrorCode.InvalidState, $"Cannot rename the deleted experiment {experimentId}.", "experiment_id");
            if (Scalar("SELECT experiment_id FROM experiments WHERE name = @n AND experiment_id <> @id", tx, ("@n", newName), ("@id", id)) is not null)
                throw new TrackingException(TrackingErrorCode.ResourceAlreadyExists, $"Experiment '{newName}' already exists.", "new_name");
            Exec("UPDATE experiments SET name = @n, last_update_time = @now WHERE experiment_id = @id", tx,
                ("@n", newName), ("@now", TrackingNames.NowMs()), ("@id", id));
            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task SetExperimentTagAsync(string experimentId, ExperimentTag tag, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateExperimentTag(tag);
        var id = ParseExperimentId(experimentId);
        return WriteAsync(tx =>
        {
            if (ExperimentStage(id, experimentId, tx) != LifecycleStage.Active)
                throw new TrackingException(TrackingErrorCode.InvalidState, $"Cannot tag the deleted experiment {experimentId}.", "experiment_id");
            Exec("INSERT INTO experiment_tags(experiment_id, key, value) VALUES (@id, @k, @v) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value", tx, ("@id", id), ("@k", tag.Key), ("@v", tag.Value));
            return 0;
        }, cancellationToken);
    }

    private LifecycleStage ExperimentStage(long id, string experimentId, DbTransaction tx) =>
        Scalar("SELECT lifecycle_stage FROM experiments WHERE experiment_id = @id", tx, ("@id", id)) is string s
            ? TrackingNames.ParseLifecycleStage(s)
            : throw TrackingException.NotFound("experiment_id", $"No experiment with id={experimentId} exists.");

    private List<Experiment> ReadExperiments(DbTransaction tx, string condition, params (string, object?)[] args)
    {
        var tags = new Dictionary<long, Dictionary<string, string>>();
        using (var cmd = Command($"SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (SELECT experiment_id FROM experiments WHERE {condition})", tx, args))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                Bucket(tags, r.GetInt64(0))[r.GetString(1)] = r.GetString(2);
        var list = new List<Experiment>();
        using (var cmd = Command($"SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM experiments WHERE {condition} ORDER BY name", tx, args))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                list.Add(new Experiment(r.GetInt64(0).ToString(CultureInfo.InvariantCulture), r.GetString(1), r.GetString(2),
                    TrackingNames.ParseLifecycleStage(r.GetString(3)), r.GetInt64(4), r.GetInt64(5),
                    tags.GetValueOrDefault(r.GetInt64(0)) ?? new Dictionary<string, string>()));
        return list;
    }

    private static long ParseExperimentId(string experimentId) =>
        long.TryParse(experimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw TrackingException.InvalidParameter("experiment_id", $"Invalid experiment id '{experimentId}': expected a non-negative integer.");

    private static string StageList(ViewType viewType) => viewType switch
    {
        ViewType.ActiveOnly => "'active'",
        ViewType.DeletedOnly => "'deleted'",
        _ => "'active', 'deleted'",
    };

    // ---------------- runs ----------------

    /// <inheritdoc />
    public Task<Run> CreateRunAsync(string experimentId, string? runName, long startTime, string userId, IEnumerable<RunTag>? tags = null, CancellationToken cancellationToken = default)
    {
        var id = ParseExperimentId(experimentId);
        var tagList = tags?.ToList() ?? [];
        tagList.ForEach(TrackingValidation.ValidateTag);
        var tagName = tagList.LastOrDefault(t => t.Key == SystemTags.RunName)?.Value;
        if (runName is not null && tagName is not null && runName != tagName)
            throw TrackingException.InvalidParameter("run_name",
                $"Both a run name ('{runName}') and a different {SystemTags.RunName} tag ('{tagName}') were given.");
        var name = runName ?? tagName ?? RunNames.Generate();
        tagList.RemoveAll(t => t.Key == SystemTags.RunName);
        tagList.Add(new RunTag(SystemTags.RunName, name));
        TrackingValidation.ValidateTag(tagList[^1]);
        var runId = Guid.NewGuid().ToString("N");
        return WriteAsync(tx =>
        {
            if (ExperimentStage(id, experimentId, tx) != LifecycleStage.Active)
                throw TrackingException.InvalidParameter("experiment_id", $"Could not create a run in the deleted experiment {experimentId}.");
            var location = (string)Scalar("SELECT artifact_location FROM experiments WHERE experiment_id = @id", tx, ("@id", id))!;
            var artifactUri = location.TrimEnd('/') + "/" + runId + "/artifacts";
            Exec("INSERT INTO runs(run_uuid, name, experiment_id, user_id, status, start_time, lifecycle_stage, artifact_uri, run_key) " +
                 $"VALUES (@r, @n, @e, @u, 'RUNNING', @t, 'active', @a, {Dialect.NewRunKey})", tx,
                ("@r", runId), ("@n", name), ("@e", id), ("@u", userId), ("@t", startTime), ("@a", artifactUri));
            foreach (var t in tagList)
                Exec("INSERT INTO tags(run_uuid, key, value) VALUES (@r, @k, @v) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value", tx, ("@r", runId), ("@k", t.Key), ("@v", t.Value));
            return LoadRuns([runId], tx)[0];
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        return ReadAsync(tx => LoadRuns([runId], tx).SingleOrDefault() ?? throw RunNotFound(runId), cancellationToken);
    }

    /// <inheritdoc />
    public Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status = null, long? endTime = null, string? runName = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        if (runName is not null) TrackingValidation.ValidateTag(new RunTag(SystemTags.RunName, runName));
        return WriteAsync(tx =>
        {
            RequireActiveRun(runId, tx);
            Exec("UPDATE runs SET status = COALESCE(@s, status), end_time = COALESCE(@e, end_time), name = COALESCE(@n, name) WHERE run_uuid = @r", tx,
                ("@s", (object?)status?.ToWire() ?? DBNull.Value), ("@e", (object?)endTime ?? DBNull.Value),
                ("@n", (object?)runName ?? DBNull.Value), ("@r", runId));
            if (runName is not null)
                Exec("INSERT INTO tags(run_uuid, key, value) VALUES (@r, @k, @v) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value", tx, ("@r", runId), ("@k", SystemTags.RunName), ("@v", runName));
            return LoadRuns([runId], tx)[0].Info;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default) =>
        SetRunStageAsync(runId, LifecycleStage.Deleted, cancellationToken);

    /// <inheritdoc />
    public Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default) =>
        SetRunStageAsync(runId, LifecycleStage.Active, cancellationToken);

    private Task SetRunStageAsync(string runId, LifecycleStage stage, CancellationToken ct)
    {
        TrackingValidation.ValidateRunId(runId);
        return WriteAsync(tx =>
        {
            if (Scalar("SELECT lifecycle_stage FROM runs WHERE run_uuid = @r", tx, ("@r", runId)) is not string current) throw RunNotFound(runId);
            if (TrackingNames.ParseLifecycleStage(current) == stage)
                throw new TrackingException(TrackingErrorCode.InvalidState, $"Run {runId} is already {stage.ToWire()}.", "run_id");
            Exec("UPDATE runs SET lifecycle_stage = @s, deleted_time = @t WHERE run_uuid = @r", tx,
                ("@s", stage.ToWire()), ("@t", stage == LifecycleStage.Deleted ? TrackingNames.NowMs() : DBNull.Value), ("@r", runId));
            return 0;
        }, ct);
    }

    /// <inheritdoc />
    public async Task LogBatchAsync(string runId, IReadOnlyCollection<Metric> metrics, IReadOnlyCollection<Param> @params, IReadOnlyCollection<RunTag> tags, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        var clean = TrackingValidation.ValidateBatch(metrics, @params, tags);
        await WriteBatchAsync(runId, clean, @params, tags, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes already validated metric points in one transaction, beyond MLflow's 1,000-per-request limit (which is
    /// about request size): the <see cref="Tracker"/>'s background writer commits what it has queued, up to 10,000
    /// points, at once.
    /// </summary>
    internal Task LogMetricsAsync(string runId, IReadOnlyList<Metric> metrics, CancellationToken cancellationToken = default) =>
        WriteBatchAsync(runId, metrics, [], [], cancellationToken);

    private async Task WriteBatchAsync(string runId, IReadOnlyList<Metric> clean, IReadOnlyCollection<Param> @params, IReadOnlyCollection<RunTag> tags, CancellationToken cancellationToken)
    {
        var newKeys = new List<KeyValuePair<string, long>>();
        await WriteAsync(tx =>
        {
            var run = RequireActiveRun(runId, tx);
            WriteParams(runId, @params, tx);
            foreach (var t in tags)
            {
                Exec("INSERT INTO tags(run_uuid, key, value) VALUES (@r, @k, @v) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value", tx, ("@r", runId), ("@k", t.Key), ("@v", t.Value));
                if (t.Key == SystemTags.RunName)
                    Exec("UPDATE runs SET name = @n WHERE run_uuid = @r", tx, ("@n", t.Value), ("@r", runId));
            }
            WriteMetrics(run, clean, tx, newKeys);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        // Only committed key ids are remembered: a rolled-back batch may have inserted ids another writer reuses.
        foreach (var (key, id) in newKeys) _keyIds.TryAdd(key, id);
    }

    private void WriteParams(string runId, IReadOnlyCollection<Param> @params, DbTransaction tx)
    {
        foreach (var p in @params)
        {
            // Insert-or-keep, then compare: race-free even when two writers log the same key at once.
            if (Exec("INSERT INTO params(run_uuid, key, value) VALUES (@r, @k, @v) ON CONFLICT (run_uuid, key) DO NOTHING", tx,
                    ("@r", runId), ("@k", p.Key), ("@v", p.Value)) == 1)
                continue;
            var existing = (string)Scalar("SELECT value FROM params WHERE run_uuid = @r AND key = @k", tx, ("@r", runId), ("@k", p.Key))!;
            if (existing != p.Value)
                throw TrackingException.InvalidParameter($"params[{p.Key}]",
                    $"Changing param values is not allowed. Param with key='{p.Key}' was already logged with value='{existing}' " +
                    $"for run ID='{runId}'. Attempted logging new value '{p.Value}'. Start a new (or nested) run to try another value.");
        }
    }

    private void WriteMetrics(ActiveRunRow run, IReadOnlyList<Metric> metrics, DbTransaction tx, List<KeyValuePair<string, long>> newKeys)
    {
        if (metrics.Count == 0) return;
        // One pass and one lookup per point: the key's id, its latest point, and the extremes of the block being
        // filled (points of a key mostly arrive in step order, so a block's candidates are kept until the block changes).
        var keys = new Dictionary<string, KeyState>(StringComparer.Ordinal);
        var candidates = new Dictionary<(long KeyId, long Block), (Metric Lo, Metric Hi)>();
        var points = new (long KeyId, Metric Metric)[metrics.Count];
        for (var i = 0; i < metrics.Count; i++)
        {
            var m = metrics[i];
            if (!keys.TryGetValue(m.Key, out var state)) keys[m.Key] = state = new KeyState(InternKey(m.Key, tx, newKeys), m);
            else if (Metric.CompareLatest(m, state.Latest) > 0) state.Latest = m;
            points[i] = (state.KeyId, m);
            if (double.IsNaN(m.Value)) continue;
            var block = MetricSampling.Block(m.Step);
            if (state.Lo is null || block != state.Block)
            {
                state.Flush(candidates);
                (state.Block, state.Lo, state.Hi) = (block, m, m);
            }
            else
            {
                if (Before(m, state.Lo, m.Value, state.Lo.Value)) state.Lo = m;
                if (Before(m, state.Hi!, -m.Value, -state.Hi!.Value)) state.Hi = m;
            }
        }
        foreach (var state in keys.Values) state.Flush(candidates);
        UpdateBlocks(run.RunKey, candidates, InsertPoints(run.RunKey, points, tx), tx);
        ExecRows(tx,
            "INSERT INTO latest_metrics(run_uuid, key, value, is_nan, timestamp, step, experiment_id, start_time)",
            "({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7})",
            "ON CONFLICT(run_uuid, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step " +
            // MLflow's "latest": the max of (step, timestamp, value), NaN ranking below every number.
            "WHERE (excluded.step, excluded.timestamp, 1 - excluded.is_nan, COALESCE(excluded.value, 0)) > " +
            "(latest_metrics.step, latest_metrics.timestamp, 1 - latest_metrics.is_nan, COALESCE(latest_metrics.value, 0))",
            keys.Values.Select(k => k.Latest).Select(m => new object?[]
            {
                run.RunId, m.Key, double.IsNaN(m.Value) ? DBNull.Value : m.Value, double.IsNaN(m.Value) ? 1L : 0L, m.Timestamp, m.Step, run.ExperimentId, run.StartTime,
            }).ToList());
    }

    /// <summary>
    /// Executes <c>{insert} VALUES (row), (row), … {tail}</c> over <paramref name="rows"/>, up to
    /// <see cref="RowsPerStatement"/> rows per statement, each value a bound parameter: one statement (one round trip to
    /// a server) instead of one per row. The rows of one statement must not meet the same conflict target twice
    /// (PostgreSQL refuses a second update of a row). <paramref name="row"/> is a composite format of the row with {i}
    /// for the i-th value.
    /// </summary>
    private protected virtual void ExecRows(DbTransaction tx, string insert, string row, string tail, IReadOnlyList<object?[]> rows)
    {
        for (var start = 0; start < rows.Count; start += RowsPerStatement)
        {
            var count = Math.Min(RowsPerStatement, rows.Count - start);
            using var cmd = tx.Connection!.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = RowsSql(insert, row, tail, count, rows[start].Length, (r, c) => $"@p{r}_{c}");
            for (var r = 0; r < count; r++)
                for (var c = 0; c < rows[start + r].Length; c++)
                {
                    var p = cmd.CreateParameter();
                    p.ParameterName = $"@p{r}_{c}";
                    p.Value = rows[start + r][c] ?? DBNull.Value;
                    cmd.Parameters.Add(p);
                }
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Rows per statement of <see cref="ExecRows"/>.</summary>
    private protected const int RowsPerStatement = 100;

    /// <summary>The SQL of <see cref="ExecRows"/> for <paramref name="count"/> rows of <paramref name="width"/> values, each named by <paramref name="name"/>(row, column).</summary>
    private protected static string RowsSql(string insert, string row, string tail, int count, int width, Func<int, int, string> name)
    {
        var sql = new System.Text.StringBuilder(insert).Append(" VALUES ");
        for (var r = 0; r < count; r++)
            sql.Append(r == 0 ? "" : ", ").Append(string.Format(CultureInfo.InvariantCulture, row, Enumerable.Range(0, width).Select(c => name(r, c)).ToArray<object?>()));
        return sql.Append(' ').Append(tail).ToString();
    }

    /// <summary>
    /// Appends metric points to the history (<c>metrics</c>: run key, key id, step, timestamp, seq, value; NaN is NULL).
    /// A point whose (step, timestamp) the run already has for that key gets the next <c>seq</c>, so history reads
    /// keep insertion order among equal (step, timestamp); those points are returned (null when none). The default
    /// inserts row by row with one prepared statement.
    /// </summary>
    private protected virtual List<(long KeyId, Metric Metric)>? InsertPoints(long runKey, (long KeyId, Metric Metric)[] points, DbTransaction tx)
    {
        using var insert = Prepared(tx, "INSERT INTO metrics(run_key, key_id, step, timestamp, seq, value) VALUES (@r, @k, @s, @t, 0, @v) ON CONFLICT DO NOTHING",
            "@r", "@k", "@s", "@t", "@v");
        // Typed parameters and an explicitly prepared statement: the driver binds without inspecting each value's type.
        for (var i = 0; i < 4; i++) insert.Parameters[i].DbType = System.Data.DbType.Int64;
        insert.Parameters[4].DbType = System.Data.DbType.Double;
        insert.Prepare();
        List<(long, Metric)>? collided = null;
        foreach (var (keyId, m) in points)
            if (BindPoint(insert, runKey, keyId, m).ExecuteNonQuery() == 0)
                (collided ??= []).Add((keyId, m));
        if (collided is not null) InsertWithNextSeq(runKey, collided, tx);
        return collided;
    }

    // metric_blocks keeps, per run, key and block of MetricSampling.BlockSteps steps, the block's first lowest and first
    // highest non-NaN point (history order), so a sampled read over a long range reads one row per block instead of
    // every point. A batch's points are merged into their blocks' rows; a block that received a point with a repeated
    // (step, timestamp) (seq > 0) is recomputed from the history instead.
    private sealed class KeyState(long keyId, Metric first)
    {
        public long KeyId { get; } = keyId;
        public Metric Latest { get; set; } = first;
        public long Block { get; set; }
        public Metric? Lo { get; set; }
        public Metric? Hi { get; set; }

        // Merges the extremes of the block being filled into the batch's candidates.
        public void Flush(Dictionary<(long KeyId, long Block), (Metric Lo, Metric Hi)> candidates)
        {
            if (Lo is null || Hi is null) return;
            var at = (KeyId, Block);
            candidates[at] = candidates.TryGetValue(at, out var c)
                ? (Before(Lo, c.Lo, Lo.Value, c.Lo.Value) ? Lo : c.Lo, Before(Hi, c.Hi, -Hi.Value, -c.Hi.Value) ? Hi : c.Hi)
                : (Lo, Hi);
        }
    }

    private void UpdateBlocks(long runKey, Dictionary<(long KeyId, long Block), (Metric Lo, Metric Hi)> candidates, List<(long KeyId, Metric Metric)>? collided, DbTransaction tx)
    {
        var recompute = collided?.Select(c => (c.KeyId, Block: MetricSampling.Block(c.Metric.Step))).ToHashSet() ?? [];
        foreach (var block in recompute) candidates.Remove(block);
        if (candidates.Count > 0)
        {
            // Points of one batch that reach this far all have seq 0 and distinct (step, timestamp), so comparing
            // (value, step, timestamp) with a stored extreme decides exactly as history order would.
            ExecRows(tx,
                "INSERT INTO metric_blocks(run_key, key_id, block, lo_step, lo_ts, lo_seq, lo_value, hi_step, hi_ts, hi_seq, hi_value)",
                "({0}, {1}, {2}, {3}, {4}, 0, {5}, {6}, {7}, 0, {8})",
                "ON CONFLICT (run_key, key_id, block) DO UPDATE SET " +
                string.Join(", ", new[] { ("lo_step", "lo"), ("lo_ts", "lo"), ("lo_seq", "lo"), ("lo_value", "lo"), ("hi_step", "hi"), ("hi_ts", "hi"), ("hi_seq", "hi"), ("hi_value", "hi") }
                    .Select(c => $"{c.Item1} = CASE WHEN {BlockKey("excluded", c.Item2)} < {BlockKey("metric_blocks", c.Item2)} THEN excluded.{c.Item1} ELSE metric_blocks.{c.Item1} END")),
                candidates.Select(c => new object?[] { runKey, c.Key.KeyId, c.Key.Block, c.Value.Lo.Step, c.Value.Lo.Timestamp, c.Value.Lo.Value, c.Value.Hi.Step, c.Value.Hi.Timestamp, c.Value.Hi.Value }).ToList());
        }
        if (recompute.Count == 0) return;
        const string Range = "FROM metrics WHERE run_key = @r AND key_id = @k AND step >= @lo AND step <= @hi";
        using var delete = Prepared(tx, "DELETE FROM metric_blocks WHERE run_key = @r AND key_id = @k AND block = @b", "@r", "@k", "@b");
        using var insert = Prepared(tx,
            "INSERT INTO metric_blocks(run_key, key_id, block, lo_step, lo_ts, lo_seq, lo_value, hi_step, hi_ts, hi_seq, hi_value) " +
            $"SELECT @r, @k, @b, l.step, l.timestamp, l.seq, l.value, h.step, h.timestamp, h.seq, h.value FROM ({Dialect.LowestPoint(Range)}) l CROSS JOIN ({Dialect.HighestPoint(Range)}) h " +
            "WHERE l.value IS NOT NULL", "@r", "@k", "@b", "@lo", "@hi");
        foreach (var (keyId, block) in recompute)
        {
            object?[] values = [runKey, keyId, block, MetricSampling.BlockStart(block), MetricSampling.BlockStart(block) + MetricSampling.BlockSteps - 1];
            for (var i = 0; i < 3; i++) delete.Parameters[i].Value = values[i];
            delete.ExecuteNonQuery();
            for (var i = 0; i < values.Length; i++) insert.Parameters[i].Value = values[i];
            insert.ExecuteNonQuery();
        }
    }

    // (value, step, timestamp) of a block's lowest ("lo") or highest ("hi", value negated) point, as a row value.
    private static string BlockKey(string table, string which) =>
        which == "lo" ? $"({table}.lo_value, {table}.lo_step, {table}.lo_ts)" : $"(-{table}.hi_value, {table}.hi_step, {table}.hi_ts)";

    private static bool Before(Metric a, Metric b, double aValue, double bValue) =>
        (aValue, a.Step, a.Timestamp).CompareTo((bValue, b.Step, b.Timestamp)) < 0;

    /// <summary>Inserts the points that collided on (run, key, step, timestamp, seq 0) with the next free seq each.</summary>
    private protected static void InsertWithNextSeq(long runKey, IEnumerable<(long KeyId, Metric Metric)> points, DbTransaction tx)
    {
        using var again = Prepared(tx, "INSERT INTO metrics(run_key, key_id, step, timestamp, seq, value) " +
                                       "SELECT @r, @k, @s, @t, MAX(seq) + 1, @v FROM metrics WHERE run_key = @r AND key_id = @k AND step = @s AND timestamp = @t",
            "@r", "@k", "@s", "@t", "@v");
        foreach (var (keyId, m) in points) BindPoint(again, runKey, keyId, m).ExecuteNonQuery();
    }

    private static DbCommand BindPoint(DbCommand cmd, long runKey, long keyId, Metric m)
    {
        cmd.Parameters[0].Value = runKey;
        cmd.Parameters[1].Value = keyId;
        cmd.Parameters[2].Value = m.Step;
        cmd.Parameters[3].Value = m.Timestamp;
        cmd.Parameters[4].Value = double.IsNaN(m.Value) ? DBNull.Value : m.Value;
        return cmd;
    }

    /// <summary>A prepared command with the given parameters, unbound.</summary>
    private protected static DbCommand Prepared(DbTransaction tx, string sql, params string[] parameters)
    {
        var cmd = tx.Connection!.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var name in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    // Metric names are stored once (metric_keys) and referred to by id in the history. Ids never change, so they are
    // cached; an id this transaction created is remembered only after the commit (newKeys).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _keyIds = new(StringComparer.Ordinal);

    private long InternKey(string key, DbTransaction tx, List<KeyValuePair<string, long>> newKeys)
    {
        if (_keyIds.TryGetValue(key, out var id)) return id;
        Exec("INSERT INTO metric_keys(key) VALUES (@k) ON CONFLICT (key) DO NOTHING", tx, ("@k", key));
        id = Convert.ToInt64(Scalar("SELECT key_id FROM metric_keys WHERE key = @k", tx, ("@k", key)), CultureInfo.InvariantCulture);
        newKeys.Add(new(key, id));
        return id;
    }

    // The id of a key in a read (committed, so cacheable), or null when no run ever logged it.
    private long? FindKey(string key, DbTransaction tx)
    {
        if (_keyIds.TryGetValue(key, out var id)) return id;
        if (Scalar("SELECT key_id FROM metric_keys WHERE key = @k", tx, ("@k", key)) is not { } found) return null;
        id = Convert.ToInt64(found, CultureInfo.InvariantCulture);
        _keyIds.TryAdd(key, id);
        return id;
    }

    /// <inheritdoc />
    public Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        return WriteAsync(tx =>
        {
            RequireActiveRun(runId, tx);
            if (Exec("DELETE FROM tags WHERE run_uuid = @r AND key = @k", tx, ("@r", runId), ("@k", key)) == 0)
                throw TrackingException.NotFound($"tags[{key}]", $"No tag with key '{key}' on run {runId}.");
            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        return ReadAsync<IReadOnlyList<Metric>>(tx =>
        {
            var runKey = RunKey(runId, tx);
            var points = new MetricPoints(key);
            if (FindKey(key, tx) is not { } keyId) return points;
            ReadHistory(runKey, keyId, points, tx);
            return points;
        }, cancellationToken);
    }

    /// <summary>The SQL of a run's history of one key (parameters @r, @k): one range of the primary key, in key order.</summary>
    private protected const string HistorySql = "SELECT step, timestamp, value FROM metrics WHERE run_key = @r AND key_id = @k ORDER BY step, timestamp, seq";

    /// <summary>
    /// Appends a run's history of one key to <paramref name="points"/>: one range of the history's primary key, read in
    /// key order (no sort, no lookup) into three arrays rather than an object per point (MetricPoints makes a Metric
    /// when one is asked for). NaN is stored as NULL.
    /// </summary>
    private protected virtual void ReadHistory(long runKey, long keyId, MetricPoints points, DbTransaction tx)
    {
        using var cmd = Command(HistorySql, tx, ("@r", runKey), ("@k", keyId));
        using var r = cmd.ExecuteReader();
        while (r.Read()) points.Add(r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? double.NaN : r.GetDouble(2));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RunMetricHistory>> GetMetricHistorySampledAsync(IReadOnlyList<string> runIds, string key, long? startStep = null, long? endStep = null,
        int maxResults = MetricSampling.DefaultMaxResults, CancellationToken cancellationToken = default)
    {
        MetricSampling.Validate(runIds, startStep, endStep, maxResults);
        return ReadAsync<IReadOnlyList<RunMetricHistory>>(tx =>
        {
            var runKeys = runIds.Select(id => RunKey(id, tx)).ToList();
            if (FindKey(key, tx) is not { } keyId) return runIds.Select(id => new RunMetricHistory(id, [])).ToList();
            // Two single-aggregate subqueries: each is one primary-key seek. MIN and MAX in one aggregate would scan the
            // whole history in SQLite (1M points: ~60 ms).
            using var bounds = Prepared(tx, "SELECT (SELECT MIN(step) FROM metrics WHERE run_key = @r AND key_id = @k), " +
                                            "(SELECT MAX(step) FROM metrics WHERE run_key = @r AND key_id = @k)", "@r", "@k");
            var (lo, hi) = (startStep ?? long.MaxValue, endStep ?? long.MinValue);
            if (startStep is null)
                foreach (var runKey in runKeys)
                {
                    bounds.Parameters[0].Value = runKey;
                    bounds.Parameters[1].Value = keyId;
                    using var r = bounds.ExecuteReader();
                    if (r.Read() && !r.IsDBNull(0)) (lo, hi) = (Math.Min(lo, r.GetInt64(0)), Math.Max(hi, r.GetInt64(1)));
                }
            return runIds.Select((id, i) => new RunMetricHistory(id, lo > hi ? [] : SampleRun(Dialect, runKeys[i], keyId, key, lo, hi, maxResults, tx))).ToList();
        }, cancellationToken);
    }

    private readonly record struct Point(long Step, long Timestamp, long Seq, double Value);

    // Every point of [lo, hi] when there are at most maxResults of them; otherwise, per bucket (MetricSampling.Bucket),
    // the first lowest and first highest point. Buckets narrower than a block are read from the history (one ordered
    // pass per extreme over the bucket's primary-key range); wider ones are whole blocks but for the range's two ends,
    // and come from metric_blocks, one row per block, with the two partial end blocks read from the history.
    private static List<Metric> SampleRun(SqlDialect dialect, long runKey, long keyId, string key, long lo, long hi, int maxResults, DbTransaction tx)
    {
        const string Range = "FROM metrics WHERE run_key = @r AND key_id = @k AND step >= @lo AND step <= @hi";
        DbCommand Bound(DbCommand cmd, long from, long to)
        {
            (cmd.Parameters[0].Value, cmd.Parameters[1].Value, cmd.Parameters[2].Value, cmd.Parameters[3].Value) = (runKey, keyId, from, to);
            return cmd;
        }
        using (var count = Prepared(tx, $"SELECT COUNT(*) FROM (SELECT 1 {Range} LIMIT {maxResults + 1}) x", "@r", "@k", "@lo", "@hi"))
            if (Convert.ToInt64(Bound(count, lo, hi).ExecuteScalar(), CultureInfo.InvariantCulture) <= maxResults)
            {
                using var all = Prepared(tx, $"SELECT step, timestamp, value {Range} ORDER BY step, timestamp, seq", "@r", "@k", "@lo", "@hi");
                using var r = Bound(all, lo, hi).ExecuteReader();
                var every = new List<Metric>();
                while (r.Read()) every.Add(new Metric(key, r.IsDBNull(2) ? double.NaN : r.GetDouble(2), r.GetInt64(1), r.GetInt64(0)));
                return every;
            }
        var buckets = MetricSampling.Buckets(maxResults);
        var best = new (Point? Lo, Point? Hi)[buckets];
        void Offer(int bucket, Point p)
        {
            var (low, high) = best[bucket];
            if (low is not { } l || (p.Value, p.Step, p.Timestamp, p.Seq).CompareTo((l.Value, l.Step, l.Timestamp, l.Seq)) < 0) low = p;
            if (high is not { } h || (-p.Value, p.Step, p.Timestamp, p.Seq).CompareTo((-h.Value, h.Step, h.Timestamp, h.Seq)) < 0) high = p;
            best[bucket] = (low, high);
        }
        using var min = Prepared(tx, dialect.LowestPoint(Range), "@r", "@k", "@lo", "@hi");
        using var max = Prepared(tx, dialect.HighestPoint(Range), "@r", "@k", "@lo", "@hi");
        void FromHistory(int bucket, long from, long to)
        {
            foreach (var cmd in new[] { min, max })
            {
                using var r = Bound(cmd, from, to).ExecuteReader();
                // An aggregate over an empty range answers one row of NULLs.
                if (r.Read() && !r.IsDBNull(0) && !r.IsDBNull(3)) Offer(bucket, new Point(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetDouble(3)));
            }
        }
        var bounds = Enumerable.Range(0, buckets).Select(b => MetricSampling.Bucket(lo, hi, buckets, b)).ToArray();
        if ((Int128)hi - lo + 1 < (Int128)MetricSampling.BlockSteps * buckets)
        {
            for (var b = 0; b < buckets; b++)
                if (bounds[b].From <= bounds[b].To) FromHistory(b, bounds[b].From, bounds[b].To);
        }
        else
        {
            var firstFull = MetricSampling.Block(lo) + (lo == MetricSampling.BlockStart(MetricSampling.Block(lo)) ? 0 : 1);
            var lastFull = MetricSampling.Block(hi) - (hi == MetricSampling.BlockStart(MetricSampling.Block(hi) + 1) - 1 ? 0 : 1);
            // The partial blocks at the ends lie inside the first and the last bucket (each bucket spans ≥ a block).
            if (firstFull > MetricSampling.Block(lo)) FromHistory(0, lo, MetricSampling.BlockStart(firstFull) - 1);
            if (lastFull < MetricSampling.Block(hi)) FromHistory(buckets - 1, MetricSampling.BlockStart(lastFull + 1), hi);
            using var blocks = Prepared(tx, "SELECT block, lo_step, lo_ts, lo_seq, lo_value, hi_step, hi_ts, hi_seq, hi_value FROM metric_blocks " +
                                            "WHERE run_key = @r AND key_id = @k AND block >= @lo AND block <= @hi ORDER BY block", "@r", "@k", "@lo", "@hi");
            using var r = Bound(blocks, firstFull, lastFull).ExecuteReader();
            var bucket = 0;
            while (r.Read())
            {
                while (MetricSampling.BlockStart(r.GetInt64(0)) > bounds[bucket].To) bucket++;
                Offer(bucket, new Point(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetDouble(4)));
                Offer(bucket, new Point(r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetDouble(8)));
            }
        }
        var points = new List<Metric>(buckets * 2);
        foreach (var (low, high) in best)
        {
            if (low is not { } l || high is not { } h) continue;
            var pair = (l.Step, l.Timestamp, l.Seq).CompareTo((h.Step, h.Timestamp, h.Seq));
            foreach (var p in pair == 0 ? [l] : pair < 0 ? new[] { l, h } : [h, l])
                points.Add(new Metric(key, p.Value, p.Timestamp, p.Step));
        }
        return points;
    }

    private long RunKey(string runId, DbTransaction tx)
    {
        TrackingValidation.ValidateRunId(runId);
        return Scalar("SELECT run_key FROM runs WHERE run_uuid = @r", tx, ("@r", runId)) is { } key
            ? Convert.ToInt64(key, CultureInfo.InvariantCulture)
            : throw RunNotFound(runId);
    }

    /// <summary>
    /// How many runs a search of <paramref name="experimentIds"/> with <paramref name="filter"/> (the search grammar of
    /// <see cref="SearchRunsAsync"/>) finds in all: the runs table's total. One COUNT over the same WHERE as the search.
    /// </summary>
    public Task<long> CountRunsAsync(IReadOnlyList<string> experimentIds, string? filter, ViewType viewType = ViewType.ActiveOnly, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experimentIds);
        if (experimentIds.Count == 0)
            throw TrackingException.InvalidParameter("experiment_ids", "Search needs at least one experiment id.");
        var ids = experimentIds.Select(ParseExperimentId).ToList();
        var parsed = RunFilterParser.ParseFilter(filter);
        return ReadAsync(tx =>
        {
            var sql = new RunSearchSql(Dialect);
            var driver = SelectiveTerm(parsed, null, tx);
            var text = $"SELECT COUNT(*) FROM runs r WHERE {InExperiments(sql, ids, driver)} AND r.lifecycle_stage IN ({StageList(viewType)}) AND {sql.Where(parsed, driver, listAll: driver is null)}";
            using var cmd = Command(text, tx, sql.Arguments);
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<RunPage> SearchRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.MaxResults is < 1 or > TrackingLimits.MaxResultsLimit)
            throw TrackingException.InvalidParameter("max_results",
                $"max_results must be between 1 and {TrackingLimits.MaxResultsLimit}, got {query.MaxResults}.");
        if (query.ExperimentIds.Count == 0)
            throw TrackingException.InvalidParameter("experiment_ids", "Search needs at least one experiment id.");
        var experimentIds = query.ExperimentIds.Select(ParseExperimentId).ToList();
        var filter = RunFilterParser.ParseFilter(query.Filter);
        var order = (query.OrderBy ?? []).Select(RunFilterParser.ParseOrderBy).ToList();
        var signature = SearchCursor.Signature(order);
        var stages = StageList(query.ViewType);
        var limit = query.MaxResults;
        return ReadAsync(tx =>
        {
            var sql = new RunSearchSql(Dialect);
            var orderSql = sql.OrderBy(order);
            var cursor = SearchCursor.Decode(query.PageToken, signature, sql.Keys);
            var walked = experimentIds.Count == 1 && order is [{ Field.Kind: FieldKind.Metric } clause] && cursor.Offset is null ? clause : null;
            var driver = SelectiveTerm(filter, walked?.Field, tx);
            var where = sql.Where(filter, driver);
            List<object?[]> rows;
            if (walked is not null && driver is null)
                rows = SearchByMetric(sql, experimentIds[0], walked, filter, where, stages, limit, cursor.After, tx);
            else
            {
                var after = cursor.After is { } last ? " AND " + sql.After(sql.Keys, last) : "";
                rows = Rows($"SELECT {string.Join(", ", sql.Keys.Select(k => k.Column))} FROM runs r{sql.Joins} WHERE {InExperiments(sql, experimentIds, driver)} " +
                            $"AND r.lifecycle_stage IN ({stages}) AND {where}{after} ORDER BY {orderSql} " +
                            $"LIMIT {sql.Bind(limit)}" + (cursor.Offset is { } offset ? $" OFFSET {sql.Bind(offset)}" : ""), sql, limit, tx);
            }
            // Every row ends with the run id (the last sort key); the whole row is the next page's starting point.
            var ids = rows.ConvertAll(r => (string)r[^1]!);
            return new RunPage(LoadRuns(ids, tx), ids.Count == limit ? SearchCursor.Encode(signature, rows[^1]) : null);
        }, cancellationToken);
    }

    /// <summary>
    /// Below this many matching runs, a filter term is where a search starts: its runs are listed from the term's
    /// (key, value) index and sorted, instead of walking the order's index and probing each run (bench/tracking).
    /// </summary>
    internal int DrivingTermLimit { get; set; } = 20_000;

    /// <summary>
    /// The term of the filter's top-level AND that matches fewest runs, if fewer than <see cref="DrivingTermLimit"/>
    /// (counted, stopping at the limit, from its (key, value) index). SQLite plans without statistics and cannot
    /// tell <c>params.seed = '7'</c> (a few runs: start from them) from <c>params.optimizer = 'adam'</c> (a quarter
    /// of them: walk the order and probe), so the store looks; PostgreSQL's planner knows from its statistics. A range
    /// on the metric the search walks is not a candidate: it already bounds the walk.
    /// </summary>
    private FilterComparison? SelectiveTerm(FilterNode? filter, FieldRef? walked, DbTransaction tx)
    {
        if (Dialect.PlansFromStatistics) return null;
        FilterComparison? best = null;
        var fewest = (long)DrivingTermLimit;
        foreach (var term in (filter is FilterAnd and ? and.Terms : filter is null ? [] : [filter]).OfType<FilterComparison>())
        {
            if (term.Field.Kind == FieldKind.Attribute || term.Field == walked) continue;
            var sql = new RunSearchSql(Dialect);
            var count = Convert.ToInt64(Scalar($"SELECT COUNT(*) FROM (SELECT 1 {sql.Matching(term)} LIMIT {fewest}) t", tx,
                sql.Arguments), CultureInfo.InvariantCulture);
            if (count < fewest) (best, fewest) = (term, count);
        }
        return best;
    }

    /// <summary>
    /// "The run is in one of these experiments"; with a driving term, written so no index serves it (<c>+column</c>)
    /// and the search starts from the term's runs instead of the experiment's.
    /// </summary>
    private static string InExperiments(RunSearchSql sql, IReadOnlyList<long> experimentIds, FilterComparison? driver) =>
        $"{(driver is null ? "" : "+")}r.experiment_id IN ({string.Join(", ", experimentIds.Select(e => sql.Bind(e)))})";

    /// <summary>
    /// A search of one experiment ordered by one metric, without sorting: runs with a value come from the index on
    /// latest_metrics (experiment, key, value, start time, run id) in order; once those run out, runs without a value
    /// (missing or NaN) follow from the index on runs (experiment, start time, run id). The filter is checked per row.
    /// </summary>
    private List<object?[]> SearchByMetric(RunSearchSql sql, long experimentId, OrderClause clause, FilterNode? filter, string where, string stages, int limit,
        IReadOnlyList<object?>? after, DbTransaction tx)
    {
        var e = sql.Bind(experimentId);
        var k = sql.Bind(clause.Field.Key);
        var dir = clause.Ascending ? "ASC" : "DESC";
        var rows = new List<object?[]>();
        // Clauses of the filter's top-level AND on the ordered metric itself bound the index walk directly (metrics.acc
        // > 0.9 ordered by metrics.acc reads only the runs above 0.9), and since a run without that metric (or with
        // NaN) never matches them, the runs without a value need no second look.
        var sameKey = (filter is FilterAnd and ? and.Terms : filter is null ? [] : [filter])
            .OfType<FilterComparison>().Where(c => c.Field == clause.Field && c.Op is "=" or "!=" or "<" or "<=" or ">" or ">=").ToList();
        var range = string.Concat(sameKey.Select(c => $" AND lm.value {(c.Op == "!=" ? "<>" : c.Op)} {sql.Bind(c.Value)}"));
        if (after is null || after[0] is not null)
        {
            OrderKey[] keys = [new("lm.value", clause.Ascending, false, KeyType.Real), .. RunSearchSql.DefaultKeys("lm")];
            var from = after is null ? "" : " AND " + sql.After(keys, after);
            Rows($"SELECT lm.value, lm.start_time, lm.run_uuid FROM latest_metrics lm{Dialect.MetricOrderIndex(clause.Ascending)} JOIN runs r ON r.run_uuid = lm.run_uuid " +
                 $"WHERE lm.experiment_id = {e} AND lm.key = {k} AND lm.value IS NOT NULL{range} AND r.lifecycle_stage IN ({stages}) AND {where}{from} " +
                 $"ORDER BY lm.value {dir}, lm.start_time DESC, lm.run_uuid ASC LIMIT {limit}", sql, limit, tx, rows);
        }
        if (rows.Count < limit && sameKey.Count == 0)
        {
            var from = after is [null, ..] ? " AND " + sql.After(RunSearchSql.DefaultKeys("r"), after.Skip(1).ToList()) : "";
            Rows($"SELECT NULL, r.start_time, r.run_uuid FROM runs r WHERE r.experiment_id = {e} AND r.lifecycle_stage IN ({stages}) AND {where} " +
                 $"AND NOT EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = {k} AND m.value IS NOT NULL){from} " +
                 $"ORDER BY r.start_time DESC, r.run_uuid ASC LIMIT {limit - rows.Count}", sql, limit, tx, rows);
        }
        return rows;
    }

    /// <summary>Sees each search statement and its parameters before it runs (tests read its query plan).</summary>
    internal Action<string, IReadOnlyList<KeyValuePair<string, object>>>? SearchStatementObserver { get; set; }

    private List<object?[]> Rows(string text, RunSearchSql sql, int limit, DbTransaction tx, List<object?[]>? rows = null)
    {
        SearchStatementObserver?.Invoke(text, sql.Parameters);
        rows ??= new List<object?[]>(Math.Min(limit, 1024));
        using var cmd = Command(text, tx, sql.Arguments);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    // ---------------- heartbeats ----------------

    /// <inheritdoc />
    public Task HeartbeatAsync(string runId, long time, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        return WriteAsync(tx =>
        {
            if (Exec("UPDATE runs SET heartbeat_time = @t WHERE run_uuid = @r", tx, ("@t", time), ("@r", runId)) == 0) throw RunNotFound(runId);
            return 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> FailStaleRunsAsync(long heartbeatBefore, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<string>>(tx =>
        {
            var stale = new List<(string Id, long Heartbeat)>();
            using (var cmd = Command("SELECT run_uuid, heartbeat_time FROM runs WHERE status = 'RUNNING' AND heartbeat_time < @t", tx, ("@t", heartbeatBefore)))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) stale.Add((r.GetString(0), r.GetInt64(1)));
            foreach (var (id, heartbeat) in stale)
            {
                // The last heartbeat is the last moment the run is known to have been alive: use it as the end time.
                Exec("UPDATE runs SET status = 'FAILED', end_time = @t WHERE run_uuid = @r", tx, ("@t", heartbeat), ("@r", id));
                Exec("INSERT INTO tags(run_uuid, key, value) VALUES (@r, @k, @v) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value", tx, ("@r", id), ("@k", SystemTags.Failure),
                    ("@v", $"Process stopped sending heartbeats; last one at {DateTimeOffset.FromUnixTimeMilliseconds(heartbeat):O}."));
            }
            return stale.Select(s => s.Id).ToList();
        }, cancellationToken);

    // ---------------- reading runs ----------------

    private List<Run> LoadRuns(IReadOnlyList<string> ids, DbTransaction tx)
    {
        if (ids.Count == 0) return [];
        var idsArgument = Dialect.IdsArgument(ids);
        var inIds = Dialect.InIds("run_uuid", "@ids");
        var metrics = new Dictionary<string, Dictionary<string, Metric>>();
        using (var cmd = Command($"SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics WHERE {inIds}", tx, ("@ids", idsArgument)))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var m = ReadMetric(r, 1);
                Bucket(metrics, r.GetString(0))[m.Key] = m;
            }
        var @params = ReadKeyValues("params", inIds, idsArgument, tx);
        var tags = ReadKeyValues("tags", inIds, idsArgument, tx);
        var infos = new Dictionary<string, RunInfo>();
        using (var cmd = Command($"SELECT run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage FROM runs WHERE {inIds}", tx, ("@ids", idsArgument)))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                infos[r.GetString(0)] = new RunInfo(r.GetString(0), r.GetInt64(1).ToString(CultureInfo.InvariantCulture), r.GetString(2),
                    r.GetString(3), TrackingNames.ParseRunStatus(r.GetString(4)), r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6),
                    r.GetString(7), TrackingNames.ParseLifecycleStage(r.GetString(8)));
        return ids.Where(infos.ContainsKey).Select(id => new Run(infos[id], new RunData(
            (IReadOnlyDictionary<string, Metric>?)metrics.GetValueOrDefault(id) ?? new Dictionary<string, Metric>(),
            (IReadOnlyDictionary<string, string>?)@params.GetValueOrDefault(id) ?? new Dictionary<string, string>(),
            (IReadOnlyDictionary<string, string>?)tags.GetValueOrDefault(id) ?? new Dictionary<string, string>()))).ToList();
    }

    private Dictionary<string, Dictionary<string, string>> ReadKeyValues(string table, string inIds, object idsArgument, DbTransaction tx)
    {
        var result = new Dictionary<string, Dictionary<string, string>>();
        using var cmd = Command($"SELECT run_uuid, key, value FROM {table} WHERE {inIds}", tx, ("@ids", idsArgument));
        using var r = cmd.ExecuteReader();
        while (r.Read()) Bucket(result, r.GetString(0))[r.GetString(1)] = r.GetString(2);
        return result;
    }

    private static Dictionary<string, T> Bucket<TId, T>(Dictionary<TId, Dictionary<string, T>> all, TId id) where TId : notnull =>
        all.TryGetValue(id, out var d) ? d : all[id] = new Dictionary<string, T>(StringComparer.Ordinal);

    private static Metric ReadMetric(DbDataReader r, int first) =>
        new(r.GetString(first), r.GetInt64(first + 2) == 1 ? double.NaN : r.GetDouble(first + 1), r.GetInt64(first + 3), r.GetInt64(first + 4));

    private sealed record ActiveRunRow(string RunId, long RunKey, long ExperimentId, long StartTime);

    private ActiveRunRow RequireActiveRun(string runId, DbTransaction tx)
    {
        using var cmd = Command("SELECT lifecycle_stage, run_key, experiment_id, start_time FROM runs WHERE run_uuid = @r", tx, ("@r", runId));
        using var r = cmd.ExecuteReader();
        if (!r.Read()) throw RunNotFound(runId);
        var stage = r.GetString(0);
        if (stage != "active")
            throw TrackingException.InvalidParameter("run_id", $"The run {runId} must be in the 'active' state. Current state is {stage}.");
        return new ActiveRunRow(runId, r.GetInt64(1), r.GetInt64(2), r.GetInt64(3));
    }

    private static TrackingException RunNotFound(string runId) =>
        TrackingException.NotFound("run_id", $"Run with id={runId} not found.");

    // ---------------- plumbing ----------------

    internal async Task<T> WriteAsync<T>(Func<DbTransaction, T> body, CancellationToken ct)
    {
        try
        {
            return await ExecuteAsync(true, body, ct).ConfigureAwait(false);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            throw new TrackingException(TrackingErrorCode.ResourceAlreadyExists, $"Already exists (written concurrently): {e.Message}", null, e);
        }
        catch (DbException e)
        {
            throw new TrackingException(TrackingErrorCode.InternalError, $"Database error in store {Description}: {e.Message}", null, e);
        }
    }

    internal async Task<T> ReadAsync<T>(Func<DbTransaction, T> body, CancellationToken ct)
    {
        try
        {
            return await ExecuteAsync(false, body, ct).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new TrackingException(TrackingErrorCode.InternalError, $"Database error in store {Description}: {e.Message}", null, e);
        }
    }

    internal static DbCommand Command(string sql, DbTransaction tx, params (string Name, object? Value)[] args) =>
        SqlCommands.Create(tx.Connection!, sql, tx, args);

    internal static int Exec(string sql, DbTransaction tx, params (string, object?)[] args)
    {
        using var cmd = Command(sql, tx, args);
        return cmd.ExecuteNonQuery();
    }

    internal static object? Scalar(string sql, DbTransaction tx, params (string, object?)[] args)
    {
        using var cmd = Command(sql, tx, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }
}
