using System.Text.Json;
using System.Text.Json.Serialization;

namespace Courseware.Registry;

/// <summary>
/// How a registered model is stored and loaded (<see cref="ModelRegistry.LoadTinyGptAsync"/>,
/// <see cref="ModelRegistry.LoadOnnxAsync"/>, <see cref="ModelRegistry.LoadMLNetAsync"/>).
/// </summary>
public enum ModelFlavor
{
    /// <summary>A TinyGpt folder (config.json, model.safetensors, tokenizer.json), loaded with TorchSharp.</summary>
    TinyGpt,
    /// <summary>An ONNX graph (<c>.onnx</c> file), run with ONNX Runtime.</summary>
    Onnx,
    /// <summary>An ML.NET model saved with <c>mlContext.Model.Save</c> (<c>.zip</c>).</summary>
    MLNet,
    /// <summary>
    /// An MLflow model folder (an <c>MLmodel</c> file) of a flavour this library does not load, such as pyfunc or
    /// sklearn: versions, aliases, lineage and model cards work as for any version; serving and evaluation refuse it,
    /// naming its MLflow flavours (tag <see cref="MLflowModel.FlavorsTag"/>).
    /// </summary>
    Generic,
}

/// <summary>One named input or output of a model: a column or tensor, its element type and (for tensors) its shape (-1 = any).</summary>
/// <example><code>new TensorSpec("input_ids", "int64", [-1, -1])</code></example>
public sealed record TensorSpec(string Name, string Type, IReadOnlyList<long>? Shape = null)
{
    /// <inheritdoc />
    public override string ToString() => Shape is null ? $"{Name}: {Type}" : $"{Name}: {Type}[{string.Join(", ", Shape)}]";
}

