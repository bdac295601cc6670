using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

namespace Courseware.Registry;

/// <summary>
/// MLflow's model-registry JSON shapes (protos/model_registry.proto as MLflow's server writes them: snake_case,
/// versions as strings, timestamps as int64 numbers), written once for the server and the REST registry client.
/// What MLflow's messages lack — flavour, signature, lineage, the deleted flag — travels in an extra
/// <c>"courseware"</c> object that MLflow's clients ignore (they parse with <c>ignore_unknown_fields</c>).
/// </summary>
internal static class RegistryJson
{
    /// <summary>A <c>RegisteredModel</c> message; <paramref name="latestVersions"/> is MLflow's latest version per stage.</summary>
    public static JsonObject Write(RegisteredModel m, IEnumerable<ModelVersion>? latestVersions = null) => new()
    {
        ["name"] = m.Name,
        ["creation_timestamp"] = m.CreationTime,
        ["last_updated_timestamp"] = m.LastUpdatedTime,
        ["description"] = m.Description,
        ["latest_versions"] = new JsonArray((latestVersions ?? []).Select(v => (JsonNode)Write(v)).ToArray()),
        ["tags"] = MlflowJson.KeyValues(m.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)),
        ["aliases"] = new JsonArray(m.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal)
            .Select(a => (JsonNode)new JsonObject { ["alias"] = a.Key, ["version"] = a.Value.ToString(CultureInfo.InvariantCulture) }).ToArray()),
    };

    /// <summary>A <c>ModelVersion</c> message.</summary>
    public static JsonObject Write(ModelVersion v)
    {
        var o = new JsonObject
        {
            ["name"] = v.Name,
            ["version"] = v.Version.ToString(CultureInfo.InvariantCulture),
            ["creation_timestamp"] = v.CreationTime,
            ["last_updated_timestamp"] = v.LastUpdatedTime,
#pragma warning disable CS0618 // MLflow's message carries the deprecated stage
            ["current_stage"] = v.CurrentStage,
#pragma warning restore CS0618
            ["description"] = v.Description,
            ["source"] = v.Source,
            ["status"] = v.Status,
            ["tags"] = MlflowJson.KeyValues(v.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)),
            ["aliases"] = new JsonArray(v.Aliases.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
            ["courseware"] = new JsonObject
            {
                ["flavor"] = v.Flavor.ToString(),
                ["signature"] = JsonNode.Parse(v.Signature.ToJson()),
                ["lineage"] = JsonSerializer.SerializeToNode(v.Lineage, ModelSignature.Json),
                ["deleted"] = v.Deleted,
            },
        };
        if (v.RunId is not null) o["run_id"] = v.RunId;
        return o;
    }

    /// <summary>An audit log entry.</summary>
    public static JsonObject Write(AuditEntry e) => new()
    {
        ["sequence"] = e.Sequence,
        ["time"] = e.Time,
        ["action"] = e.Action,
        ["alias"] = e.Alias,
        ["old_version"] = e.OldVersion,
        ["new_version"] = e.NewVersion,
        ["actor"] = e.Actor,
        ["reason"] = e.Reason,
    };

    /// <summary>Reads a <c>RegisteredModel</c> message.</summary>
    public static RegisteredModel ReadModel(JsonObject o) => new(
        MlflowJson.RequiredString(o, "name"),
        MlflowJson.OptionalString(o, "description") ?? "",
        MlflowJson.OptionalLong(o, "creation_timestamp") ?? 0,
        MlflowJson.OptionalLong(o, "last_updated_timestamp") ?? 0,
        MlflowJson.ReadPairs(o, "tags").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        (o["aliases"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(
            a => MlflowJson.RequiredString(a, "alias", "aliases"),
            a => RegistryValidation.ParseVersion(MlflowJson.RequiredString(a, "version", "aliases"), "aliases.version")));

    /// <summary>Reads a <c>ModelVersion</c> message written by a courseware server (with its <c>"courseware"</c> object).</summary>
    public static ModelVersion ReadVersion(JsonObject o)
    {
        var name = MlflowJson.RequiredString(o, "name");
        var version = RegistryValidation.ParseVersion(MlflowJson.RequiredString(o, "version"));
        var extra = o["courseware"] as JsonObject ?? throw new TrackingException(TrackingErrorCode.InternalError,
            $"Model version {name}/{version} came without its 'courseware' fields (flavor, signature, lineage): the server is not a courseware server.", "courseware");
        var v = new ModelVersion(name, version,
            MlflowJson.RequiredString(o, "source"),
            MlflowJson.OptionalString(o, "run_id"),
            ReadFlavor(MlflowJson.RequiredString(extra, "flavor", "courseware"), "courseware.flavor"),
            ModelSignature.FromJson(extra["signature"]?.ToJsonString() ?? throw MlflowMissing("courseware.signature")),
            extra["lineage"].Deserialize<ModelLineage>(ModelSignature.Json) ?? throw MlflowMissing("courseware.lineage"),
            MlflowJson.OptionalString(o, "description") ?? "",
            MlflowJson.OptionalString(o, "status") ?? "READY",
            MlflowJson.OptionalLong(o, "creation_timestamp") ?? 0,
            MlflowJson.OptionalLong(o, "last_updated_timestamp") ?? 0,
            MlflowJson.ReadPairs(o, "tags").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            MlflowJson.StringList(o, "aliases"),
            extra["deleted"]?.GetValue<bool>() == true);
#pragma warning disable CS0618 // kept for compatibility
        return v with { CurrentStage = MlflowJson.OptionalString(o, "current_stage") ?? ModelStages.None };
#pragma warning restore CS0618
    }

    /// <summary>Reads an audit log entry.</summary>
    public static AuditEntry ReadAuditEntry(string name, JsonObject o) => new(name,
        MlflowJson.OptionalLong(o, "sequence") ?? 0,
        MlflowJson.OptionalLong(o, "time") ?? 0,
        MlflowJson.RequiredString(o, "action"),
        MlflowJson.OptionalString(o, "alias"),
        MlflowJson.OptionalInt(o, "old_version"),
        MlflowJson.OptionalInt(o, "new_version"),
        MlflowJson.OptionalString(o, "actor") ?? "",
        MlflowJson.OptionalString(o, "reason") ?? "");

    /// <summary>A flavour name (TinyGpt, Onnx, MLNet; any case).</summary>
    public static ModelFlavor ReadFlavor(string text, string field = "flavor") =>
        Enum.TryParse<ModelFlavor>(text, ignoreCase: true, out var flavor) && Enum.IsDefined(flavor)
            ? flavor
            : throw new RegistryException(RegistryError.InvalidParameter, field, $"Unknown flavor '{text}': expected one of {string.Join(", ", Enum.GetNames<ModelFlavor>())}.");

    private static TrackingException MlflowMissing(string field) =>
        new(TrackingErrorCode.InternalError, $"The server's model version lacks '{field}'.", field);
}
