using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

namespace Courseware.Registry;

/// <summary>
/// MLflow's model-registry REST API (2.x: <c>/api/2.0/mlflow/registered-models/…</c> and <c>model-versions/…</c>,
/// mirrored under <c>/ajax-api/</c>) over the <see cref="ModelRegistry"/> in a store, plus what MLflow's API lacks
/// under <c>/api/2.0/courseware/registry/</c>: pending registration, deleted versions, the audit log, rollback,
/// promotion, model cards and evaluation scores. Each endpoint is one registry call (one transaction); errors are
/// MLflow's bodies and statuses. Audited calls may carry <c>actor</c> and <c>reason</c> (courseware clients do;
/// MLflow's clients leave the server's user and an empty reason). The HTTP host (<c>courseware server</c>) maps them
/// like <see cref="MlflowEndpoints"/>; <see cref="RestRegistryBackend"/> is the client of the extra ones.
/// </summary>
public static class RegistryEndpoints
{
    private static readonly string[] Prefixes = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"];
    private const string Extra = "/api/2.0/courseware/registry/";

    private delegate Task<JsonObject?> RegistryHandler(JsonObject args, ModelRegistry registry, CancellationToken ct);

    /// <summary>The registry endpoints over the registry in <paramref name="store"/>.</summary>
    public static IReadOnlyList<RestEndpoint> For(ITrackingStore store)
    {
        var endpoints = new List<RestEndpoint>();
        void Route(string path, string method, RegistryHandler handler, bool mlflow = true)
        {
            // One registry per request: its actor is the caller's (courseware clients send theirs).
            foreach (var prefix in mlflow ? Prefixes : [Extra])
                endpoints.Add(new RestEndpoint(prefix + path, [method],
                    (args, ct) => handler(args, new ModelRegistry(store, MlflowJson.OptionalString(args, "actor") ?? Environment.UserName), ct),
                    MlflowEndpoints.MaxRequestBytes));
        }

        // ---- registered models
        Route("registered-models/create", "POST", async (a, r, ct) => ModelBody(await r.CreateModelAsync(Name(a), MlflowJson.OptionalString(a, "description"),
            MlflowJson.ReadPairs(a, "tags").ToDictionary(p => p.Key, p => p.Value), ct), []));
        Route("registered-models/get", "GET", async (a, r, ct) => await ModelBodyAsync(r, await r.GetModelAsync(Name(a), ct), ct));
        Route("registered-models/search", "GET", SearchModelsAsync);
        Route("registered-models/update", "PATCH", async (a, r, ct) =>
            await ModelBodyAsync(r, await r.UpdateModelAsync(Name(a), MlflowJson.OptionalString(a, "description") ?? "", ct), ct));
        Route("registered-models/rename", "POST", async (a, r, ct) =>
            await ModelBodyAsync(r, await r.RenameModelAsync(Name(a), MlflowJson.RequiredString(a, "new_name"), ct), ct));
        Route("registered-models/delete", "DELETE", async (a, r, ct) => { await r.DeleteModelAsync(Name(a), Reason(a), ct); return null; });
        Route("registered-models/get-latest-versions", "POST", LatestVersionsAsync);
        Route("registered-models/get-latest-versions", "GET", LatestVersionsAsync);
        Route("registered-models/set-tag", "POST", async (a, r, ct) =>
        {
            await r.SetModelTagAsync(Name(a), MlflowJson.RequiredString(a, "key"), MlflowJson.RequiredString(a, "value"), ct);
            return null;
        });
        Route("registered-models/delete-tag", "DELETE", async (a, r, ct) => { await r.DeleteModelTagAsync(Name(a), MlflowJson.RequiredString(a, "key"), ct); return null; });

        // ---- aliases
        Route("registered-models/alias", "POST", async (a, r, ct) =>
        {
            await r.SetAliasAsync(Name(a), MlflowJson.RequiredString(a, "alias"), Version(a), Reason(a), ct);
            return null;
        });
        Route("registered-models/alias", "DELETE", async (a, r, ct) => { await r.DeleteAliasAsync(Name(a), MlflowJson.RequiredString(a, "alias"), Reason(a), ct); return null; });
        Route("registered-models/alias", "GET", async (a, r, ct) => VersionBody(await r.GetVersionByAliasAsync(Name(a), MlflowJson.RequiredString(a, "alias"), ct)));

        // ---- model versions
        Route("model-versions/create", "POST", CreateVersionAsync);
        Route("model-versions/get", "GET", async (a, r, ct) => VersionBody(await r.GetVersionAsync(Name(a), Version(a), ct)));
        Route("model-versions/search", "GET", async (a, r, ct) =>
        {
            var page = await r.SearchVersionsAsync(Query(a), ct);
            return Page("model_versions", page.Select(v => (JsonNode)RegistryJson.Write(v)), page.NextPageToken);
        });
        Route("model-versions/update", "PATCH", async (a, r, ct) =>
            VersionBody(await r.UpdateVersionAsync(Name(a), Version(a), MlflowJson.OptionalString(a, "description") ?? "", ct)));
        Route("model-versions/delete", "DELETE", async (a, r, ct) => { await r.DeleteVersionAsync(Name(a), Version(a), Reason(a), ct); return null; });
        Route("model-versions/transition-stage", "POST", async (a, r, ct) =>
        {
#pragma warning disable CS0618 // MLflow's deprecated endpoint, kept for its clients
            return VersionBody(await r.TransitionStageAsync(Name(a), Version(a), MlflowJson.RequiredString(a, "stage"),
                a["archive_existing_versions"] is JsonValue b && b.GetValueKind() == JsonValueKind.True, ct));
#pragma warning restore CS0618
        });
        Route("model-versions/get-download-uri", "GET", async (a, r, ct) => new JsonObject { ["artifact_uri"] = (await r.GetVersionAsync(Name(a), Version(a), ct)).Source });
        Route("model-versions/set-tag", "POST", async (a, r, ct) =>
        {
            await r.SetVersionTagAsync(Name(a), Version(a), MlflowJson.RequiredString(a, "key"), MlflowJson.RequiredString(a, "value"), ct);
            return null;
        });
        Route("model-versions/delete-tag", "DELETE", async (a, r, ct) => { await r.DeleteVersionTagAsync(Name(a), Version(a), MlflowJson.RequiredString(a, "key"), ct); return null; });

        // ---- what MLflow's API lacks
        Route("model-versions/finish-registration", "POST", async (a, r, ct) =>
            VersionBody(await r.Backend.FinishRegistrationAsync(Name(a), Version(a), MlflowJson.RequiredString(a, "source"), ct)), mlflow: false);
        Route("model-versions/list", "GET", async (a, r, ct) =>
        {
            var versions = await r.SearchVersionsAsync(Name(a), MlflowJson.OptionalString(a, "include_deleted") == "true", ct);
            return new JsonObject { ["model_versions"] = new JsonArray(versions.Select(v => (JsonNode)RegistryJson.Write(v)).ToArray()) };
        }, mlflow: false);
        Route("model-versions/resolve", "GET", async (a, r, ct) =>
            VersionBody(await r.Backend.ResolveAsync(ModelUri.Parse(MlflowJson.RequiredString(a, "model_uri")), ct)), mlflow: false);
        Route("registered-models/audit-log", "GET", async (a, r, ct) =>
        {
            var log = await r.GetAuditLogAsync(Name(a), ct);
            return new JsonObject { ["entries"] = new JsonArray(log.Entries.Select(e => (JsonNode)RegistryJson.Write(e)).ToArray()) };
        }, mlflow: false);
        Route("registered-models/audit-log", "POST", async (a, r, ct) =>
        {
            await r.Backend.AppendAuditAsync(Name(a), MlflowJson.RequiredString(a, "action"), MlflowJson.OptionalString(a, "alias"),
                MlflowJson.OptionalInt(a, "old_version"), MlflowJson.OptionalInt(a, "new_version"), Reason(a), ct);
            return null;
        }, mlflow: false);
        Route("registered-models/alias/rollback", "POST", async (a, r, ct) =>
            VersionBody(await r.RollbackAsync(Name(a), MlflowJson.OptionalString(a, "alias") ?? "champion", Reason(a), ct)), mlflow: false);
        Route("registered-models/alias/promote", "POST", async (a, r, ct) =>
        {
            var alias = MlflowJson.RequiredString(a, "alias");
            RegistryValidation.ValidateAlias(alias);
            await r.Backend.PromoteAliasAsync(Name(a), alias, Version(a), MlflowJson.OptionalString(a, "remove_alias"), Reason(a), ct);
            return null;
        }, mlflow: false);
        Route("model-versions/model-card", "GET", async (a, r, ct) =>
        {
            var card = await r.GetModelCardAsync(Name(a), Version(a), ct);
            return card is null ? new JsonObject() : CardBody(card);
        }, mlflow: false);
        Route("model-versions/model-card", "POST", async (a, r, ct) =>
        {
            var json = a["model_card"] as JsonObject ?? throw new RegistryException(RegistryError.InvalidParameter, "model_card", "Missing the 'model_card' object.");
            return CardBody(await r.SaveModelCardAsync(ModelCard.FromJson(json.ToJsonString()), Reason(a), ct));
        }, mlflow: false);
        Route("model-versions/evaluation", "POST", async (a, r, ct) =>
        {
            var scores = (a["scores"] as JsonArray ?? throw new RegistryException(RegistryError.InvalidParameter, "scores", "Missing the 'scores' array."))
                .Select((n, i) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>()
                    : throw new RegistryException(RegistryError.InvalidParameter, $"scores[{i}]", $"scores[{i}] must be a number.")).ToList();
            await r.LogEvaluationAsync(Name(a), Version(a), MlflowJson.RequiredString(a, "metric"), MlflowJson.RequiredString(a, "dataset"), scores, ct);
            return null;
        }, mlflow: false);
        Route("model-versions/evaluation", "GET", async (a, r, ct) =>
        {
            var scores = await r.GetEvaluationAsync(Name(a), Version(a), MlflowJson.RequiredString(a, "metric"), MlflowJson.RequiredString(a, "dataset"), ct);
            return scores is null ? new JsonObject() : new JsonObject { ["scores"] = new JsonArray(scores.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()) };
        }, mlflow: false);
        return endpoints;
    }

