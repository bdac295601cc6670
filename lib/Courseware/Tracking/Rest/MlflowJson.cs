using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Courseware.Tracking.Rest;

/// <summary>
/// MLflow's REST 2.0 JSON shapes (protos/service.proto as MLflow's server writes them: snake_case fields, int64 as
/// numbers, NaN and ±∞ as the strings "NaN"/"Infinity"/"-Infinity"), written once for the server and the REST client
/// store. Readers accept numbers given as strings too (protobuf's JSON mapping), and report a missing or mistyped field
/// as INVALID_PARAMETER_VALUE naming it.
/// </summary>
internal static class MlflowJson
{
    // ---------------- entities → JSON ----------------

    /// <summary><c>{"key": ..., "value": ...}</c> pairs, MLflow's shape for params and tags.</summary>
    public static JsonArray KeyValues(IEnumerable<KeyValuePair<string, string>> pairs) =>
        new(pairs.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray());

    /// <summary>An <c>Experiment</c> message.</summary>
    public static JsonObject Write(Experiment e) => new()
    {
        ["experiment_id"] = e.ExperimentId,
        ["name"] = e.Name,
        ["artifact_location"] = e.ArtifactLocation,
        ["lifecycle_stage"] = e.LifecycleStage.ToWire(),
        ["last_update_time"] = e.LastUpdateTime,
        ["creation_time"] = e.CreationTime,
        ["tags"] = KeyValues(e.Tags),
    };

    /// <summary>A <c>Metric</c> message.</summary>
    public static JsonObject Write(Metric m) => new()
    {
        ["key"] = m.Key,
        ["value"] = Number(m.Value),
        ["timestamp"] = m.Timestamp,
        ["step"] = m.Step,
    };

    /// <summary>A <c>RunInfo</c> message (with the deprecated <c>run_uuid</c> that old clients read).</summary>
    public static JsonObject Write(RunInfo i)
    {
        var o = new JsonObject
        {
            ["run_id"] = i.RunId,
            ["run_uuid"] = i.RunId,
            ["run_name"] = i.RunName,
            ["experiment_id"] = i.ExperimentId,
            ["user_id"] = i.UserId,
            ["status"] = i.Status.ToWire(),
            ["start_time"] = i.StartTime,
            ["artifact_uri"] = i.ArtifactUri,
            ["lifecycle_stage"] = i.LifecycleStage.ToWire(),
        };
        if (i.EndTime is { } end) o["end_time"] = end;
        return o;
    }

    /// <summary>A <c>Run</c> message: info, data (latest metrics, params, tags) and empty inputs.</summary>
    public static JsonObject Write(Run r) => new()
    {
        ["info"] = Write(r.Info),
        ["data"] = new JsonObject
        {
            ["metrics"] = new JsonArray(r.Data.Metrics.Values.Select(m => (JsonNode)Write(m)).ToArray()),
            ["params"] = KeyValues(r.Data.Params),
            ["tags"] = KeyValues(r.Data.Tags),
        },
        ["inputs"] = new JsonObject(),
    };

    /// <summary>A double as MLflow writes it: a number, or "NaN"/"Infinity"/"-Infinity".</summary>
    public static JsonNode Number(double value) =>
        double.IsNaN(value) ? JsonValue.Create("NaN")
        : double.IsPositiveInfinity(value) ? JsonValue.Create("Infinity")
        : double.IsNegativeInfinity(value) ? JsonValue.Create("-Infinity")
        : JsonValue.Create(value);

    /// <summary>The error body: <c>{"error_code", "message"}</c> plus the offending <c>field</c> (ignored by MLflow's clients).</summary>
    public static JsonObject Error(TrackingException e)
    {
        var o = new JsonObject { ["error_code"] = e.ErrorCode, ["message"] = e.Message };
        if (e.Field is not null) o["field"] = e.Field;
        if (e is FilterSyntaxException f) o["position"] = f.Position;
        return o;
    }

