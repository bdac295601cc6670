using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

namespace Courseware.Registry;

/// <summary>
/// The registry behind a courseware tracking server: MLflow's registry endpoints (<c>/api/2.0/mlflow/registered-models/…</c>,
/// <c>model-versions/…</c>) where MLflow has one, <c>/api/2.0/courseware/registry/…</c> for the rest (audit log,
/// rollback, promotion, model cards, evaluations). The server runs each call as one SQL transaction, so this client
/// has the same guarantees as a SQL store; audited calls carry the client's actor and reason.
/// </summary>
internal sealed class RestRegistryBackend(RestTrackingStore store, string actor) : IRegistryBackend
{
    private const string Mlflow = "api/2.0/mlflow/";
    private const string Extra = "api/2.0/courseware/registry/";

    private Task<JsonObject> Call(HttpMethod method, string path, JsonObject body, CancellationToken ct) =>
        method == HttpMethod.Get
            ? SendAsync(method, path + "?" + string.Join('&', body.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : p.Value?.ToJsonString() ?? ""))), null, ct)
            : SendAsync(method, path, body, ct);

    // The server's registry errors come back as the same RegistryException a SQL store throws (code, field, message).
    private async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        try
        {
            return await store.SendAsync(method, path, body, ct).ConfigureAwait(false);
        }
        catch (TrackingException e) when (e.GetType() == typeof(TrackingException) && ToRegistryError(e.Code) is { } error)
        {
            throw new RegistryException(error, e.Field ?? "", e.Message, e);
        }
    }

    private static RegistryError? ToRegistryError(TrackingErrorCode code) => code switch
    {
        TrackingErrorCode.InvalidParameterValue => RegistryError.InvalidParameter,
        TrackingErrorCode.ResourceDoesNotExist => RegistryError.NotFound,
        TrackingErrorCode.ResourceAlreadyExists => RegistryError.AlreadyExists,
        TrackingErrorCode.InvalidState => RegistryError.InvalidState,
        _ => null,
    };

    private JsonObject Audited(JsonObject body, string reason)
    {
        body["actor"] = actor;
        body["reason"] = reason;
        return body;
    }

    private static string V(int version) => version.ToString(CultureInfo.InvariantCulture);

    private static RegisteredModel Model(JsonObject o) =>
        RegistryJson.ReadModel(o["registered_model"] as JsonObject ?? throw Malformed("registered_model"));

    private static ModelVersion Version(JsonObject o) =>
        RegistryJson.ReadVersion(o["model_version"] as JsonObject ?? throw Malformed("model_version"));

    private static List<ModelVersion> Versions(JsonObject o) =>
        (o["model_versions"] as JsonArray ?? []).OfType<JsonObject>().Select(RegistryJson.ReadVersion).ToList();

    private static TrackingException Malformed(string field) =>
        new(TrackingErrorCode.InternalError, $"The server's answer lacks '{field}'; is it a courseware tracking server?", field);

    // A GET with a list: the query string repeats the key (order_by=a&order_by=b).
    private Task<JsonObject> SearchAsync(string endpoint, RegistryQuery q, CancellationToken ct)
    {
        var parts = new List<string>();
        if (q.Filter is not null) parts.Add("filter=" + Uri.EscapeDataString(q.Filter));
        if (q.MaxResults is { } max) parts.Add("max_results=" + max.ToString(CultureInfo.InvariantCulture));
        if (q.PageToken is not null) parts.Add("page_token=" + Uri.EscapeDataString(q.PageToken));
        parts.AddRange((q.OrderBy ?? []).Select(o => "order_by=" + Uri.EscapeDataString(o)));
        return SendAsync(HttpMethod.Get, Mlflow + endpoint + "?" + string.Join('&', parts), null, ct);
    }

    // ---------------- registered models ----------------

    public async Task<RegisteredModel> CreateModelAsync(string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken ct) =>
        Model(await Call(HttpMethod.Post, Mlflow + "registered-models/create", new JsonObject
        {
            ["name"] = name, ["description"] = description, ["tags"] = MlflowJson.KeyValues(tags),
        }, ct).ConfigureAwait(false));

    public async Task<RegisteredModel> GetModelAsync(string name, CancellationToken ct) =>
        Model(await Call(HttpMethod.Get, Mlflow + "registered-models/get", new JsonObject { ["name"] = name }, ct).ConfigureAwait(false));

    public async Task<RegistryPage<RegisteredModel>> SearchModelsAsync(RegistryQuery query, CancellationToken ct)
    {
        var page = await SearchAsync("registered-models/search", query, ct).ConfigureAwait(false);
        return new RegistryPage<RegisteredModel>((page["registered_models"] as JsonArray ?? []).OfType<JsonObject>().Select(RegistryJson.ReadModel).ToList(),
            MlflowJson.OptionalString(page, "next_page_token"));
    }

    public async Task<RegisteredModel> UpdateModelAsync(string name, string description, CancellationToken ct) =>
        Model(await Call(HttpMethod.Patch, Mlflow + "registered-models/update", new JsonObject { ["name"] = name, ["description"] = description }, ct).ConfigureAwait(false));

    public async Task<RegisteredModel> RenameModelAsync(string name, string newName, CancellationToken ct) =>
        Model(await Call(HttpMethod.Post, Mlflow + "registered-models/rename", Audited(new JsonObject { ["name"] = name, ["new_name"] = newName }, ""), ct).ConfigureAwait(false));

    public Task SetModelTagAsync(string name, string key, string value, CancellationToken ct) =>
        Call(HttpMethod.Post, Mlflow + "registered-models/set-tag", new JsonObject { ["name"] = name, ["key"] = key, ["value"] = value }, ct);

    public Task DeleteModelTagAsync(string name, string key, CancellationToken ct) =>
        Call(HttpMethod.Delete, Mlflow + "registered-models/delete-tag", new JsonObject { ["name"] = name, ["key"] = key }, ct);

    public Task DeleteModelAsync(string name, string reason, CancellationToken ct) =>
        Call(HttpMethod.Delete, Mlflow + "registered-models/delete", Audited(new JsonObject { ["name"] = name }, reason), ct);

    // ---------------- versions ----------------

    public async Task<int> CreateVersionAsync(NewVersion v, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["name"] = v.Name,
            ["source"] = v.Source,
            ["description"] = v.Description,
            ["tags"] = MlflowJson.KeyValues(v.Tags),
            ["courseware"] = new JsonObject
            {
                ["flavor"] = v.Flavor.ToString(),
                ["signature"] = JsonNode.Parse(v.Signature.ToJson()),
                ["lineage"] = JsonSerializer.SerializeToNode(v.Lineage, ModelSignature.Json),
                ["pending"] = true,
            },
        };
        if (v.RunId is not null) body["run_id"] = v.RunId;
        return Version(await Call(HttpMethod.Post, Mlflow + "model-versions/create", body, ct).ConfigureAwait(false)).Version;
    }

    public async Task<ModelVersion> FinishRegistrationAsync(string name, int version, string source, CancellationToken ct) =>
        Version(await Call(HttpMethod.Post, Extra + "model-versions/finish-registration", new JsonObject { ["name"] = name, ["version"] = V(version), ["source"] = source }, ct).ConfigureAwait(false));

    public async Task<ModelVersion> GetVersionAsync(string name, int version, CancellationToken ct) =>
        Version(await Call(HttpMethod.Get, Mlflow + "model-versions/get", new JsonObject { ["name"] = name, ["version"] = V(version) }, ct).ConfigureAwait(false));

    public async Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, bool includeDeleted, CancellationToken ct) =>
        Versions(await Call(HttpMethod.Get, Extra + "model-versions/list", new JsonObject { ["name"] = name, ["include_deleted"] = includeDeleted ? "true" : "false" }, ct).ConfigureAwait(false));

    public async Task<RegistryPage<ModelVersion>> SearchVersionsAsync(RegistryQuery query, CancellationToken ct)
    {
        var page = await SearchAsync("model-versions/search", query, ct).ConfigureAwait(false);
        return new RegistryPage<ModelVersion>(Versions(page), MlflowJson.OptionalString(page, "next_page_token"));
    }

    public async Task<ModelVersion> UpdateVersionAsync(string name, int version, string description, CancellationToken ct) =>
        Version(await Call(HttpMethod.Patch, Mlflow + "model-versions/update", new JsonObject { ["name"] = name, ["version"] = V(version), ["description"] = description }, ct).ConfigureAwait(false));

    public Task SetVersionTagAsync(string name, int version, string key, string value, CancellationToken ct) =>
        Call(HttpMethod.Post, Mlflow + "model-versions/set-tag", new JsonObject { ["name"] = name, ["version"] = V(version), ["key"] = key, ["value"] = value }, ct);

    public Task DeleteVersionTagAsync(string name, int version, string key, CancellationToken ct) =>
        Call(HttpMethod.Delete, Mlflow + "model-versions/delete-tag", new JsonObject { ["name"] = name, ["version"] = V(version), ["key"] = key }, ct);

    public Task DeleteVersionAsync(string name, int version, string reason, CancellationToken ct) =>
        Call(HttpMethod.Delete, Mlflow + "model-versions/delete", Audited(new JsonObject { ["name"] = name, ["version"] = V(version) }, reason), ct);

    public async Task<ModelVersion> TransitionStageAsync(string name, int version, string stage, bool archiveExistingVersions, CancellationToken ct) =>
        Version(await Call(HttpMethod.Post, Mlflow + "model-versions/transition-stage", Audited(new JsonObject
        {
            ["name"] = name, ["version"] = V(version), ["stage"] = stage, ["archive_existing_versions"] = archiveExistingVersions,
        }, ""), ct).ConfigureAwait(false));

    // ---------------- aliases and audit ----------------

    public Task SetAliasAsync(string name, string alias, int version, string reason, CancellationToken ct) =>
        Call(HttpMethod.Post, Mlflow + "registered-models/alias", Audited(new JsonObject { ["name"] = name, ["alias"] = alias, ["version"] = V(version) }, reason), ct);

    public Task DeleteAliasAsync(string name, string alias, string reason, CancellationToken ct) =>
        Call(HttpMethod.Delete, Mlflow + "registered-models/alias", Audited(new JsonObject { ["name"] = name, ["alias"] = alias }, reason), ct);

    public async Task<ModelVersion> GetVersionByAliasAsync(string name, string alias, CancellationToken ct) =>
        Version(await Call(HttpMethod.Get, Mlflow + "registered-models/alias", new JsonObject { ["name"] = name, ["alias"] = alias }, ct).ConfigureAwait(false));

    public async Task<ModelVersion> RollbackAsync(string name, string alias, string reason, CancellationToken ct) =>
        Version(await Call(HttpMethod.Post, Extra + "registered-models/alias/rollback", Audited(new JsonObject { ["name"] = name, ["alias"] = alias }, reason), ct).ConfigureAwait(false));

    public Task PromoteAliasAsync(string name, string alias, int version, string? removeAlias, string reason, CancellationToken ct) =>
        Call(HttpMethod.Post, Extra + "registered-models/alias/promote", Audited(new JsonObject
        {
            ["name"] = name, ["alias"] = alias, ["version"] = V(version), ["remove_alias"] = removeAlias,
        }, reason), ct);

    public async Task<AuditLog> GetAuditLogAsync(string name, CancellationToken ct)
    {
        var o = await Call(HttpMethod.Get, Extra + "registered-models/audit-log", new JsonObject { ["name"] = name }, ct).ConfigureAwait(false);
        return new AuditLog(name, (o["entries"] as JsonArray ?? []).OfType<JsonObject>().Select(e => RegistryJson.ReadAuditEntry(name, e)).ToList());
    }

    public Task AppendAuditAsync(string name, string action, string? alias, int? oldVersion, int? newVersion, string reason, CancellationToken ct) =>
        Call(HttpMethod.Post, Extra + "registered-models/audit-log", Audited(new JsonObject
        {
            ["name"] = name, ["action"] = action, ["alias"] = alias, ["old_version"] = oldVersion, ["new_version"] = newVersion,
        }, reason), ct);

    public async Task<ModelVersion> ResolveAsync(ModelUri uri, CancellationToken ct) =>
        Version(await Call(HttpMethod.Get, Extra + "model-versions/resolve", new JsonObject { ["model_uri"] = uri.ToString() }, ct).ConfigureAwait(false));

    // ---------------- model cards and evaluations ----------------

    public async Task<ModelCard?> GetModelCardAsync(string name, int version, CancellationToken ct)
    {
        var o = await Call(HttpMethod.Get, Extra + "model-versions/model-card", new JsonObject { ["name"] = name, ["version"] = V(version) }, ct).ConfigureAwait(false);
        return o["model_card"] is JsonObject card ? ModelCard.FromJson(card.ToJsonString()) : null;
    }

    public async Task<ModelCard> SaveModelCardAsync(ModelCard card, string reason, CancellationToken ct)
    {
        var o = await Call(HttpMethod.Post, Extra + "model-versions/model-card", Audited(new JsonObject { ["model_card"] = JsonNode.Parse(card.ToJson()) }, reason), ct).ConfigureAwait(false);
        return ModelCard.FromJson((o["model_card"] as JsonObject ?? throw Malformed("model_card")).ToJsonString());
    }

    public Task LogEvaluationAsync(string name, int version, string metric, string dataset, IReadOnlyList<double> scores, CancellationToken ct) =>
        Call(HttpMethod.Post, Extra + "model-versions/evaluation", new JsonObject
        {
            ["name"] = name, ["version"] = V(version), ["metric"] = metric, ["dataset"] = dataset,
            ["scores"] = new JsonArray(scores.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
        }, ct);

    public async Task<IReadOnlyList<double>?> GetEvaluationAsync(string name, int version, string metric, string dataset, CancellationToken ct)
    {
        var o = await Call(HttpMethod.Get, Extra + "model-versions/evaluation", new JsonObject { ["name"] = name, ["version"] = V(version), ["metric"] = metric, ["dataset"] = dataset }, ct).ConfigureAwait(false);
        return o["scores"] is JsonArray a ? a.Select(n => n!.GetValue<double>()).ToList() : null;
    }
}
