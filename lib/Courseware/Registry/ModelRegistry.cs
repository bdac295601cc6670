using Courseware.Tracking;
using Courseware.Tracking.Rest;

namespace Courseware.Registry;

/// <summary>
/// The model registry (MLflow's <c>ModelRegistryClient</c>) kept with a tracking store — SQLite, PostgreSQL, or a
/// tracking server over REST (<see cref="RestTrackingStore"/>, through MLflow's registry endpoints): registered models,
/// versions numbered max + 1 (never reused), aliases with an audit log, model cards, lineage and <c>models:/</c> URI
/// resolution. Every write is atomic in the database, so concurrent writers — threads, processes, machines, REST
/// clients — get distinct version numbers.
/// </summary>
/// <example><code>var registry = new ModelRegistry(store); var v = await registry.RegisterAsync("penguins", "model.zip", ModelFlavor.MLNet, signature, run.RunId);</code></example>
public sealed partial class ModelRegistry
{
    private readonly IRegistryBackend _backend;
    private readonly IArtifactRepository _artifacts;
    private readonly bool _filesAreLocal;

    /// <summary>
    /// A registry over a tracking store: a SQL store (<see cref="SqliteTrackingStore"/>, <see cref="PostgresTrackingStore"/>)
    /// or a <see cref="RestTrackingStore"/>; <paramref name="actor"/> is written into the audit log (default: the OS user).
    /// </summary>
    public ModelRegistry(ITrackingStore store, string? actor = null)
    {
        Actor = actor ?? Environment.UserName;
        if (store is not IStoreServices services)
            throw new ArgumentException(
                $"The model registry lives in a SQL tracking store (SqliteTrackingStore, PostgresTrackingStore) or behind a tracking server (RestTrackingStore), not {store?.GetType().Name ?? "null"}.", nameof(store));
        _backend = services.OpenRegistry(Actor);
        _artifacts = services.Artifacts;
        _filesAreLocal = services.ArtifactsAreLocal;
        Store = store;
    }

    /// <summary>Who the audit log says made the changes.</summary>
    public string Actor { get; }

    /// <summary>The tracking store the registry lives in.</summary>
    public ITrackingStore Store { get; }

    // ---------------- registered models ----------------

    /// <summary>Creates a registered model (RESOURCE_ALREADY_EXISTS if the name is taken).</summary>
    public Task<RegisteredModel> CreateModelAsync(string name, string? description = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateModelName(name);
        return _backend.CreateModelAsync(name, description ?? "", tags ?? new Dictionary<string, string>(), cancellationToken);
    }

    /// <summary>The registered model with its tags and aliases (RESOURCE_DOES_NOT_EXIST if none).</summary>
    public Task<RegisteredModel> GetModelAsync(string name, CancellationToken cancellationToken = default) =>
        _backend.GetModelAsync(name, cancellationToken);

    /// <summary>Registered models whose name contains <paramref name="nameContains"/> (case-insensitive), by name.</summary>
    public async Task<IReadOnlyList<RegisteredModel>> SearchModelsAsync(string? nameContains = null, CancellationToken cancellationToken = default)
    {
        var all = new List<RegisteredModel>();
        string? token = null;
        do
        {
            var page = await SearchModelsAsync(new RegistryQuery(MaxResults: RegistrySearch.MaxModelResults, PageToken: token), cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Where(m => m.Name.Contains(nameContains ?? "", StringComparison.OrdinalIgnoreCase)));
            token = page.NextPageToken;
        } while (token is not null);
        return all;
    }

    /// <summary>One page of registered models matching an MLflow filter (<c>name LIKE 'pen%' AND tags.team = 'birds'</c>), by name unless ordered.</summary>
    public Task<RegistryPage<RegisteredModel>> SearchModelsAsync(RegistryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _backend.SearchModelsAsync(query, cancellationToken);
    }

