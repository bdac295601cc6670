using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Courseware.Tracking;

namespace Courseware.Registry;

/// <summary>
/// The model registry (MLflow's <c>ModelRegistryClient</c>) kept in the same database as a tracking store, SQLite or
/// PostgreSQL alike: registered models, versions numbered max + 1 (never reused), aliases with an audit log,
/// model cards, lineage and <c>models:/</c> URI resolution. Every write is one transaction that first locks the
/// model's row, so concurrent writers — threads, processes, machines — get distinct version numbers.
/// </summary>
/// <example><code>var registry = new ModelRegistry(store); var v = await registry.RegisterAsync("penguins", "model.zip", ModelFlavor.MLNet, signature, run.RunId);</code></example>
public sealed partial class ModelRegistry
{
    private readonly SqlTrackingStore _store;

    /// <summary>A registry over a SQL tracking store; <paramref name="actor"/> is written into the audit log (default: the OS user).</summary>
    public ModelRegistry(ITrackingStore store, string? actor = null)
    {
        _store = store as SqlTrackingStore ?? throw new ArgumentException(
            $"The model registry lives in a SQL tracking store (SqliteTrackingStore or PostgresTrackingStore), not {store?.GetType().Name ?? "null"}.", nameof(store));
        Actor = actor ?? Environment.UserName;
    }

    /// <summary>Who the audit log says made the changes.</summary>
    public string Actor { get; }

    /// <summary>The tracking store the registry lives in.</summary>
    public ITrackingStore Store => _store;

    // ---------------- registered models ----------------

    /// <summary>Creates a registered model (RESOURCE_ALREADY_EXISTS if the name is taken).</summary>
    public Task<RegisteredModel> CreateModelAsync(string name, string? description = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateModelName(name);
        return _store.WriteAsync(tx =>
        {
            if (ModelExists(name, tx))
                throw new RegistryException(RegistryError.AlreadyExists, "name", $"Registered model '{name}' already exists.");
            InsertModel(name, description ?? "", tx);
            foreach (var (k, v) in tags ?? new Dictionary<string, string>()) SetModelTag(name, k, v, tx);
            return ReadModel(name, tx);
        }, cancellationToken);
    }

    /// <summary>The registered model with its tags and aliases (RESOURCE_DOES_NOT_EXIST if none).</summary>
    public Task<RegisteredModel> GetModelAsync(string name, CancellationToken cancellationToken = default) =>
        _store.ReadAsync(tx => ReadModel(name, tx), cancellationToken);

