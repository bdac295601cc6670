using Courseware.Models;
using Courseware.Tracking;
using Courseware.Tracking.Rest;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace Courseware.Registry;

/// <summary>A model loaded from the registry together with the version it came from; disposing it frees the model.</summary>
public sealed class LoadedModel<T>(ModelVersion version, T model) : IDisposable where T : class
{
    /// <summary>The registry version (name, number, signature, lineage).</summary>
    public ModelVersion Version { get; } = version;

    /// <summary>The model object of the version's flavour.</summary>
    public T Model { get; } = model;

    /// <inheritdoc />
    public void Dispose() => (Model as IDisposable)?.Dispose();
}

/// <summary>An ML.NET model: the transformer, its input schema and the <see cref="MLContext"/> that loaded it.</summary>
public sealed record MLNetModel(MLContext Context, ITransformer Transformer, DataViewSchema InputSchema)
{
    /// <summary>A prediction engine for one row at a time (not thread-safe: make one per thread).</summary>
    public PredictionEngine<TIn, TOut> CreatePredictionEngine<TIn, TOut>() where TIn : class where TOut : class, new() =>
        Context.Model.CreatePredictionEngine<TIn, TOut>(Transformer, InputSchema);
}

/// <summary>Reads a model's signature from the model itself (MLflow's <c>infer_signature</c>), per flavour.</summary>
public static class ModelSignatures
{
    /// <summary>The signature of the model at <paramref name="path"/> (a file, or a folder for TinyGpt and ONNX folders holding model.onnx).</summary>
    public static ModelSignature Infer(ModelFlavor flavor, string path) => flavor switch
    {
        ModelFlavor.TinyGpt => TinyGptSignature(path),
        ModelFlavor.Onnx => OnnxSignature(OnnxFile(path)),
        ModelFlavor.MLNet => MLNetSignature(path),
        ModelFlavor.Generic => MLflowModel.Read(path).Signature,
        _ => throw new ArgumentOutOfRangeException(nameof(flavor), flavor, "unknown flavour"),
    };

    /// <summary>What <see cref="InferFlavor"/> recognises, for messages.</summary>
    public const string RecognisedModels =
        $"a .onnx file, an ML.NET .zip, or a folder with model.onnx, with {TinyGpt.ConfigFile} and {TinyGpt.WeightsFile} (TinyGpt), or with an MLflow {MLflowModel.FileName} file";