    private static string Name(JsonObject a) => MlflowJson.RequiredString(a, "name");

    private static int Version(JsonObject a) => RegistryValidation.ParseVersion(MlflowJson.RequiredString(a, "version"));

    private static string Reason(JsonObject a) => MlflowJson.OptionalString(a, "reason") ?? "";

    private static JsonObject VersionBody(ModelVersion v) => new() { ["model_version"] = RegistryJson.Write(v) };

    private static JsonObject ModelBody(RegisteredModel m, IEnumerable<ModelVersion> versions) =>
        new() { ["registered_model"] = RegistryJson.Write(m, ModelStages.Latest(versions)) };

    private static async Task<JsonObject> ModelBodyAsync(ModelRegistry r, RegisteredModel m, CancellationToken ct) =>
        ModelBody(m, await r.SearchVersionsAsync(m.Name, cancellationToken: ct));

    private static JsonObject CardBody(ModelCard card) => new() { ["model_card"] = JsonNode.Parse(card.ToJson()), ["markdown"] = card.ToMarkdown() };

    private static async Task<JsonObject?> LatestVersionsAsync(JsonObject a, ModelRegistry r, CancellationToken ct) => new()
    {
        ["model_versions"] = new JsonArray((await r.GetLatestVersionsAsync(Name(a), MlflowJson.StringList(a, "stages"), ct)).Select(v => (JsonNode)RegistryJson.Write(v)).ToArray()),
    };