    /// <summary>Registered models whose name contains <paramref name="nameContains"/> (case-insensitive), by name.</summary>
    public Task<IReadOnlyList<RegisteredModel>> SearchModelsAsync(string? nameContains = null, CancellationToken cancellationToken = default) =>
        _store.ReadAsync<IReadOnlyList<RegisteredModel>>(tx =>
        {
            var names = new List<string>();
            using (var cmd = SqlTrackingStore.Command("SELECT name FROM registered_models ORDER BY name", tx))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) names.Add(r.GetString(0));
            return names.Where(n => n.Contains(nameContains ?? "", StringComparison.OrdinalIgnoreCase)).Select(n => ReadModel(n, tx)).ToList();
        }, cancellationToken);

    /// <summary>Replaces a model's description.</summary>
    public Task UpdateModelAsync(string name, string description, CancellationToken cancellationToken = default) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            SqlTrackingStore.Exec("UPDATE registered_models SET description = @d WHERE name = @n", tx, ("@d", description), ("@n", name));
            return 0;
        }, cancellationToken);

    /// <summary>Sets (or overwrites) a model tag; tag keys follow the tracking key rules, values ≤ 5000 characters.</summary>
    public Task SetModelTagAsync(string name, string key, string value, CancellationToken cancellationToken = default) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            SetModelTag(name, key, value, tx);
            return 0;
        }, cancellationToken);

    /// <summary>Deletes a registered model with all its versions and aliases; its audit log is kept.</summary>
    public Task DeleteModelAsync(string name, string reason = "", CancellationToken cancellationToken = default) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            Audit(name, "delete_model", null, null, null, reason, tx);
            SqlTrackingStore.Exec("DELETE FROM model_version_tags WHERE name = @n", tx, ("@n", name));
            SqlTrackingStore.Exec("DELETE FROM model_versions WHERE name = @n", tx, ("@n", name));
            SqlTrackingStore.Exec("DELETE FROM registered_model_aliases WHERE name = @n", tx, ("@n", name));
            SqlTrackingStore.Exec("DELETE FROM registered_model_tags WHERE name = @n", tx, ("@n", name));
            SqlTrackingStore.Exec("DELETE FROM registered_models WHERE name = @n", tx, ("@n", name));
            return 0;
        }, cancellationToken);

    // ---------------- versions ----------------

    /// <summary>
    /// Registers a model file or folder as the next version of <paramref name="name"/> (creating the registered model
    /// if needed). With a <paramref name="runId"/>, the files are copied into that run's artifacts under
    /// <c>registered/&lt;name&gt;/&lt;version&gt;</c> and the lineage takes the run's params, metrics and code commit
    /// (tag <c>mlflow.source.git.commit</c>); <paramref name="datasets"/> records the data by content hash.
    /// </summary>
    public async Task<ModelVersion> RegisterAsync(string name, string modelPath, ModelFlavor flavor, ModelSignature signature, string? runId = null,
        IEnumerable<DatasetReference>? datasets = null, string? description = null, CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateModelName(name);
        ArgumentNullException.ThrowIfNull(signature);
        var path = Path.GetFullPath(modelPath);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new RegistryException(RegistryError.InvalidParameter, "source", $"Model path '{modelPath}' does not exist.");
        var lineage = ModelLineage.None with { Datasets = datasets?.ToList() ?? [] };
        string? artifactUri = null;
        if (runId is not null)
        {
            var run = await _store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
            lineage = lineage with
            {
                RunId = runId,
                ExperimentId = run.Info.ExperimentId,
                Params = run.Data.Params,
                Metrics = run.Data.Metrics.ToDictionary(m => m.Key, m => m.Value.Value),
                CodeCommit = run.Data.Tags.GetValueOrDefault(SystemTags.GitCommit),
            };
            artifactUri = run.Info.ArtifactUri;
        }
        var version = await _store.WriteAsync(tx =>
        {
            if (!ModelExists(name, tx)) InsertModel(name, "", tx);
            LockModel(name, tx);
            var next = Convert.ToInt32(SqlTrackingStore.Scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = @n", tx, ("@n", name)), CultureInfo.InvariantCulture);
            var now = TrackingNames.NowMs();
            // Copied after the transaction (the folder name needs the number); until then the source names the original file.
            SqlTrackingStore.Exec(
                "INSERT INTO model_versions(name, version, source, run_id, flavor, signature, lineage, model_card, description, current_stage, status, creation_time, last_updated_time, deleted) " +
                "VALUES (@n, @v, @s, @r, @f, @sig, @l, NULL, @d, 'None', 'PENDING_REGISTRATION', @now, @now, 0)", tx,
                ("@n", name), ("@v", (long)next), ("@s", new Uri(path).AbsoluteUri), ("@r", runId), ("@f", flavor.ToString()),
                ("@sig", signature.ToJson()), ("@l", JsonSerializer.Serialize(lineage, ModelSignature.Json)), ("@d", description ?? ""), ("@now", now));
            return next;
        }, cancellationToken).ConfigureAwait(false);
        var source = new Uri(path).AbsoluteUri;
        if (artifactUri is not null)
            source = await CopyIntoRunAsync(path, artifactUri, $"registered/{name}/{version}", cancellationToken).ConfigureAwait(false);
        return await _store.WriteAsync(tx =>
        {
            SqlTrackingStore.Exec("UPDATE model_versions SET source = @s, status = 'READY' WHERE name = @n AND version = @v", tx,
                ("@s", source), ("@n", name), ("@v", (long)version));
            return ReadVersion(name, version, tx, includeDeleted: false);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> CopyIntoRunAsync(string path, string artifactUri, string folder, CancellationToken ct)
    {
        var repository = new LocalArtifactRepository();
        var files = File.Exists(path)
            ? [(path, Path.GetFileName(path))]
            : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Select(f => (f, Path.GetRelativePath(path, f).Replace('\\', '/'))).ToList();
        foreach (var (file, relative) in files)
        {
            await using var stream = File.OpenRead(file);
            await repository.WriteAsync(artifactUri, $"{folder}/{relative}", stream, ct).ConfigureAwait(false);
        }
        var root = new Uri(artifactUri).LocalPath;
        var target = Path.Combine(root, folder);
        return new Uri(File.Exists(path) ? Path.Combine(target, Path.GetFileName(path)) : target + "/").AbsoluteUri;
    }

    /// <summary>A version (RESOURCE_DOES_NOT_EXIST if it never existed or was deleted).</summary>
    public Task<ModelVersion> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default) =>
        _store.ReadAsync(tx => ReadVersion(name, version, tx, includeDeleted: false), cancellationToken);

    /// <summary>The versions of a model, newest first; deleted ones only when asked.</summary>
    public Task<IReadOnlyList<ModelVersion>> SearchVersionsAsync(string name, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        _store.ReadAsync<IReadOnlyList<ModelVersion>>(tx =>
        {
            RequireModel(name, tx);
            var numbers = new List<int>();
            using (var cmd = SqlTrackingStore.Command("SELECT version FROM model_versions WHERE name = @n AND (deleted = 0 OR @all = 1) ORDER BY version DESC", tx,
                       ("@n", name), ("@all", includeDeleted ? 1L : 0L)))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) numbers.Add(Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture));
            return numbers.Select(v => ReadVersion(name, v, tx, includeDeleted: true)).ToList();
        }, cancellationToken);

    /// <summary>Updates a version's description.</summary>
    public Task UpdateVersionAsync(string name, int version, string description, CancellationToken cancellationToken = default) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            SqlTrackingStore.Exec("UPDATE model_versions SET description = @d, last_updated_time = @t WHERE name = @n AND version = @v", tx,
                ("@d", description), ("@t", TrackingNames.NowMs()), ("@n", name), ("@v", (long)version));
            return 0;
        }, cancellationToken);

    /// <summary>Sets (or overwrites) a version tag, e.g. <c>validation_status = approved</c>.</summary>
    public Task SetVersionTagAsync(string name, int version, string key, string value, CancellationToken cancellationToken = default)
    {
        ValidateTag(key, value);
        return _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            SqlTrackingStore.Exec("INSERT INTO model_version_tags(name, version, key, value) VALUES (@n, @v, @k, @val) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value", tx,
                ("@n", name), ("@v", (long)version), ("@k", key), ("@val", value));
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes a version: it disappears from reads and URIs, its aliases are removed (audited), and its number is
    /// never given to another version.
    /// </summary>
    public Task DeleteVersionAsync(string name, int version, string reason = "", CancellationToken cancellationToken = default) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            foreach (var alias in AliasesOf(name, version, tx))
            {
                SqlTrackingStore.Exec("DELETE FROM registered_model_aliases WHERE name = @n AND alias = @a", tx, ("@n", name), ("@a", alias));
                Audit(name, "delete_alias", alias, version, null, $"version {version} deleted. {reason}".Trim(), tx);
            }
            SqlTrackingStore.Exec("UPDATE model_versions SET deleted = 1, last_updated_time = @t WHERE name = @n AND version = @v", tx,
                ("@t", TrackingNames.NowMs()), ("@n", name), ("@v", (long)version));
            Audit(name, "delete_version", null, version, null, reason, tx);
            return 0;
        }, cancellationToken);

    // ---------------- aliases and audit ----------------

    /// <summary>Points an alias at a version (moving it if set), recording the change and its reason in the audit log.</summary>
    /// <example><code>await registry.SetAliasAsync("penguins", "champion", 3, "beat v2 on accuracy");</code></example>
    public Task SetAliasAsync(string name, string alias, int version, string reason = "", CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateAlias(alias);
        return _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            MoveAlias(name, alias, version, "set_alias", reason, tx);
            return 0;
        }, cancellationToken);
    }

    /// <summary>Removes an alias (RESOURCE_DOES_NOT_EXIST if it is not set), recording why.</summary>
    public Task DeleteAliasAsync(string name, string alias, string reason = "", CancellationToken cancellationToken = default) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            var old = AliasVersion(name, alias, tx) ?? throw AliasNotFound(name, alias);
            SqlTrackingStore.Exec("DELETE FROM registered_model_aliases WHERE name = @n AND alias = @a", tx, ("@n", name), ("@a", alias));
            Audit(name, "delete_alias", alias, old, null, reason, tx);
            return 0;
        }, cancellationToken);

    /// <summary>The version an alias points at (RESOURCE_DOES_NOT_EXIST if the alias is not set).</summary>
    public Task<ModelVersion> GetVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        _store.ReadAsync(tx => ReadVersion(name, AliasVersion(name, alias, tx) ?? throw AliasNotFound(name, alias), tx, includeDeleted: false), cancellationToken);

    /// <summary>
    /// Points <paramref name="alias"/> back at the version it had before its last change — one step of undo, as many
    /// times as there is history (a rollback of a rollback goes further back, not forward). Versions deleted since
    /// are skipped. Returns the version the alias now points at.
    /// </summary>
    /// <example><code>await registry.RollbackAsync("penguins", reason: "p99 latency regression");</code></example>
    public Task<ModelVersion> RollbackAsync(string name, string alias = "champion", string reason = "", CancellationToken cancellationToken = default) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            var current = AliasVersion(name, alias, tx);
            var history = AliasHistory(name, alias, tx);
            // The history is a stack: every change pushes the new value, a rollback pops one.
            if (history.Count > 0) history.RemoveAt(history.Count - 1);
            while (history.Count > 0 && history[^1] is { } candidate && !VersionIsLive(name, candidate, tx)) history.RemoveAt(history.Count - 1);
            if (history.Count == 0 || history[^1] is not { } target)
                throw new RegistryException(RegistryError.InvalidState, "alias",
                    $"Cannot roll back '{alias}' of model '{name}': no earlier version in its history (currently {(current is null ? "unset" : "version " + current)}).");
            MoveAlias(name, alias, target, "rollback", reason, tx);
            return ReadVersion(name, target, tx, includeDeleted: false);
        }, cancellationToken);

    /// <summary>The model's audit log, oldest first: every alias change, rollback, promotion, card edit and deletion with its reason.</summary>
    public Task<AuditLog> GetAuditLogAsync(string name, CancellationToken cancellationToken = default) =>
        _store.ReadAsync(tx => new AuditLog(name, ReadAudit(name, tx)), cancellationToken);

    /// <summary>Adds an entry to the audit log without changing anything else (used by promotion decisions that refuse).</summary>
    private Task AppendAuditAsync(string name, string action, string? alias, int? oldVersion, int? newVersion, string reason, CancellationToken cancellationToken) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            Audit(name, action, alias, oldVersion, newVersion, reason, tx);
            return 0;
        }, cancellationToken);

    /// <summary>Moves <paramref name="alias"/> to <paramref name="version"/> and optionally removes another alias, in one transaction with its audit entries.</summary>
    private Task MoveAliasForPromotionAsync(string name, string alias, int version, string? removeAlias, string reason, CancellationToken cancellationToken) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            MoveAlias(name, alias, version, "promote", reason, tx);
            if (removeAlias is not null && AliasVersion(name, removeAlias, tx) is { } old)
            {
                SqlTrackingStore.Exec("DELETE FROM registered_model_aliases WHERE name = @n AND alias = @a", tx, ("@n", name), ("@a", removeAlias));
                Audit(name, "delete_alias", removeAlias, old, null, $"promoted to {alias}", tx);
            }
            return 0;
        }, cancellationToken);

    // ---------------- deprecated stages ----------------

    /// <summary>Sets a version's MLflow stage. Deprecated like MLflow's: use <see cref="SetAliasAsync"/>.</summary>
    [Obsolete(ModelStages.DeprecationMessage)]
    public Task TransitionStageAsync(string name, int version, string stage, bool archiveExistingVersions = false, CancellationToken cancellationToken = default)
    {
        var canonical = ModelStages.Canonical(stage) ?? throw new RegistryException(RegistryError.InvalidParameter, "stage",
            $"Invalid stage '{stage}': expected one of {string.Join(", ", ModelStages.All)}. {ModelStages.DeprecationMessage}");
        return _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            var now = TrackingNames.NowMs();
            if (archiveExistingVersions && canonical is "Staging" or "Production")
                SqlTrackingStore.Exec("UPDATE model_versions SET current_stage = 'Archived', last_updated_time = @t WHERE name = @n AND current_stage = @s AND version <> @v AND deleted = 0", tx,
                    ("@t", now), ("@n", name), ("@s", canonical), ("@v", (long)version));
            SqlTrackingStore.Exec("UPDATE model_versions SET current_stage = @s, last_updated_time = @t WHERE name = @n AND version = @v", tx,
                ("@s", canonical), ("@t", now), ("@n", name), ("@v", (long)version));
            Audit(name, "transition_stage", canonical, null, version, "deprecated stage transition", tx);
            return 0;
        }, cancellationToken);
    }

    /// <summary>Raised when a deprecated stage is read through a URI (<c>models:/name/Production</c>), with <see cref="ModelStages.DeprecationMessage"/>.</summary>
    public event Action<string>? Deprecation;

    // ---------------- URIs ----------------

    /// <summary>
    /// Resolves <c>models:/name/3</c>, <c>models:/name@alias</c>, <c>models:/name/latest</c> (highest version not deleted)
    /// or a deprecated stage URI to the version it names; every place that accepts a model path goes through here.
    /// </summary>
    public Task<ModelVersion> ResolveAsync(string modelUri, CancellationToken cancellationToken = default)
    {
        var uri = ModelUri.Parse(modelUri);
        if (uri.Kind == ModelReferenceKind.Stage)
            (Deprecation ?? (m => Console.Error.WriteLine("Warning: " + m)))($"{modelUri}: {ModelStages.DeprecationMessage}");
        return _store.ReadAsync(tx =>
        {
            RequireModel(uri.Name, tx);
            int? version = uri.Kind switch
            {
                ModelReferenceKind.Version => uri.Version,
                ModelReferenceKind.Alias => AliasVersion(uri.Name, uri.Alias!, tx) ?? throw AliasNotFound(uri.Name, uri.Alias!),
                ModelReferenceKind.Latest => ToVersion(SqlTrackingStore.Scalar("SELECT MAX(version) FROM model_versions WHERE name = @n AND deleted = 0", tx, ("@n", uri.Name))),
                _ => ToVersion(SqlTrackingStore.Scalar("SELECT MAX(version) FROM model_versions WHERE name = @n AND deleted = 0 AND current_stage = @s", tx, ("@n", uri.Name), ("@s", uri.Stage))),
            };
            if (version is null)
                throw new RegistryException(RegistryError.NotFound, "model_uri", $"{modelUri} names no version: model '{uri.Name}' has no {(uri.Kind == ModelReferenceKind.Stage ? "version in stage " + uri.Stage : "live version")}.");
            return ReadVersion(uri.Name, version.Value, tx, includeDeleted: false);
        }, cancellationToken);
    }

    /// <summary>The local file or folder a version's <see cref="ModelVersion.Source"/> points at.</summary>
    public static string LocalPath(ModelVersion version)
    {
        var uri = new Uri(version.Source);
        if (!uri.IsFile)
            throw new RegistryException(RegistryError.InvalidParameter, "source", $"{version.Uri}: source {version.Source} is not a local file URI.");
        return uri.LocalPath.TrimEnd('/');
    }

    // ---------------- model cards ----------------

    /// <summary>The version's model card, or null if none was saved.</summary>
    public Task<ModelCard?> GetModelCardAsync(string name, int version, CancellationToken cancellationToken = default) =>
        _store.ReadAsync(tx =>
        {
            RequireVersion(name, version, tx);
            return SqlTrackingStore.Scalar("SELECT model_card FROM model_versions WHERE name = @n AND version = @v", tx, ("@n", name), ("@v", (long)version)) is string json
                ? ModelCard.FromJson(json)
                : null;
        }, cancellationToken);

    /// <summary>
    /// Saves a model card with the version, one revision higher than the stored one (the audit log keeps each edit).
    /// Returns the card as stored.
    /// </summary>
    public Task<ModelCard> SaveModelCardAsync(ModelCard card, string reason = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(card);
        return _store.WriteAsync(tx =>
        {
            LockModel(card.ModelName, tx);
            RequireVersion(card.ModelName, card.Version, tx);
            var previous = SqlTrackingStore.Scalar("SELECT model_card FROM model_versions WHERE name = @n AND version = @v", tx, ("@n", card.ModelName), ("@v", (long)card.Version)) is string json
                ? ModelCard.FromJson(json).Revision
                : 0;
            var saved = card with { Revision = previous + 1 };
            SqlTrackingStore.Exec("UPDATE model_versions SET model_card = @c, last_updated_time = @t WHERE name = @n AND version = @v", tx,
                ("@c", saved.ToJson()), ("@t", TrackingNames.NowMs()), ("@n", card.ModelName), ("@v", (long)card.Version));
            Audit(card.ModelName, "model_card", null, null, card.Version, $"revision {saved.Revision}. {reason}".Trim(), tx);
            return saved;
        }, cancellationToken);
    }

    // ---------------- lineage ----------------

    /// <summary>Walks data → run → version → alias changes for one version.</summary>
    public async Task<LineageView> GetLineageAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        var v = await GetVersionAsync(name, version, cancellationToken).ConfigureAwait(false);
        Run? run = null;
        if (v.RunId is not null)
        {
            try { run = await _store.GetRunAsync(v.RunId, cancellationToken).ConfigureAwait(false); }
            catch (TrackingException e) when (e.Code == TrackingErrorCode.ResourceDoesNotExist) { }
        }
        var log = await GetAuditLogAsync(name, cancellationToken).ConfigureAwait(false);
        return new LineageView(v, run, log.Entries.Where(e => e.NewVersion == version || e.OldVersion == version).ToList());
    }

    // ---------------- SQL helpers ----------------

    private static bool ModelExists(string name, DbTransaction tx) =>
        SqlTrackingStore.Scalar("SELECT 1 FROM registered_models WHERE name = @n", tx, ("@n", name)) is not null;

    private static void InsertModel(string name, string description, DbTransaction tx)
    {
        var now = TrackingNames.NowMs();
        // ON CONFLICT: two writers registering the first version of a new model at once both get past ModelExists.
        SqlTrackingStore.Exec("INSERT INTO registered_models(name, description, creation_time, last_updated_time) VALUES (@n, @d, @t, @t) ON CONFLICT (name) DO NOTHING", tx,
            ("@n", name), ("@d", description), ("@t", now));
    }

    // Updating the model's row takes its row lock (PostgreSQL) or is already under the database write lock (SQLite):
    // from here to commit no other writer changes this model, so MAX(version) + 1 and the audit sequence are safe.
    private static void LockModel(string name, DbTransaction tx)
    {
        if (SqlTrackingStore.Exec("UPDATE registered_models SET last_updated_time = @t WHERE name = @n", tx, ("@t", TrackingNames.NowMs()), ("@n", name)) == 0)
            throw ModelNotFound(name);
    }

    private static void RequireModel(string name, DbTransaction tx)
    {
        if (!ModelExists(name, tx)) throw ModelNotFound(name);
    }

    private static void RequireVersion(string name, int version, DbTransaction tx)
    {
        if (!VersionIsLive(name, version, tx))
        {
            RequireModel(name, tx);
            throw new RegistryException(RegistryError.NotFound, "version", $"Model version {name}/{version} does not exist{(VersionExists(name, version, tx) ? " (it was deleted)" : "")}.");
        }
    }

    private static bool VersionIsLive(string name, int version, DbTransaction tx) =>
        SqlTrackingStore.Scalar("SELECT 1 FROM model_versions WHERE name = @n AND version = @v AND deleted = 0", tx, ("@n", name), ("@v", (long)version)) is not null;

    private static bool VersionExists(string name, int version, DbTransaction tx) =>
        SqlTrackingStore.Scalar("SELECT 1 FROM model_versions WHERE name = @n AND version = @v", tx, ("@n", name), ("@v", (long)version)) is not null;

    private static RegistryException ModelNotFound(string name) =>
        new(RegistryError.NotFound, "name", $"Registered model '{name}' does not exist.");

    private static RegistryException AliasNotFound(string name, string alias) =>
        new(RegistryError.NotFound, "alias", $"Registered model '{name}' has no alias '{alias}'.");

    private static int? ToVersion(object? value) => value is null ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);

    private static int? AliasVersion(string name, string alias, DbTransaction tx) =>
        ToVersion(SqlTrackingStore.Scalar("SELECT version FROM registered_model_aliases WHERE name = @n AND alias = @a", tx, ("@n", name), ("@a", alias)));

    private static List<string> AliasesOf(string name, int version, DbTransaction tx)
    {
        var list = new List<string>();
        using var cmd = SqlTrackingStore.Command("SELECT alias FROM registered_model_aliases WHERE name = @n AND version = @v ORDER BY alias", tx, ("@n", name), ("@v", (long)version));
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    private void MoveAlias(string name, string alias, int version, string action, string reason, DbTransaction tx)
    {
        RequireVersion(name, version, tx);
        var old = AliasVersion(name, alias, tx);
        SqlTrackingStore.Exec("INSERT INTO registered_model_aliases(name, alias, version) VALUES (@n, @a, @v) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version", tx,
            ("@n", name), ("@a", alias), ("@v", (long)version));
        Audit(name, action, alias, old, version, reason, tx);
    }

    private static readonly HashSet<string> AliasMoves = ["set_alias", "promote", "rollback", "delete_alias"];

    // The values the alias took, oldest first (null = unset), with each rollback undoing the change before it.
    private static List<int?> AliasHistory(string name, string alias, DbTransaction tx)
    {
        var stack = new List<int?>();
        foreach (var e in ReadAudit(name, tx).Where(e => e.Alias == alias && AliasMoves.Contains(e.Action)))
        {
            if (e.Action == "rollback")
            {
                if (stack.Count > 0) stack.RemoveAt(stack.Count - 1);
                // Drop the deleted versions the rollback skipped, so the stack top is the version it restored.
                while (stack.Count > 0 && stack[^1] != e.NewVersion) stack.RemoveAt(stack.Count - 1);
                if (stack.Count == 0) stack.Add(e.NewVersion);
            }
            else
            {
                if (stack.Count == 0 && e.OldVersion is not null) stack.Add(e.OldVersion);
                stack.Add(e.NewVersion);
            }
        }
        return stack;
    }

    private void Audit(string name, string action, string? alias, int? oldVersion, int? newVersion, string reason, DbTransaction tx)
    {
        var seq = Convert.ToInt64(SqlTrackingStore.Scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM registry_audit WHERE name = @n", tx, ("@n", name)), CultureInfo.InvariantCulture);
        SqlTrackingStore.Exec("INSERT INTO registry_audit(name, seq, time, action, alias, old_version, new_version, actor, reason) VALUES (@n, @s, @t, @a, @al, @o, @nv, @ac, @r)", tx,
            ("@n", name), ("@s", seq), ("@t", TrackingNames.NowMs()), ("@a", action), ("@al", alias),
            ("@o", oldVersion is null ? null : (long)oldVersion), ("@nv", newVersion is null ? null : (long)newVersion), ("@ac", Actor), ("@r", reason));
    }

    private static List<AuditEntry> ReadAudit(string name, DbTransaction tx)
    {
        var list = new List<AuditEntry>();
        using var cmd = SqlTrackingStore.Command("SELECT seq, time, action, alias, old_version, new_version, actor, reason FROM registry_audit WHERE name = @n ORDER BY seq", tx, ("@n", name));
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new AuditEntry(name, Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : Convert.ToInt32(r.GetValue(4), CultureInfo.InvariantCulture),
                r.IsDBNull(5) ? null : Convert.ToInt32(r.GetValue(5), CultureInfo.InvariantCulture), r.GetString(6), r.GetString(7)));
        return list;
    }

    private static void ValidateTag(string key, string value)
    {
        TrackingValidation.ValidateKey(key, "key");
        if (value.Length > 5000)
            throw new RegistryException(RegistryError.InvalidParameter, $"tags[{key}]", $"Tag value is {value.Length} characters long; registry tags allow at most 5000.");
    }

    private static void SetModelTag(string name, string key, string value, DbTransaction tx)
    {
        ValidateTag(key, value);
        SqlTrackingStore.Exec("INSERT INTO registered_model_tags(name, key, value) VALUES (@n, @k, @v) ON CONFLICT (name, key) DO UPDATE SET value = excluded.value", tx,
            ("@n", name), ("@k", key), ("@v", value));
    }

    private static Dictionary<string, string> KeyValues(string sql, DbTransaction tx, params (string, object?)[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        using var cmd = SqlTrackingStore.Command(sql, tx, args);
        using var r = cmd.ExecuteReader();
        while (r.Read()) d[r.GetString(0)] = r.GetString(1);
        return d;
    }

    private static RegisteredModel ReadModel(string name, DbTransaction tx)
    {
        using var cmd = SqlTrackingStore.Command("SELECT description, creation_time, last_updated_time FROM registered_models WHERE name = @n", tx, ("@n", name));
        string description;
        long created, updated;
        using (var r = cmd.ExecuteReader())
        {
            if (!r.Read()) throw ModelNotFound(name);
            (description, created, updated) = (r.GetString(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture));
        }
        var tags = KeyValues("SELECT key, value FROM registered_model_tags WHERE name = @n", tx, ("@n", name));
        var aliases = KeyValues("SELECT alias, CAST(version AS TEXT) FROM registered_model_aliases WHERE name = @n", tx, ("@n", name))
            .ToDictionary(kv => kv.Key, kv => int.Parse(kv.Value, CultureInfo.InvariantCulture));
        return new RegisteredModel(name, description, created, updated, tags, aliases);
    }

    private static ModelVersion ReadVersion(string name, int version, DbTransaction tx, bool includeDeleted)
    {
        if (!includeDeleted) RequireVersion(name, version, tx);
        using var cmd = SqlTrackingStore.Command(
            "SELECT source, run_id, flavor, signature, lineage, description, current_stage, status, creation_time, last_updated_time, deleted " +
            "FROM model_versions WHERE name = @n AND version = @v", tx, ("@n", name), ("@v", (long)version));
        ModelVersion v;
        using (var r = cmd.ExecuteReader())
        {
            if (!r.Read()) throw new RegistryException(RegistryError.NotFound, "version", $"Model version {name}/{version} does not exist.");
#pragma warning disable CS0618 // the stage is read to stay compatible; the property carries the deprecation
            v = new ModelVersion(name, version, r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), Enum.Parse<ModelFlavor>(r.GetString(2)),
                ModelSignature.FromJson(r.GetString(3)), JsonSerializer.Deserialize<ModelLineage>(r.GetString(4), ModelSignature.Json)!,
                r.GetString(5), r.GetString(7), Convert.ToInt64(r.GetValue(8), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(9), CultureInfo.InvariantCulture),
                new Dictionary<string, string>(), [], Convert.ToInt64(r.GetValue(10), CultureInfo.InvariantCulture) == 1) { CurrentStage = r.GetString(6) };
#pragma warning restore CS0618
        }
        return v with
        {
            Tags = KeyValues("SELECT key, value FROM model_version_tags WHERE name = @n AND version = @v", tx, ("@n", name), ("@v", (long)version)),
            Aliases = AliasesOf(name, version, tx),
        };
    }
}
