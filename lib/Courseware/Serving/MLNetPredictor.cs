using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Registry;
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Courseware.Serving;

/// <summary>
/// Serves an ML.NET version (.zip): <c>{"inputs": {"BeakLength": 39.1, "BeakDepth": 18.7, "Species": null}}</c> (one
/// row) or <c>{"inputs": [{…}, {…}]}</c> (rows) → <c>{"outputs": {"PredictedSpecies": "Adelie", "Score": [...]}}</c>
/// (with arrays of per-row values for several rows). Every input column of the stored signature must be given, with
/// its type; <c>null</c> is a missing value (NaN for numbers, empty text), which is how a label column that the saved
/// pipeline still lists as an input is left out. Outputs are the signature's output columns: text, numbers, booleans,
/// keys (their 1-based index, 0 = missing) and vectors (arrays).
/// </summary>
public sealed class MLNetPredictor : IPredictor
{
    private static readonly string[] Fields = ["inputs"];
    private readonly MLNetModel _model;

    private MLNetPredictor(ModelVersion version, MLNetModel model)
    {
        Version = version;
        _model = model;
        foreach (var input in version.Signature.Inputs)
            if (input.Shape is not null || input.Type is not ("string" or "float32" or "float64" or "int32" or "int64" or "bool"))
                throw new RegistryException(RegistryError.InvalidState, $"inputs.{input.Name}",
                    $"{version.Uri}: input column '{input}' is not served over JSON (only text, number and boolean columns are).");
    }

    /// <inheritdoc />
    public ModelVersion Version { get; }

    /// <summary>Loads an ML.NET version from the registry (signature checked at load).</summary>
    public static async Task<MLNetPredictor> LoadAsync(ModelRegistry registry, string modelUri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var loaded = await registry.LoadMLNetAsync(modelUri, cancellationToken).ConfigureAwait(false);
        return new MLNetPredictor(loaded.Version, loaded.Model);
    }