    /// <summary>Replaces a model's description.</summary>
    public Task<RegisteredModel> UpdateModelAsync(string name, string description, CancellationToken cancellationToken = default) =>
        _backend.UpdateModelAsync(name, description, cancellationToken);

    /// <summary>Renames a model; its versions, aliases, tags and audit log follow (<c>models:/</c> URIs with the old name stop resolving).</summary>
    public Task<RegisteredModel> RenameModelAsync(string name, string newName, CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateModelName(newName);
        return _backend.RenameModelAsync(name, newName, cancellationToken);
    }

    /// <summary>Sets (or overwrites) a model tag; tag keys follow the tracking key rules, values ≤ 5000 characters.</summary>
    public Task SetModelTagAsync(string name, string key, string value, CancellationToken cancellationToken = default) =>
        _backend.SetModelTagAsync(name, key, value, cancellationToken);

    /// <summary>Removes a model tag (nothing happens if it is not set, as in MLflow).</summary>
    public Task DeleteModelTagAsync(string name, string key, CancellationToken cancellationToken = default) =>
        _backend.DeleteModelTagAsync(name, key, cancellationToken);

    /// <summary>Deletes a registered model with all its versions and aliases; its audit log is kept.</summary>
    public Task DeleteModelAsync(string name, string reason = "", CancellationToken cancellationToken = default) =>
        _backend.DeleteModelAsync(name, reason, cancellationToken);

    // ---------------- versions ----------------