    // ---------------- JSON → entities ----------------

    /// <summary>Reads an <c>Experiment</c> message.</summary>
    public static Experiment ReadExperiment(JsonObject o) => new(
        RequiredString(o, "experiment_id"),
        RequiredString(o, "name"),
        OptionalString(o, "artifact_location") ?? "",
        TrackingNames.ParseLifecycleStage(OptionalString(o, "lifecycle_stage") ?? "active"),
        OptionalLong(o, "creation_time") ?? 0,
        OptionalLong(o, "last_update_time") ?? 0,
        ReadPairs(o, "tags").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));

    /// <summary>Reads a <c>RunInfo</c> message.</summary>
    public static RunInfo ReadRunInfo(JsonObject o) => new(
        OptionalString(o, "run_id") ?? RequiredString(o, "run_uuid"),
        RequiredString(o, "experiment_id"),
        OptionalString(o, "run_name") ?? "",
        OptionalString(o, "user_id") ?? "",
        TrackingNames.ParseRunStatus(OptionalString(o, "status") ?? "RUNNING"),
        OptionalLong(o, "start_time") ?? 0,
        OptionalLong(o, "end_time"),
        OptionalString(o, "artifact_uri") ?? "",
        TrackingNames.ParseLifecycleStage(OptionalString(o, "lifecycle_stage") ?? "active"));

    /// <summary>Reads a <c>Run</c> message.</summary>
    public static Run ReadRun(JsonObject o)
    {
        var info = ReadRunInfo(RequiredObject(o, "info"));
        var data = o["data"] as JsonObject ?? [];
        var metrics = ReadMetrics(data, "metrics").ToDictionary(m => m.Key, StringComparer.Ordinal);
        return new Run(info, new RunData(metrics,
            ReadPairs(data, "params").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            ReadPairs(data, "tags").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)));
    }

    /// <summary>Reads an array of <c>Metric</c> messages (empty when the field is absent).</summary>
    public static List<Metric> ReadMetrics(JsonObject o, string name) =>
        Array(o, name).Select((n, i) => ReadMetric(AsObject(n, $"{name}[{i}]"), $"{name}[{i}]")).ToList();

    /// <summary>Reads one <c>Metric</c>; timestamp and value are required, step defaults to 0.</summary>
    public static Metric ReadMetric(JsonObject o, string field = "metric") => new(
        RequiredString(o, "key", field),
        RequiredDouble(o, "value", field),
        OptionalLong(o, "timestamp", field) ?? throw Missing(field + ".timestamp"),
        OptionalLong(o, "step", field) ?? 0);

    /// <summary>Reads an array of <c>{"key", "value"}</c> pairs (empty when absent).</summary>
    public static List<KeyValuePair<string, string>> ReadPairs(JsonObject o, string name) =>
        Array(o, name).Select((n, i) =>
        {
            var item = AsObject(n, $"{name}[{i}]");
            return new KeyValuePair<string, string>(RequiredString(item, "key", $"{name}[{i}]"), RequiredString(item, "value", $"{name}[{i}]"));
        }).ToList();

    // ---------------- field readers ----------------

    /// <summary>A required string field (a number is accepted and kept as text).</summary>
    public static string RequiredString(JsonObject o, string name, string? parent = null) =>
        OptionalString(o, name, parent) ?? throw Missing(Path(parent, name));

    /// <summary>An optional string field.</summary>
    public static string? OptionalString(JsonObject o, string name, string? parent = null) => o[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        var other => throw Invalid(Path(parent, name), other, "a string"),
    };

    /// <summary>An optional int64 field, given as a number or a decimal string.</summary>
    public static long? OptionalLong(JsonObject o, string name, string? parent = null)
    {
        var node = o[name];
        if (node is null) return null;
        if (node is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l)) return l;
            if (v.GetValueKind() == JsonValueKind.String && TryParseLong(v.GetValue<string>(), out l)) return l;
        }
        throw Invalid(Path(parent, name), node, "an integer");
    }

    /// <summary>An optional int32 field.</summary>
    public static int? OptionalInt(JsonObject o, string name)
    {
        var value = OptionalLong(o, name);
        return value is null ? null
            : value is >= int.MinValue and <= int.MaxValue ? (int)value
            : throw TrackingException.InvalidParameter(name, $"Invalid value {value} for parameter '{name}' supplied: it must fit in a 32-bit integer.");
    }

    /// <summary>A required double: a number, or "NaN", "Infinity", "-Infinity" (or a numeric string).</summary>
    public static double RequiredDouble(JsonObject o, string name, string? parent = null)
    {
        var node = o[name] ?? throw Missing(Path(parent, name));
        if (node is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number) return v.GetValue<double>();
            if (v.GetValueKind() == JsonValueKind.String && TryParseDouble(v.GetValue<string>(), out var d)) return d;
        }
        throw Invalid(Path(parent, name), node, "a number");
    }

    /// <summary>An int64 given as a decimal string (protobuf's JSON mapping).</summary>
    internal static bool TryParseLong(string text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>A double given as a string: "NaN", "Infinity", "-Infinity" or a number's text.</summary>
    internal static bool TryParseDouble(string text, out double value)
    {
        switch (text)
        {
            case "NaN": value = double.NaN; return true;
            case "Infinity": value = double.PositiveInfinity; return true;
            case "-Infinity": value = double.NegativeInfinity; return true;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// An optional array of strings (a single string counts as a one-element array, as in a query string; numbers are
    /// kept as text, for clients that send experiment ids as numbers).
    /// </summary>
    public static List<string> StringList(JsonObject o, string name) => o[name] switch
    {
        null => [],
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
        JsonArray a => a.Select((n, i) => n switch
        {
            JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
            JsonValue d when d.GetValueKind() == JsonValueKind.Number => d.ToJsonString(),
            _ => throw Invalid($"{name}[{i}]", n, "a string"),
        }).ToList(),
        var other => throw Invalid(name, other, "an array of strings"),
    };

    /// <summary>MLflow's ViewType: ACTIVE_ONLY (default), DELETED_ONLY or ALL.</summary>
    public static ViewType ReadViewType(JsonObject o, string name) => OptionalString(o, name) switch
    {
        null or "ACTIVE_ONLY" or "1" => ViewType.ActiveOnly,
        "DELETED_ONLY" or "2" => ViewType.DeletedOnly,
        "ALL" or "3" => ViewType.All,
        var other => throw TrackingException.InvalidParameter(name, $"Invalid value '{other}' for parameter '{name}': expected ACTIVE_ONLY, DELETED_ONLY or ALL."),
    };

    /// <summary>The wire name of a <see cref="ViewType"/>.</summary>
    public static string ToWire(this ViewType viewType) => viewType switch
    {
        ViewType.DeletedOnly => "DELETED_ONLY",
        ViewType.All => "ALL",
        _ => "ACTIVE_ONLY",
    };

    private static JsonObject RequiredObject(JsonObject o, string name) =>
        o[name] as JsonObject ?? throw Missing(name);

    private static JsonObject AsObject(JsonNode? node, string field) =>
        node as JsonObject ?? throw Invalid(field, node, "an object");

    private static IEnumerable<JsonNode?> Array(JsonObject o, string name) => o[name] switch
    {
        null => [],
        JsonArray a => a,
        var other => throw Invalid(name, other, "an array"),
    };

    private static string Path(string? parent, string name) => parent is null ? name : parent + "." + name;

    private static TrackingException Missing(string field) =>
        TrackingException.InvalidParameter(field, $"Missing value for required parameter '{field}'.");

    private static TrackingException Invalid(string field, JsonNode? node, string expected) =>
        TrackingException.InvalidParameter(field,
            $"Invalid value {node?.ToJsonString() ?? "null"} for parameter '{field}' supplied: expected {expected}.");
}
