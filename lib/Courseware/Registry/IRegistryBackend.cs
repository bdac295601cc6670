namespace Courseware.Registry;

/// <summary>
/// The registry's storage operations, each one atomic where it stores: <see cref="SqlRegistryBackend"/> runs them as
/// transactions in a SQL tracking store, <see cref="RestRegistryBackend"/> as requests to a tracking server (whose own
/// SQL backend runs them). <see cref="ModelRegistry"/> composes them (registration with its file copy, lineage,
/// promotion gates), so both behave the same.
/// </summary>
internal interface IRegistryBackend
{
    Task<RegisteredModel> CreateModelAsync(string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken ct);
    Task<RegisteredModel> GetModelAsync(string name, CancellationToken ct);
    Task<RegistryPage<RegisteredModel>> SearchModelsAsync(RegistryQuery query, CancellationToken ct);
    Task<RegisteredModel> UpdateModelAsync(string name, string description, CancellationToken ct);
    Task<RegisteredModel> RenameModelAsync(string name, string newName, CancellationToken ct);
    Task SetModelTagAsync(string name, string key, string value, CancellationToken ct);
    Task DeleteModelTagAsync(string name, string key, CancellationToken ct);
    Task DeleteModelAsync(string name, string reason, CancellationToken ct);

    /// <summary>Adds version max + 1 in status PENDING_REGISTRATION (its files are copied next) and returns its number.</summary>
    Task<int> CreateVersionAsync(NewVersion version, CancellationToken ct);

    /// <summary>Points a pending version at its copied files and makes it READY.</summary>
    Task<ModelVersion> FinishRegistrationAsync(string name, int version, string source, CancellationToken ct);

    Task<ModelVersion> GetVersionAsync(string name, int version, CancellationToken ct);
    Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, bool includeDeleted, CancellationToken ct);
    Task<RegistryPage<ModelVersion>> SearchVersionsAsync(RegistryQuery query, CancellationToken ct);
    Task<ModelVersion> UpdateVersionAsync(string name, int version, string description, CancellationToken ct);
    Task SetVersionTagAsync(string name, int version, string key, string value, CancellationToken ct);
    Task DeleteVersionTagAsync(string name, int version, string key, CancellationToken ct);
    Task DeleteVersionAsync(string name, int version, string reason, CancellationToken ct);
    Task<ModelVersion> TransitionStageAsync(string name, int version, string stage, bool archiveExistingVersions, CancellationToken ct);

    Task SetAliasAsync(string name, string alias, int version, string reason, CancellationToken ct);
    Task DeleteAliasAsync(string name, string alias, string reason, CancellationToken ct);
    Task<ModelVersion> GetVersionByAliasAsync(string name, string alias, CancellationToken ct);
    Task<ModelVersion> RollbackAsync(string name, string alias, string reason, CancellationToken ct);

    /// <summary>Moves <paramref name="alias"/> as a promotion and removes <paramref name="removeAlias"/>, in one step.</summary>
    Task PromoteAliasAsync(string name, string alias, int version, string? removeAlias, string reason, CancellationToken ct);

    Task<AuditLog> GetAuditLogAsync(string name, CancellationToken ct);
    Task AppendAuditAsync(string name, string action, string? alias, int? oldVersion, int? newVersion, string reason, CancellationToken ct);
    Task<ModelVersion> ResolveAsync(ModelUri uri, CancellationToken ct);

    Task<ModelCard?> GetModelCardAsync(string name, int version, CancellationToken ct);
    Task<ModelCard> SaveModelCardAsync(ModelCard card, string reason, CancellationToken ct);

    Task LogEvaluationAsync(string name, int version, string metric, string dataset, IReadOnlyList<double> scores, CancellationToken ct);
    Task<IReadOnlyList<double>?> GetEvaluationAsync(string name, int version, string metric, string dataset, CancellationToken ct);
}

/// <summary>What a new version is made of (its source is the original file until the copy into the run is done).</summary>
internal sealed record NewVersion(string Name, string Source, string? RunId, ModelFlavor Flavor, ModelSignature Signature, ModelLineage Lineage,
    string Description, IReadOnlyDictionary<string, string> Tags);