    /// <summary>
    /// Registers a model file or folder as the next version of <paramref name="name"/> (creating the registered model
    /// if needed). With a <paramref name="runId"/>, the files are copied into that run's artifacts under
    /// <c>registered/&lt;name&gt;/&lt;version&gt;</c> (through the server for a REST store) and the lineage takes the
    /// run's params, metrics and code commit (tag <c>mlflow.source.git.commit</c>); <paramref name="datasets"/> records
    /// the data by content hash.
    /// </summary>
    public async Task<ModelVersion> RegisterAsync(string name, string modelPath, ModelFlavor flavor, ModelSignature signature, string? runId = null,
        IEnumerable<DatasetReference>? datasets = null, string? description = null, CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateModelName(name);
        ArgumentNullException.ThrowIfNull(signature);
        var path = Path.GetFullPath(modelPath);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new RegistryException(RegistryError.InvalidParameter, "source", $"Model path '{modelPath}' does not exist.");
        var (lineage, artifactUri) = await LineageAsync(runId, datasets, cancellationToken).ConfigureAwait(false);
        var source = new Uri(path).AbsoluteUri;
        // Numbered first (the folder name needs the number), copied, then marked READY; until then the source names the original.
        var version = await _backend.CreateVersionAsync(new NewVersion(name, source, runId, flavor, signature, lineage, description ?? "", new Dictionary<string, string>()),
            cancellationToken).ConfigureAwait(false);
        if (artifactUri is not null)
            source = await CopyIntoRunAsync(path, artifactUri, $"registered/{name}/{version}", cancellationToken).ConfigureAwait(false);
        return await _backend.FinishRegistrationAsync(name, version, source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// MLflow's <c>create_model_version</c>: registers model files that are already where <paramref name="source"/>
    /// points (nothing is copied), with the lineage of <paramref name="runId"/> when given. <see cref="RegisterAsync(string, string, ModelFlavor, ModelSignature, string?, IEnumerable{DatasetReference}?, string?, CancellationToken)"/>
    /// is the usual way in: it copies the files into the run first.
    /// </summary>
    public async Task<ModelVersion> CreateVersionAsync(string name, string source, ModelFlavor flavor, ModelSignature signature, string? runId = null,
        string? description = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateModelName(name);
        ArgumentNullException.ThrowIfNull(signature);
        var (lineage, _) = await LineageAsync(runId, null, cancellationToken).ConfigureAwait(false);
        var version = await _backend.CreateVersionAsync(new NewVersion(name, source, runId, flavor, signature, lineage, description ?? "", tags ?? new Dictionary<string, string>()),
            cancellationToken).ConfigureAwait(false);
        return await _backend.FinishRegistrationAsync(name, version, source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// MLflow's <c>create_model_version</c> for a client that sends only a source the store already holds:
    /// <c>runs:/&lt;run_id&gt;/&lt;path&gt;</c> (inside that run's artifacts), <c>mlflow-artifacts:/&lt;path&gt;</c>, or a
    /// <c>file:</c> URI or path, always under the store's artifact root and never through a symbolic link. The flavour and
    /// signature are read from the files (<see cref="ModelSignatures.InferFlavor"/>); an MLflow model of another flavour
    /// registers as <see cref="ModelFlavor.Generic"/> with its flavours in tag <see cref="MLflowModel.FlavorsTag"/>.
    /// A source that is outside the root, missing or not a model gets one and the same message, so the answer says
    /// nothing about which paths exist. The tracking server calls this for MLflow clients.
    /// </summary>
    public async Task<ModelVersion> CreateVersionFromSourceAsync(string name, string source, string? runId = null, string? description = null,
        IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateModelName(name);
        ArgumentNullException.ThrowIfNull(source);
        if (!_filesAreLocal)
            throw new RegistryException(RegistryError.InvalidParameter, "source",
                "Registering a source by reading its files happens where the files are: call this on the server's store, or use RegisterAsync to upload the model.");
        string resolved;
        ModelFlavor flavor;
        ModelSignature signature;
        var allTags = new Dictionary<string, string>(tags ?? new Dictionary<string, string>());
        try
        {
            resolved = ArtifactLocations.Confine(await ExpandRunsUriAsync(source, cancellationToken).ConfigureAwait(false), Store.DefaultArtifactRoot, "source");
            var path = ArtifactLocations.LocalPathOf(resolved);
            flavor = ModelSignatures.InferFlavor(path);
            signature = ModelSignatures.Infer(flavor, path);
            if (flavor == ModelFlavor.Generic) allTags[MLflowModel.FlavorsTag] = MLflowModel.Read(path).FlavorList;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new RegistryException(RegistryError.InvalidParameter, "source",
                $"Source '{source}' is not a model this registry can read: give runs:/<run_id>/<path>, mlflow-artifacts:/<path> or a file: URI " +
                $"under the store's artifact root, naming {ModelSignatures.RecognisedModels}.");
        }
        return await CreateVersionAsync(name, resolved, flavor, signature, runId, description, allTags, cancellationToken).ConfigureAwait(false);
    }

    // runs:/<run_id>/<path> names a file in that run's artifacts, and may not climb out of them.
    private async Task<string> ExpandRunsUriAsync(string source, CancellationToken ct)
    {
        if (!source.StartsWith("runs:/", StringComparison.Ordinal)) return source;
        var rest = source["runs:/".Length..];
        var slash = rest.IndexOf('/');
        var run = await Store.GetRunAsync(slash < 0 ? rest : rest[..slash], ct).ConfigureAwait(false);
        var runRoot = run.Info.ArtifactUri.TrimEnd('/');
        return slash < 0 ? runRoot : ArtifactLocations.Confine(runRoot + "/" + rest[(slash + 1)..].Trim('/'), runRoot, "source");
    }

    /// <summary>The storage operations underneath (the tracking server's registry endpoints call them directly).</summary>
    internal IRegistryBackend Backend => _backend;

    // The run's params, metrics and code commit, the data sets, and where the run keeps its artifacts.
    private async Task<(ModelLineage Lineage, string? ArtifactUri)> LineageAsync(string? runId, IEnumerable<DatasetReference>? datasets, CancellationToken ct)
    {
        var lineage = ModelLineage.None with { Datasets = datasets?.ToList() ?? [] };
        if (runId is null) return (lineage, null);
        var run = await Store.GetRunAsync(runId, ct).ConfigureAwait(false);
        return (lineage with
        {
            RunId = runId,
            ExperimentId = run.Info.ExperimentId,
            Params = run.Data.Params,
            Metrics = run.Data.Metrics.ToDictionary(m => m.Key, m => m.Value.Value),
            CodeCommit = run.Data.Tags.GetValueOrDefault(SystemTags.GitCommit),
        }, run.Info.ArtifactUri);
    }

    private async Task<string> CopyIntoRunAsync(string path, string artifactUri, string folder, CancellationToken ct)
    {
        var isFile = File.Exists(path);
        var files = isFile
            ? [(path, Path.GetFileName(path))]
            : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Select(f => (f, Path.GetRelativePath(path, f).Replace('\\', '/'))).ToList();
        foreach (var (file, relative) in files)
        {
            await using var stream = File.OpenRead(file);
            await _artifacts.WriteAsync(artifactUri, $"{folder}/{relative}", stream, ct).ConfigureAwait(false);
        }
        var target = artifactUri.TrimEnd('/') + "/" + string.Join('/', folder.Split('/').Select(Uri.EscapeDataString));
        return isFile ? target + "/" + Uri.EscapeDataString(Path.GetFileName(path)) : target + "/";
    }

    /// <summary>A version (RESOURCE_DOES_NOT_EXIST if it never existed or was deleted).</summary>
    public Task<ModelVersion> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default) =>
        _backend.GetVersionAsync(name, version, cancellationToken);

    /// <summary>The versions of a model, newest first; deleted ones only when asked.</summary>
    public Task<IReadOnlyList<ModelVersion>> SearchVersionsAsync(string name, bool includeDeleted = false, CancellationToken cancellationToken = default) =>
        _backend.ListVersionsAsync(name, includeDeleted, cancellationToken);

    /// <summary>
    /// One page of live versions across models matching an MLflow filter (<c>name = 'penguins' AND run_id IN ('a', 'b')</c>,
    /// <c>version_number &gt; 2</c>, <c>tags.validation = 'approved'</c>), newest update first unless ordered.
    /// </summary>
    public Task<RegistryPage<ModelVersion>> SearchVersionsAsync(RegistryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _backend.SearchVersionsAsync(query, cancellationToken);
    }

    /// <summary>Updates a version's description.</summary>
    public Task<ModelVersion> UpdateVersionAsync(string name, int version, string description, CancellationToken cancellationToken = default) =>
        _backend.UpdateVersionAsync(name, version, description, cancellationToken);

    /// <summary>Sets (or overwrites) a version tag, e.g. <c>validation_status = approved</c>.</summary>
    public Task SetVersionTagAsync(string name, int version, string key, string value, CancellationToken cancellationToken = default) =>
        _backend.SetVersionTagAsync(name, version, key, value, cancellationToken);

    /// <summary>Removes a version tag (nothing happens if it is not set).</summary>
    public Task DeleteVersionTagAsync(string name, int version, string key, CancellationToken cancellationToken = default) =>
        _backend.DeleteVersionTagAsync(name, version, key, cancellationToken);

    /// <summary>
    /// Deletes a version: it disappears from reads and URIs, its aliases are removed (audited), and its number is
    /// never given to another version.
    /// </summary>
    public Task DeleteVersionAsync(string name, int version, string reason = "", CancellationToken cancellationToken = default) =>
        _backend.DeleteVersionAsync(name, version, reason, cancellationToken);

    // ---------------- aliases and audit ----------------

    /// <summary>Points an alias at a version (moving it if set), recording the change and its reason in the audit log.</summary>
    /// <example><code>await registry.SetAliasAsync("penguins", "champion", 3, "beat v2 on accuracy");</code></example>
    public Task SetAliasAsync(string name, string alias, int version, string reason = "", CancellationToken cancellationToken = default)
    {
        RegistryValidation.ValidateAlias(alias);
        return _backend.SetAliasAsync(name, alias, version, reason, cancellationToken);
    }

    /// <summary>Removes an alias (RESOURCE_DOES_NOT_EXIST if it is not set), recording why.</summary>
    public Task DeleteAliasAsync(string name, string alias, string reason = "", CancellationToken cancellationToken = default) =>
        _backend.DeleteAliasAsync(name, alias, reason, cancellationToken);

    /// <summary>The version an alias points at (RESOURCE_DOES_NOT_EXIST if the alias is not set).</summary>
    public Task<ModelVersion> GetVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default) =>
        _backend.GetVersionByAliasAsync(name, alias, cancellationToken);

    /// <summary>
    /// Points <paramref name="alias"/> back at the version it had before its last change — one step of undo, as many
    /// times as there is history (a rollback of a rollback goes further back, not forward). Versions deleted since
    /// are skipped. Returns the version the alias now points at.
    /// </summary>
    /// <example><code>await registry.RollbackAsync("penguins", reason: "p99 latency regression");</code></example>
    public Task<ModelVersion> RollbackAsync(string name, string alias = "champion", string reason = "", CancellationToken cancellationToken = default) =>
        _backend.RollbackAsync(name, alias, reason, cancellationToken);

    /// <summary>The model's audit log, oldest first: every alias change, rollback, promotion, card edit and deletion with its reason.</summary>
    public Task<AuditLog> GetAuditLogAsync(string name, CancellationToken cancellationToken = default) =>
        _backend.GetAuditLogAsync(name, cancellationToken);

    // ---------------- deprecated stages ----------------

    /// <summary>Sets a version's MLflow stage. Deprecated like MLflow's: use <see cref="SetAliasAsync"/>.</summary>
    [Obsolete(ModelStages.DeprecationMessage)]
    public Task<ModelVersion> TransitionStageAsync(string name, int version, string stage, bool archiveExistingVersions = false, CancellationToken cancellationToken = default)
    {
        return _backend.TransitionStageAsync(name, version, ModelStages.Parse(stage), archiveExistingVersions, cancellationToken);
    }

    /// <summary>MLflow's <c>get_latest_versions</c>: the newest live version of <paramref name="name"/> in each of <paramref name="stages"/> (all when none are given).</summary>
    public async Task<IReadOnlyList<ModelVersion>> GetLatestVersionsAsync(string name, IEnumerable<string>? stages = null, CancellationToken cancellationToken = default)
    {
        var wanted = stages?.Select(s => ModelStages.Parse(s, "stages")).ToList();
        return ModelStages.Latest(await SearchVersionsAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false), wanted);
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
        return _backend.ResolveAsync(uri, cancellationToken);
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
        _backend.GetModelCardAsync(name, version, cancellationToken);

    /// <summary>
    /// Saves a model card with the version, one revision higher than the stored one (the audit log keeps each edit).
    /// Returns the card as stored.
    /// </summary>
    public Task<ModelCard> SaveModelCardAsync(ModelCard card, string reason = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(card);
        return _backend.SaveModelCardAsync(card, reason, cancellationToken);
    }

    // ---------------- lineage ----------------

    /// <summary>Walks data → run → version → alias changes for one version.</summary>
    public async Task<LineageView> GetLineageAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        var v = await GetVersionAsync(name, version, cancellationToken).ConfigureAwait(false);
        Run? run = null;
        if (v.RunId is not null)
        {
            try { run = await Store.GetRunAsync(v.RunId, cancellationToken).ConfigureAwait(false); }
            catch (TrackingException e) when (e.Code == TrackingErrorCode.ResourceDoesNotExist) { }
        }
        var log = await GetAuditLogAsync(name, cancellationToken).ConfigureAwait(false);
        return new LineageView(v, run, log.Entries.Where(e => e.IsAliasChange && (e.NewVersion == version || e.OldVersion == version)).ToList());
    }
}