    /// <summary>
    /// The flavour of the model at <paramref name="path"/>, from its files: a <c>.onnx</c> file or a folder holding
    /// model.onnx (ONNX), a <c>.zip</c> (ML.NET), a folder holding config.json and model.safetensors (TinyGpt), any
    /// other folder holding an MLflow <c>MLmodel</c> file (<see cref="ModelFlavor.Generic"/>).
    /// </summary>
    public static ModelFlavor InferFlavor(string path)
    {
        if (File.Exists(path) && path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return ModelFlavor.Onnx;
        if (File.Exists(path) && path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) return ModelFlavor.MLNet;
        if (File.Exists(Path.Combine(path, "model.onnx"))) return ModelFlavor.Onnx;
        if (File.Exists(Path.Combine(path, TinyGpt.ConfigFile)) && File.Exists(Path.Combine(path, TinyGpt.WeightsFile))) return ModelFlavor.TinyGpt;
        if (File.Exists(Path.Combine(path, MLflowModel.FileName))) return ModelFlavor.Generic;
        throw new RegistryException(RegistryError.InvalidParameter, "source",
            File.Exists(path) || Directory.Exists(path)
                ? $"Cannot tell the flavour of {path}: expected {RecognisedModels}."
                : $"Model source {path} does not exist.");
    }

    internal static string OnnxFile(string path) => Directory.Exists(path) ? Path.Combine(path, "model.onnx") : path;

    private static ModelSignature TinyGptSignature(string folder)
    {
        var config = TinyGptConfig.Load(Path.Combine(folder, TinyGpt.ConfigFile));
        // The vocabulary the weights were trained with, read from the safetensors file itself (not just the config).
        var embedding = SafeTensors.Read(Path.Combine(folder, TinyGpt.WeightsFile)).Tensors.FirstOrDefault(t => t.Name == "token_embedding.weight")
            ?? throw new RegistryException(RegistryError.InvalidState, "source", $"{folder}/{TinyGpt.WeightsFile} has no token_embedding.weight tensor.");
        if (embedding.Shape[0] != config.VocabularySize)
            throw new RegistryException(RegistryError.InvalidState, "source",
                $"{folder}: config.json says vocabulary_size {config.VocabularySize} but token_embedding.weight has {embedding.Shape[0]} rows.");
        return new ModelSignature(
            [new TensorSpec("tokens", "int64", [-1, config.ContextLength])],
            [new TensorSpec("logits", "float32", [-1, config.ContextLength, config.VocabularySize])]);
    }

    private static ModelSignature OnnxSignature(string file)
    {
        using var session = new InferenceSession(file);
        static TensorSpec Spec(string name, NodeMetadata m) =>
            new(name, OnnxType(m.ElementType), m.IsTensor ? m.Dimensions.Select(d => (long)d).ToArray() : null);
        return new ModelSignature(
            session.InputMetadata.Select(kv => Spec(kv.Key, kv.Value)).ToList(),
            session.OutputMetadata.Select(kv => Spec(kv.Key, kv.Value)).ToList());
    }

    private static string OnnxType(Type t) => t == typeof(float) ? "float32" : t == typeof(double) ? "float64" : t == typeof(long) ? "int64"
        : t == typeof(int) ? "int32" : t == typeof(bool) ? "bool" : t == typeof(string) ? "string" : t.Name.ToLowerInvariant();

    private static ModelSignature MLNetSignature(string file)
    {
        var ml = new MLContext(seed: 0);
        var transformer = ml.Model.Load(file, out var input);
        var output = transformer.GetOutputSchema(input);
        var inputs = input.Where(c => !c.IsHidden).Select(MLNetSpec).ToList();
        var inputNames = inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return new ModelSignature(inputs, output.Where(c => !c.IsHidden && !inputNames.Contains(c.Name)).Select(MLNetSpec).ToList());
    }

    private static TensorSpec MLNetSpec(DataViewSchema.Column c) => c.Type switch
    {
        VectorDataViewType v => new TensorSpec(c.Name, OnnxType(v.ItemType.RawType == typeof(ReadOnlyMemory<char>) ? typeof(string) : v.ItemType.RawType), [v.Size == 0 ? -1 : v.Size]),
        KeyDataViewType => new TensorSpec(c.Name, "key"),
        _ when c.Type.RawType == typeof(ReadOnlyMemory<char>) => new TensorSpec(c.Name, "string"),
        _ => new TensorSpec(c.Name, OnnxType(c.Type.RawType)),
    };

    /// <summary>
    /// Throws INVALID_STATE naming the first input or output whose name, type or shape differs between the stored
    /// signature and the model file — a model file replaced under a version is caught at load.
    /// </summary>
    public static void Check(ModelVersion version, ModelSignature actual)
    {
        void Compare(string side, IReadOnlyList<TensorSpec> expected, IReadOnlyList<TensorSpec> got)
        {
            foreach (var e in expected)
            {
                var g = got.FirstOrDefault(x => x.Name == e.Name)
                    ?? throw Mismatch(version, $"{side}.{e.Name}", $"the stored signature has {side[..^1]} '{e}' but the model has none (it has {string.Join(", ", got.Select(x => x.Name))})");
                if (g.Type != e.Type || !(e.Shape ?? []).SequenceEqual(g.Shape ?? []))
                    throw Mismatch(version, $"{side}.{e.Name}", $"stored '{e}', model has '{g}'");
            }
            foreach (var g in got.Where(g => expected.All(e => e.Name != g.Name)))
                throw Mismatch(version, $"{side}.{g.Name}", $"the model has {side[..^1]} '{g}' that the stored signature lacks");
        }
        Compare("inputs", version.Signature.Inputs, actual.Inputs);
        Compare("outputs", version.Signature.Outputs, actual.Outputs);
    }

    private static RegistryException Mismatch(ModelVersion v, string field, string problem) =>
        new(RegistryError.InvalidState, field, $"{v.Uri} does not match its signature: {problem}.");
}

public sealed partial class ModelRegistry
{
    /// <summary>Registers a model with the signature read from the model itself (<see cref="ModelSignatures.Infer"/>).</summary>
    public Task<ModelVersion> RegisterAsync(string name, string modelPath, ModelFlavor flavor, string? runId = null,
        IEnumerable<DatasetReference>? datasets = null, string? description = null, CancellationToken cancellationToken = default) =>
        RegisterAsync(name, modelPath, flavor, ModelSignatures.Infer(flavor, modelPath), runId, datasets, description, cancellationToken);

    /// <summary>Resolves a URI to a version of the expected flavour and checks the model file against the stored signature.</summary>
    private async Task<(ModelVersion Version, string Path)> ResolveForLoadAsync(string modelUri, ModelFlavor flavor, CancellationToken ct)
    {
        var version = await ResolveAsync(modelUri, ct).ConfigureAwait(false);
        if (version.Flavor != flavor)
            throw new RegistryException(RegistryError.InvalidParameter, "flavor", $"{version.Uri} is a {version.Flavor} model, not {flavor}.");
        var path = await GetLocalPathAsync(version, ct).ConfigureAwait(false);
        ModelSignatures.Check(version, ModelSignatures.Infer(flavor, path));
        return (version, path);
    }