    private static RegistryQuery Query(JsonObject a) =>
        new(MlflowJson.OptionalString(a, "filter"), MlflowJson.StringList(a, "order_by") is { Count: > 0 } order ? order : null,
            MlflowJson.OptionalInt(a, "max_results"), MlflowJson.OptionalString(a, "page_token"));

    private static JsonObject Page(string name, IEnumerable<JsonNode> items, string? next)
    {
        var o = new JsonObject { [name] = new JsonArray(items.ToArray()) };
        if (next is not null) o["next_page_token"] = next;
        return o;
    }

    private static async Task<JsonObject?> SearchModelsAsync(JsonObject a, ModelRegistry r, CancellationToken ct)
    {
        var page = await r.SearchModelsAsync(Query(a), ct);
        var bodies = new List<JsonNode>();
        foreach (var m in page) bodies.Add(RegistryJson.Write(m, await r.GetLatestVersionsAsync(m.Name, cancellationToken: ct)));
        return Page("registered_models", bodies, page.NextPageToken);
    }

    /// <summary>
    /// model-versions/create. A courseware client sends flavour, signature and lineage in <c>"courseware"</c> and asks
    /// for a pending version (its files are copied next); an MLflow client sends only the source, whose flavour and
    /// signature are then read from the files (<c>runs:/</c>, <c>mlflow-artifacts:/</c> and <c>file:</c> sources).
    /// </summary>
    private static async Task<JsonObject?> CreateVersionAsync(JsonObject a, ModelRegistry r, CancellationToken ct)
    {
        var name = Name(a);
        var runId = MlflowJson.OptionalString(a, "run_id");
        var description = MlflowJson.OptionalString(a, "description") ?? "";
        var tags = MlflowJson.ReadPairs(a, "tags").ToDictionary(p => p.Key, p => p.Value);
        var source = MlflowJson.RequiredString(a, "source");
        if (a["courseware"] is JsonObject extra)
        {
            RegistryValidation.ValidateModelName(name);
            var flavor = RegistryJson.ReadFlavor(MlflowJson.RequiredString(extra, "flavor", "courseware"), "courseware.flavor");
            var signature = ModelSignature.FromJson(extra["signature"]?.ToJsonString() ?? throw Missing("courseware.signature"));
            var lineage = extra["lineage"].Deserialize<ModelLineage>(ModelSignature.Json) ?? ModelLineage.None;
            var number = await r.Backend.CreateVersionAsync(new NewVersion(name, source, runId, flavor, signature, lineage, description, tags), ct);
            return VersionBody(extra["pending"] is JsonValue p && p.GetValueKind() == JsonValueKind.True
                ? await r.GetVersionAsync(name, number, ct)
                : await r.Backend.FinishRegistrationAsync(name, number, source, ct));
        }
        return VersionBody(await r.CreateVersionFromSourceAsync(name, source, runId, description, tags, ct));
    }

    private static RegistryException Missing(string field) => new(RegistryError.InvalidParameter, field, $"Missing value for required parameter '{field}'.");
}
