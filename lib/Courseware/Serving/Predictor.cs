using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Registry;

namespace Courseware.Serving;

/// <summary>
/// One registry version answering JSON requests: the body is checked against the version's signature (a bad request
/// throws <see cref="RegistryException"/> with <see cref="RegistryError.InvalidParameter"/>, naming the field) and the
/// answer is <c>{"model": "models:/name/3", "outputs": {...}}</c>. Implementations are thread-safe.
/// </summary>
public interface IPredictor : IDisposable
{
    /// <summary>The version answering.</summary>
    ModelVersion Version { get; }

    /// <summary>A JSON Schema (draft 2020-12) of the request body, derived from the stored signature.</summary>
    JsonObject RequestSchema { get; }

    /// <summary>Validates a request body and runs the model.</summary>
    Task<JsonObject> PredictAsync(JsonElement body, CancellationToken cancellationToken = default);
}

/// <summary>Loads the predictor of a version's flavour: ONNX, TinyGpt or ML.NET.</summary>
public static class Predictor
{
    /// <summary>
    /// Resolves <paramref name="modelUri"/> once (an alias is read at this moment) and loads that version with the
    /// predictor of its flavour, checking the model against its stored signature.
    /// </summary>
    /// <example><code>using var p = await Predictor.LoadAsync(registry, "models:/penguins@champion");</code></example>
    public static async Task<IPredictor> LoadAsync(ModelRegistry registry, string modelUri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var version = await registry.ResolveAsync(modelUri, cancellationToken).ConfigureAwait(false);
        return version.Flavor switch
        {
            ModelFlavor.Onnx => await OnnxPredictor.LoadAsync(registry, version.Uri, cancellationToken).ConfigureAwait(false),
            ModelFlavor.TinyGpt => await TinyGptPredictor.LoadAsync(registry, version.Uri, cancellationToken).ConfigureAwait(false),
            ModelFlavor.MLNet => await MLNetPredictor.LoadAsync(registry, version.Uri, cancellationToken).ConfigureAwait(false),
            _ => throw RegistryException.CannotLoad(version),
        };
    }
}

/// <summary>Request checking shared by the predictors.</summary>
internal static class Requests
{
    /// <summary>A 400 naming the field: the message starts with the field, then what was expected.</summary>
    public static RegistryException Bad(string field, string problem) => new(RegistryError.InvalidParameter, field, $"{field}: {problem}.");

    /// <summary>The body as an object with only the allowed properties (an unknown one is named in the error).</summary>
    public static void RequireObject(JsonElement body, string expected, IReadOnlyCollection<string> allowed)
    {
        if (body.ValueKind != JsonValueKind.Object) throw Bad("body", $"expected a JSON object {expected}, got {body.ValueKind}");
        foreach (var p in body.EnumerateObject())
            if (!allowed.Contains(p.Name))
                throw Bad(p.Name, $"unknown field; the request takes {string.Join(", ", allowed)}");
    }

    public static string String(JsonElement body, string field, bool required = true)
    {
        if (!body.TryGetProperty(field, out var e))
            return required ? throw Bad(field, "missing (a string)") : "";
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad(field, $"expected a string, got {e.ValueKind}");
    }

    public static int Int(JsonElement body, string field, int fallback, int min, int max)
    {
        if (!body.TryGetProperty(field, out var e)) return fallback;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var v)) throw Bad(field, $"expected an integer, got {e}");
        return v >= min && v <= max ? v : throw Bad(field, $"expected {min} to {max}, got {v}");
    }

    public static double Number(JsonElement body, string field, double fallback, double min)
    {
        if (!body.TryGetProperty(field, out var e)) return fallback;
        if (e.ValueKind != JsonValueKind.Number) throw Bad(field, $"expected a number, got {e.ValueKind}");
        var v = e.GetDouble();
        return v >= min ? v : throw Bad(field, $"expected at least {min}, got {v}");
    }

    /// <summary>A float as JSON: NaN and ±∞ become null (JSON has no such numbers).</summary>
    public static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    /// <summary>The JSON Schema type of a signature element type.</summary>
    public static string JsonType(string elementType) => elementType switch
    {
        "float32" or "float64" => "number",
        "int32" or "int64" or "key" or "uint32" => "integer",
        "bool" => "boolean",
        _ => "string",
    };

    public static JsonObject Schema(string title, JsonObject body) =>
        new JsonObject { ["$schema"] = "https://json-schema.org/draft/2020-12/schema", ["title"] = title }.Merge(body);

    private static JsonObject Merge(this JsonObject target, JsonObject source)
    {
        foreach (var (k, v) in source.ToList())
        {
            source.Remove(k);
            target[k] = v;
        }
        return target;
    }

    public static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)v).ToArray());
}