    /// <summary>
    /// The version's files on this machine. In a SQL store that is its source path; behind a tracking server the files
    /// are downloaded through the server's artifact API (they may live on another machine) into
    /// <c>&lt;temp&gt;/courseware-models/</c>, once per version, and moved into place only when complete.
    /// </summary>
    public async Task<string> GetLocalPathAsync(ModelVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (_filesAreLocal) return LocalPath(version);
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{version.Source}\n{version.CreationTime}")))[..16];
        var target = Path.Combine(Path.GetTempPath(), "courseware-models", key);
        var source = version.Source.TrimEnd('/');
        var name = Uri.UnescapeDataString(source[(source.LastIndexOf('/') + 1)..]);
        if (!Directory.Exists(target))
        {
            var partial = target + "." + Guid.NewGuid().ToString("N") + ".partial";
            try
            {
                var files = await ListFilesAsync(source, null, cancellationToken).ConfigureAwait(false);
                // A source that lists nothing is a single file: fetch it by name from its folder.
                var (root, paths, folder) = files.Count > 0 ? (source, files, name) : (source[..source.LastIndexOf('/')], (IReadOnlyList<string>)[name], "");
                foreach (var relative in paths)
                {
                    var file = Path.Combine(partial, folder, relative);
                    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                    await using var input = await _artifacts.OpenReadAsync(root, relative, cancellationToken).ConfigureAwait(false);
                    await using var output = File.Create(file);
                    await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try { Directory.Move(partial, target); }
                catch (IOException) when (Directory.Exists(target)) { } // another process finished first
            }
            finally
            {
                if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            }
        }
        return Path.Combine(target, name);
    }

    /// <summary>Environment variable naming the tracking location <see cref="ResolveModelPathAsync"/> uses by default (MLflow's name).</summary>
    public const string TrackingUriVariable = TrackingLocation.EnvironmentVariable;

    /// <summary>
    /// For tools that take a model path (benchmarks, evaluation): a <c>models:/</c> URI is resolved in the registry at
    /// <paramref name="trackingLocation"/> — a store folder or a tracking server URL; default $MLFLOW_TRACKING_URI,
    /// else <see cref="Tracker.DefaultLocation"/> — to the version's files on this machine; any other path is returned as is.
    /// </summary>
    /// <example><code>var folder = await ModelRegistry.ResolveModelPathAsync("models:/tinygpt@champion", "http://127.0.0.1:5000");</code></example>
    public static async Task<string> ResolveModelPathAsync(string pathOrUri, string? trackingLocation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pathOrUri);
        if (!pathOrUri.StartsWith("models:/", StringComparison.Ordinal)) return pathOrUri;
        using var tracker = Tracker.Open(trackingLocation);
        var registry = new ModelRegistry(tracker.Store);
        var version = await registry.ResolveAsync(pathOrUri, cancellationToken).ConfigureAwait(false);
        return await registry.GetLocalPathAsync(version, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<string>> ListFilesAsync(string artifactUri, string? folder, CancellationToken ct)
    {
        var files = new List<string>();
        foreach (var entry in await _artifacts.ListAsync(artifactUri, folder, ct).ConfigureAwait(false))
            files.AddRange(entry.IsDirectory ? await ListFilesAsync(artifactUri, entry.Path, ct).ConfigureAwait(false) : [entry.Path]);
        return files;
    }

    /// <summary>Loads a TinyGpt version (safetensors via TorchSharp) after checking its signature.</summary>
    /// <example><code>using var gpt = await registry.LoadTinyGptAsync("models:/tinygpt@champion");</code></example>
    public async Task<LoadedModel<TinyGpt>> LoadTinyGptAsync(string modelUri, string device = "cpu", CancellationToken cancellationToken = default)
    {
        var (version, path) = await ResolveForLoadAsync(modelUri, ModelFlavor.TinyGpt, cancellationToken).ConfigureAwait(false);
        return new LoadedModel<TinyGpt>(version, TinyGpt.Load(path, device));
    }

    /// <summary>Loads an ONNX version into an ONNX Runtime session after checking its signature.</summary>
    public async Task<LoadedModel<InferenceSession>> LoadOnnxAsync(string modelUri, SessionOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (version, path) = await ResolveForLoadAsync(modelUri, ModelFlavor.Onnx, cancellationToken).ConfigureAwait(false);
        var file = ModelSignatures.OnnxFile(path);
        return new LoadedModel<InferenceSession>(version, options is null ? new InferenceSession(file) : new InferenceSession(file, options));
    }

    /// <summary>Loads an ML.NET version (.zip) after checking its signature.</summary>
    public async Task<LoadedModel<MLNetModel>> LoadMLNetAsync(string modelUri, CancellationToken cancellationToken = default)
    {
        var (version, path) = await ResolveForLoadAsync(modelUri, ModelFlavor.MLNet, cancellationToken).ConfigureAwait(false);
        var ml = new MLContext(seed: 0);
        var transformer = ml.Model.Load(path, out var schema);
        return new LoadedModel<MLNetModel>(version, new MLNetModel(ml, transformer, schema));
    }
}