/// <summary>
/// What a model takes and returns (MLflow's <c>ModelSignature</c>), stored with each version and checked against the
/// model itself when it is loaded, so a version whose file changed shape fails at load, not at the first request.
/// </summary>
public sealed record ModelSignature(IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The signature as JSON (<c>{"inputs":[{"name":..,"type":..,"shape":[..]}],"outputs":[..]}</c>).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses <see cref="ToJson"/>'s output.</summary>
    public static ModelSignature FromJson(string json) => JsonSerializer.Deserialize<ModelSignature>(json, Json)
        ?? throw new RegistryException(RegistryError.InvalidParameter, "signature", "The signature JSON is empty.");

    /// <inheritdoc />
    public override string ToString() => $"({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}

/// <summary>A data set a version was trained or evaluated on, identified by the SHA-256 of its content.</summary>
public sealed record DatasetReference(string Name, string Path, string Sha256)
{
    /// <summary>Hashes a file (SHA-256, lowercase hex) and names it after the file.</summary>
    public static DatasetReference FromFile(string path, string? name = null)
    {
        using var stream = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        return new DatasetReference(name ?? System.IO.Path.GetFileName(path), System.IO.Path.GetFullPath(path), hash);
    }
}

/// <summary>Where a version came from: its run, that run's params and metrics, the data it saw and the code commit.</summary>
public sealed record ModelLineage(
    string? RunId,
    string? ExperimentId,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<DatasetReference> Datasets,
    string? CodeCommit)
{
    /// <summary>No run, no data: a model registered from a file alone.</summary>
    public static ModelLineage None { get; } = new(null, null, new Dictionary<string, string>(), new Dictionary<string, double>(), [], null);
}

/// <summary>A registered model: a name under which versions are kept, with a description, tags and aliases.</summary>
/// <param name="Name">The model's unique name, as in <c>models:/name/3</c>.</param>
/// <param name="Description">Free-text description (empty when none was given).</param>
/// <param name="CreationTime">When the model was registered, in Unix milliseconds.</param>
/// <param name="LastUpdatedTime">When the model or one of its versions last changed, in Unix milliseconds.</param>
/// <param name="Tags">The model's tags (key → value).</param>
/// <param name="Aliases">Alias → version number (e.g. champion → 3).</param>
public sealed record RegisteredModel(
    string Name,
    string Description,
    long CreationTime,
    long LastUpdatedTime,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyDictionary<string, int> Aliases);

/// <summary>
/// One version of a registered model. <see cref="Source"/> is the artifact URI of the model files (inside the run's
/// artifacts when it came from a run). Deleted versions keep their number, which is never given again.
/// </summary>
public sealed record ModelVersion(
    string Name,
    int Version,
    string Source,
    string? RunId,
    ModelFlavor Flavor,
    ModelSignature Signature,
    ModelLineage Lineage,
    string Description,
    string Status,
    long CreationTime,
    long LastUpdatedTime,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Aliases,
    bool Deleted)
{
    /// <summary>MLflow's stage (None, Staging, Production, Archived), kept only so old code and URIs keep working.</summary>
    [Obsolete(ModelStages.DeprecationMessage)]
    public string CurrentStage { get; init; } = ModelStages.None;

    /// <summary>The URI that names exactly this version: <c>models:/name/3</c>.</summary>
    public string Uri => $"models:/{Name}/{Version}";
}

/// <summary>MLflow's model-version stages, deprecated since MLflow 2.9 in favour of aliases and tags.</summary>
public static class ModelStages
{
    /// <summary>The message shown wherever a stage is read or set.</summary>
    public const string DeprecationMessage =
        "Model stages (None/Staging/Production/Archived) are deprecated since MLflow 2.9: use aliases such as 'champion' " +
        "and 'challenger' (ModelRegistry.SetAliasAsync, models:/name@champion) and version tags instead.";

    /// <summary>No stage.</summary>
    public const string None = "None";

    /// <summary>The four stage names, as MLflow spells them.</summary>
    public static IReadOnlyList<string> All { get; } = ["None", "Staging", "Production", "Archived"];

    /// <summary>The canonical spelling of a stage name given in any case, or null when it is not a stage.</summary>
    public static string? Canonical(string value) => All.FirstOrDefault(s => string.Equals(s, value, StringComparison.OrdinalIgnoreCase));

    /// <summary>The canonical spelling of <paramref name="value"/>, or INVALID_PARAMETER_VALUE naming <paramref name="field"/>.</summary>
    public static string Parse(string value, string field = "stage") => Canonical(value) ?? throw new RegistryException(RegistryError.InvalidParameter, field,
        $"Invalid stage '{value}': expected one of {string.Join(", ", All)}. {DeprecationMessage}");

    /// <summary>MLflow's <c>latest_versions</c>: the newest version in each of <paramref name="stages"/> (all four when null or empty), by number.</summary>
    public static IReadOnlyList<ModelVersion> Latest(IEnumerable<ModelVersion> versions, IReadOnlyCollection<string>? stages = null)
    {
        var wanted = stages is { Count: > 0 } ? stages : All;
#pragma warning disable CS0618 // the stage is MLflow's, read for compatibility
        return versions.Where(v => wanted.Contains(v.CurrentStage)).GroupBy(v => v.CurrentStage).Select(g => g.MaxBy(v => v.Version)!).OrderBy(v => v.Version).ToList();
#pragma warning restore CS0618
    }
}

/// <summary>One line of a model's audit log: an alias set, moved, removed or rolled back, a card edit, and why.</summary>
/// <param name="Name">The registered model the entry belongs to.</param>
/// <param name="Sequence">1, 2, 3… per model, in the order the changes committed.</param>
/// <param name="Time">When the change committed, in Unix milliseconds.</param>
/// <param name="Action">set_alias, delete_alias, rollback, promote, delete_version, delete_model, rename, model_card or transition_stage.</param>
/// <param name="Alias">The alias (or, for transition_stage, the stage) changed; null when the action concerns no alias.</param>
/// <param name="OldVersion">The version the alias pointed to before, or the version deleted; null when there was none.</param>
/// <param name="NewVersion">The version the alias points to now, or whose card or stage changed; null when there is none.</param>
/// <param name="Actor">Who made the change (<see cref="ModelRegistry.Actor"/>).</param>
/// <param name="Reason">Why, as given by the caller (may be empty).</param>
public sealed record AuditEntry(string Name, long Sequence, long Time, string Action, string? Alias, int? OldVersion, int? NewVersion, string Actor, string Reason)
{
    /// <summary>Whether this entry moved an alias (set, removed, promoted or rolled back).</summary>
    public bool IsAliasChange => Action is "set_alias" or "delete_alias" or "promote" or "rollback";
}