    /// <inheritdoc />
    public JsonObject RequestSchema
    {
        get
        {
            var row = new JsonObject
            {
                ["type"] = "object",
                ["required"] = Requests.Strings(Version.Signature.Inputs.Select(i => i.Name)),
                ["additionalProperties"] = false,
                ["properties"] = new JsonObject(Version.Signature.Inputs.Select(i => KeyValuePair.Create(i.Name,
                    (JsonNode?)new JsonObject { ["type"] = Requests.Strings([Requests.JsonType(i.Type), "null"]) }))),
            };
            return Requests.Schema($"{Version.Uri} (ML.NET)", new JsonObject
            {
                ["type"] = "object",
                ["required"] = Requests.Strings(Fields),
                ["additionalProperties"] = false,
                ["properties"] = new JsonObject
                {
                    ["inputs"] = new JsonObject { ["oneOf"] = new JsonArray(row.DeepClone(), new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = row }) },
                },
            });
        }
    }

    /// <inheritdoc />
    public Task<JsonObject> PredictAsync(JsonElement body, CancellationToken cancellationToken = default)
    {
        Requests.RequireObject(body, "{\"inputs\": {<column>: <value>}}", Fields);
        if (!body.TryGetProperty("inputs", out var inputs)) throw Requests.Bad("inputs", "missing: an object of column values, or an array of them");
        var single = inputs.ValueKind == JsonValueKind.Object;
        if (!single && (inputs.ValueKind != JsonValueKind.Array || inputs.GetArrayLength() == 0))
            throw Requests.Bad("inputs", $"expected an object of column values or a non-empty array of them, got {inputs.ValueKind}");
        var rows = single ? [inputs] : inputs.EnumerateArray().ToArray();
        var frame = new DataFrame(Version.Signature.Inputs.Select(spec => Column(spec, rows, single)));
        for (var r = 0; r < rows.Length; r++)
            foreach (var p in rows[r].EnumerateObject())
                if (Version.Signature.Inputs.All(s => s.Name != p.Name))
                    throw Requests.Bad(RowField(single, r, p.Name), $"not an input column of {Version.Uri}; it takes {string.Join(", ", Version.Signature.Inputs.Select(s => s.Name))}");

        var view = _model.Transformer.Transform(frame);
        var columns = Version.Signature.Outputs.Select(o => view.Schema.GetColumnOrNull(o.Name)
            ?? throw new RegistryException(RegistryError.InvalidState, $"outputs.{o.Name}", $"{Version.Uri} produced no column {o.Name}.")).ToArray();
        var values = columns.Select(_ => new List<JsonNode?>()).ToArray();
        using (var cursor = view.GetRowCursor(columns))
        {
            var getters = columns.Select(c => Getter(cursor, c)).ToArray();
            while (cursor.MoveNext())
                for (var i = 0; i < getters.Length; i++) values[i].Add(getters[i]());
        }
        var outputs = new JsonObject();
        for (var i = 0; i < columns.Length; i++)
            outputs[columns[i].Name] = single ? values[i][0] : new JsonArray(values[i].ToArray());
        return Task.FromResult(new JsonObject { ["model"] = Version.Uri, ["outputs"] = outputs });
    }

    private static string RowField(bool single, int row, string column) => single ? $"inputs.{column}" : $"inputs[{row}].{column}";

    // One typed data-frame column per signature input, every value checked against the column's type.
    private static DataFrameColumn Column(TensorSpec spec, JsonElement[] rows, bool single)
    {
        var cells = rows.Select((row, r) =>
        {
            var field = RowField(single, r, spec.Name);
            if (row.ValueKind != JsonValueKind.Object) throw Requests.Bad(single ? "inputs" : $"inputs[{r}]", $"expected an object of column values, got {row.ValueKind}");
            return row.TryGetProperty(spec.Name, out var value) ? (field, value)
                : throw Requests.Bad(field, $"missing ({spec.Type}; null for a missing value)");
        }).ToArray();
        return spec.Type switch
        {
            "string" => new StringDataFrameColumn(spec.Name, cells.Select(c => c.value.ValueKind switch
            {
                JsonValueKind.String => c.value.GetString()!,
                JsonValueKind.Null => "",
                _ => throw Requests.Bad(c.field, $"expected a string, got {c.value.ValueKind}"),
            })),
            "float32" => new SingleDataFrameColumn(spec.Name, cells.Select(c => (float?)Real(c.field, c.value))),
            "float64" => new DoubleDataFrameColumn(spec.Name, cells.Select(c => (double?)Real(c.field, c.value))),
            "int32" => new Int32DataFrameColumn(spec.Name, cells.Select(c => (int?)Integer(c.field, c.value, int.MinValue, int.MaxValue))),
            "int64" => new Int64DataFrameColumn(spec.Name, cells.Select(c => (long?)Integer(c.field, c.value, long.MinValue, long.MaxValue))),
            _ => new BooleanDataFrameColumn(spec.Name, cells.Select(c => (bool?)(c.value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Requests.Bad(c.field, $"expected true or false, got {c.value.ValueKind}"),
            }))),
        };
    }

    private static double Real(string field, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.Null => double.NaN,
        _ => throw Requests.Bad(field, $"expected a number or null, got {value.ValueKind}"),
    };

    private static long Integer(string field, JsonElement value, long min, long max) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var v) && v >= min && v <= max ? v
            : throw Requests.Bad(field, $"expected an integer from {min} to {max}, got {value}");

    private static Func<JsonNode?> Getter(DataViewRowCursor cursor, DataViewSchema.Column column) => column.Type switch
    {
        TextDataViewType => Get<ReadOnlyMemory<char>>(cursor, column, v => v.ToString()),
        BooleanDataViewType => Get<bool>(cursor, column, v => v),
        KeyDataViewType => Get<uint>(cursor, column, v => v),
        VectorDataViewType { ItemType: TextDataViewType } => Get<VBuffer<ReadOnlyMemory<char>>>(cursor, column, v => new JsonArray(v.DenseValues().Select(x => (JsonNode?)x.ToString()).ToArray())),
        VectorDataViewType { ItemType.RawType: var t } when t == typeof(float) => Get<VBuffer<float>>(cursor, column, v => new JsonArray(v.DenseValues().Select(x => Requests.Number(x)).ToArray())),
        VectorDataViewType { ItemType.RawType: var t } when t == typeof(double) => Get<VBuffer<double>>(cursor, column, v => new JsonArray(v.DenseValues().Select(Requests.Number).ToArray())),
        _ when column.Type.RawType == typeof(float) => Get<float>(cursor, column, v => Requests.Number(v)),
        _ when column.Type.RawType == typeof(double) => Get<double>(cursor, column, Requests.Number),
        _ when column.Type.RawType == typeof(int) => Get<int>(cursor, column, v => v),
        _ when column.Type.RawType == typeof(long) => Get<long>(cursor, column, v => v),
        _ when column.Type.RawType == typeof(uint) => Get<uint>(cursor, column, v => v),
        _ => throw new RegistryException(RegistryError.InvalidState, $"outputs.{column.Name}", $"output column {column.Name} of type {column.Type} is not served over JSON."),
    };

    private static Func<JsonNode?> Get<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, JsonNode?> convert)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return () =>
        {
            getter(ref value);
            return convert(value);
        };
    }

    /// <inheritdoc />
    public void Dispose() => (_model.Transformer as IDisposable)?.Dispose();
}
