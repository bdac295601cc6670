using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Registry;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Courseware.Serving;

/// <summary>
/// Runs an ONNX version on JSON requests, checking every input against the version's signature first:
/// <c>{"inputs": {"x": [[1.5, 2.0]]}}</c> in, <c>{"model": "models:/m/3", "outputs": {"y": {"shape": [1, 3], "data": [...]}}}</c>
/// out. A bad request throws <see cref="RegistryException"/> naming the field (e.g. <c>inputs.x[0][1]</c>) and what
/// was expected; the session is thread-safe, so one predictor serves concurrent requests.
/// </summary>
public sealed class OnnxPredictor : IPredictor
{
    private readonly InferenceSession _session;

    private OnnxPredictor(ModelVersion version, InferenceSession session)
    {
        Version = version;
        _session = session;
    }

    /// <summary>The version being served.</summary>
    public ModelVersion Version { get; }

    /// <summary>Loads an ONNX version from the registry (signature checked at load).</summary>
    public static async Task<OnnxPredictor> LoadAsync(ModelRegistry registry, string modelUri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var loaded = await registry.LoadOnnxAsync(modelUri, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new OnnxPredictor(loaded.Version, loaded.Model);
    }

    /// <summary>
    /// <c>{"inputs": {name: nested array}}</c>, one property per signature input, each a rectangular array of the
    /// input's rank whose fixed dimensions match.
    /// </summary>
    public JsonObject RequestSchema => Requests.Schema($"{Version.Uri} (ONNX)", new JsonObject
    {
        ["type"] = "object",
        ["required"] = Requests.Strings(["inputs"]),
        ["additionalProperties"] = false,
        ["properties"] = new JsonObject
        {
            ["inputs"] = new JsonObject
            {
                ["type"] = "object",
                ["required"] = Requests.Strings(Version.Signature.Inputs.Select(i => i.Name)),
                ["additionalProperties"] = false,
                ["properties"] = new JsonObject(Version.Signature.Inputs.Select(i => KeyValuePair.Create(i.Name, (JsonNode?)TensorSchema(i.Type, i.Shape ?? [], 0)))),
            },
        },
    });

    private static JsonObject TensorSchema(string type, IReadOnlyList<long> shape, int depth)
    {
        if (depth == shape.Count) return new JsonObject { ["type"] = Requests.JsonType(type) };
        var array = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = TensorSchema(type, shape, depth + 1) };
        if (shape[depth] >= 0)
        {
            array["minItems"] = shape[depth];
            array["maxItems"] = shape[depth];
        }
        return array;
    }

    /// <inheritdoc />
    public Task<JsonObject> PredictAsync(JsonElement body, CancellationToken cancellationToken = default) => Task.FromResult(Predict(body));

    /// <summary>Validates a request body and runs the model.</summary>
    public JsonObject Predict(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Object)
            throw Bad("inputs", "expected a JSON object {\"inputs\": {<name>: <nested array>}}");
        var values = new List<NamedOnnxValue>();
        foreach (var spec in Version.Signature.Inputs)
        {
            if (!inputs.TryGetProperty(spec.Name, out var value))
                throw Bad($"inputs.{spec.Name}", $"missing; the model takes {string.Join(", ", Version.Signature.Inputs)}");
            values.Add(ToTensor(spec, value));
        }
        foreach (var extra in inputs.EnumerateObject().Where(p => Version.Signature.Inputs.All(s => s.Name != p.Name)))
            throw Bad($"inputs.{extra.Name}", $"not an input of {Version.Uri}; it takes {string.Join(", ", Version.Signature.Inputs.Select(s => s.Name))}");
        using var results = _session.Run(values);
        var outputs = new JsonObject();
        foreach (var r in results)
        {
            var (shape, data) = r.Value switch
            {
                Tensor<float> t => (t.Dimensions.ToArray(), t.Select(v => Requests.Number(v))),
                Tensor<double> t => (t.Dimensions.ToArray(), t.Select(Requests.Number)),
                Tensor<long> t => (t.Dimensions.ToArray(), t.Select(v => (JsonNode?)v)),
                Tensor<int> t => (t.Dimensions.ToArray(), t.Select(v => (JsonNode?)v)),
                Tensor<bool> t => (t.Dimensions.ToArray(), t.Select(v => (JsonNode?)v)),
                Tensor<string> t => (t.Dimensions.ToArray(), t.Select(v => (JsonNode?)v)),
                _ => throw new RegistryException(RegistryError.InvalidState, $"outputs.{r.Name}", $"{Version.Uri}: output {r.Name} is a {r.ValueType}, which is not served over JSON."),
            };
            outputs[r.Name] = new JsonObject
            {
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                ["data"] = new JsonArray(data.ToArray()),
            };
        }
        return new JsonObject { ["model"] = Version.Uri, ["outputs"] = outputs };
    }

    private NamedOnnxValue ToTensor(TensorSpec spec, JsonElement value)
    {
        var shape = new List<int>();
        var flat = new List<JsonElement>();
        Flatten(value, $"inputs.{spec.Name}", 0, shape, flat);
        if (shape.Aggregate(1L, (a, d) => a * d) != flat.Count)
            throw Bad($"inputs.{spec.Name}", "ragged array: mixes numbers and arrays at the same depth");
        var expected = spec.Shape ?? [];
        if (expected.Count > 0 && expected.Count != shape.Count)
            throw Bad($"inputs.{spec.Name}", $"expected {expected.Count} dimensions [{string.Join(", ", expected)}], got {shape.Count} [{string.Join(", ", shape)}]");
        for (var d = 0; d < expected.Count; d++)
            if (expected[d] >= 0 && expected[d] != shape[d])
                throw Bad($"inputs.{spec.Name}", $"dimension {d} must be {expected[d]}, got {shape[d]}");
        var dims = shape.ToArray();
        string Where(int i) => $"inputs.{spec.Name}[{i}]";
        return spec.Type switch
        {
            "float32" => NamedOnnxValue.CreateFromTensor(spec.Name, new DenseTensor<float>(flat.Select((e, i) => e.ValueKind == JsonValueKind.Number ? e.GetSingle() : throw Bad(Where(i), $"expected a number, got {e.ValueKind}")).ToArray(), dims)),
            "int64" => NamedOnnxValue.CreateFromTensor(spec.Name, new DenseTensor<long>(flat.Select((e, i) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var l) ? l : throw Bad(Where(i), $"expected an integer, got {e}")).ToArray(), dims)),
            _ => throw Bad($"inputs.{spec.Name}", $"element type {spec.Type} is not served over JSON"),
        };
    }

    // Row-major flattening that insists on a rectangular array: every sibling has the shape of the first.
    private static void Flatten(JsonElement e, string path, int depth, List<int> shape, List<JsonElement> flat)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            if (depth < shape.Count) throw Bad(path, $"expected an array at depth {depth}, got {e.ValueKind}");
            flat.Add(e);
            return;
        }
        var n = e.GetArrayLength();
        if (depth == shape.Count) shape.Add(n);
        else if (shape[depth] != n) throw Bad(path, $"ragged array: length {n}, but its siblings have {shape[depth]}");
        if (n == 0) throw Bad(path, "empty array");
        var i = 0;
        foreach (var child in e.EnumerateArray()) Flatten(child, $"{path}[{i++}]", depth + 1, shape, flat);
    }

    private static RegistryException Bad(string field, string problem) => Requests.Bad(field, problem);

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
