using System.Security.Cryptography;
using Courseware.Models;
using Courseware.Models.Onnx;
using Courseware.Registry;

namespace Courseware.Benchmarks;

/// <summary>A model opened for evaluation, with what identifies its answers in the cache.</summary>
/// <param name="Model">The model.</param>
/// <param name="CacheKey">Name, backend and a hash of the weights file: a retrained checkpoint never reads a stale cache.</param>
/// <param name="Config">Path, backend and device for the results' config block.</param>
public sealed record OpenedModel(ILanguageModel Model, string CacheKey, IReadOnlyDictionary<string, string> Config) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Opens a model for evaluation: a checkpoint folder on a chosen backend (torch: TinyGpt on TorchSharp; onnx: the
/// exported model on ONNX Runtime), an OpenAI-compatible endpoint (http(s)://…/v1) serving <c>servedModel</c>, or
/// (with <see cref="OpenAsync"/> and a registry) a registered version: <c>models:/name/3</c>, <c>models:/name@champion</c>,
/// <c>models:/name/latest</c>.
/// </summary>
/// <example><code>using var opened = await ModelSource.OpenAsync("models:/tinygpt@champion", registry, backend: "onnx");</code></example>
public static class ModelSource
{
    private const string RegistryScheme = "models:/";

    /// <summary>The backends <see cref="Open"/> knows for checkpoint folders.</summary>
    public static readonly IReadOnlyList<string> Backends = ["torch", "onnx"];

    /// <summary>Opens <paramref name="path"/> with <paramref name="backend"/> on <paramref name="device"/> (auto, cpu or cuda).</summary>
    /// <param name="path">A checkpoint folder or an endpoint URL such as http://127.0.0.1:8000/v1.</param>
    /// <param name="backend">torch or onnx (ignored for endpoints).</param>
    /// <param name="device">auto, cpu or cuda (ignored for endpoints).</param>
    /// <param name="servedModel">The model name the endpoint serves (required for endpoints).</param>
    /// <param name="apiKey">Bearer key for the endpoint, if it needs one.</param>
    public static OpenedModel Open(string path, string backend = "torch", string device = "auto", string? servedModel = null, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.StartsWith(RegistryScheme, StringComparison.Ordinal))
            throw new ArgumentException($"{path} is a registry URI: open it with ModelSource.OpenAsync(\"{path}\", registry) (CLI: --tracking-uri <store>).", nameof(path));
        if (Uri.TryCreate(path, UriKind.Absolute, out Uri? endpoint) && endpoint.Scheme is "http" or "https")
        {
            if (string.IsNullOrWhiteSpace(servedModel)) throw new ArgumentException($"{path}: name the model the endpoint serves (--served-model).", nameof(servedModel));
            var remote = new OpenAICompatibleModel(new OpenAICompatibleOptions { Endpoint = endpoint, Model = servedModel, ApiKey = apiKey });
            return new OpenedModel(remote, $"{remote.Name}|{endpoint.AbsoluteUri}",
                new Dictionary<string, string> { ["endpoint"] = endpoint.AbsoluteUri, ["model"] = servedModel, ["backend"] = "openai-compatible" });
        }
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such checkpoint folder.");
        (ILanguageModel model, string weights) = backend switch
        {
            "torch" => ((ILanguageModel)TinyGpt.Load(path, device), TinyGpt.WeightsFile),
            "onnx" => (OnnxLanguageModel.Load(path, device), OnnxLanguageModel.FileName),
            _ => throw new ArgumentException($"Unknown backend '{backend}'; expected {string.Join(" or ", Backends)}.", nameof(backend)),
        };
        using var stream = File.OpenRead(Path.Combine(path, weights));
        string hash = Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
        var config = new Dictionary<string, string> { ["path"] = Path.GetFullPath(path), ["backend"] = backend, ["weights_sha256"] = hash };
        config["device"] = model switch
        {
            TinyGpt tiny => tiny.Device.ToString(),
            OnnxLanguageModel onnx => onnx.Device.ToString(),
            _ => "unknown",
        };
        return new OpenedModel(model, $"{model.Name}|{hash}", config);
    }

    /// <summary>
    /// Opens <paramref name="model"/> like <see cref="Open"/>, and also a registry URI (<c>models:/name/3</c>,
    /// <c>models:/name@alias</c>, <c>models:/name/latest</c>) resolved in <paramref name="registry"/>: the version must be
    /// a TinyGpt folder (either backend) or an ONNX model whose folder holds config.json and tokenizer.json (onnx backend);
    /// its files are checked against the registered signature first. The results' config names the URI and the version.
    /// </summary>
    /// <param name="model">A registry URI, a checkpoint folder or an endpoint URL.</param>
    /// <param name="registry">Where registry URIs are resolved; not needed for folders and endpoints.</param>
    /// <param name="backend">torch or onnx.</param>
    /// <param name="device">auto, cpu or cuda.</param>
    /// <param name="servedModel">The model name an endpoint serves.</param>
    /// <param name="apiKey">Bearer key for an endpoint.</param>
    /// <param name="cancellationToken">Cancels the registry lookup.</param>
    public static async Task<OpenedModel> OpenAsync(string model, ModelRegistry? registry, string backend = "torch", string device = "auto",
        string? servedModel = null, string? apiKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.StartsWith(RegistryScheme, StringComparison.Ordinal)) return Open(model, backend, device, servedModel, apiKey);
        if (registry is null)
            throw new ArgumentException($"{model} is a registry URI; pass the ModelRegistry it is registered in (CLI: --tracking-uri <store folder>).", nameof(registry));
        ModelVersion version = await registry.ResolveAsync(model, cancellationToken).ConfigureAwait(false);
        string path = await registry.GetLocalPathAsync(version, cancellationToken).ConfigureAwait(false); // downloaded when the registry is behind a server
        string folder = version.Flavor switch
        {
            ModelFlavor.TinyGpt => path,
            ModelFlavor.Onnx when backend == "onnx" => Directory.Exists(path) ? path : Path.GetDirectoryName(path)!,
            ModelFlavor.Onnx => throw new ArgumentException($"{model} resolves to {version.Uri}, an ONNX model: evaluate it with backend onnx (--backend onnx).", nameof(backend)),
            ModelFlavor.Generic => throw RegistryException.CannotLoad(version),
            _ => throw new ArgumentException($"{model} resolves to {version.Uri}, a {version.Flavor} model; only TinyGpt and ONNX language models can be evaluated.", nameof(model)),
        };
        // A file replaced under a registered version is refused here, before any score is computed from it.
        ModelSignatures.Check(version, ModelSignatures.Infer(version.Flavor, path));
        OpenedModel opened = Open(folder, backend, device);
        var config = new Dictionary<string, string>(opened.Config) { ["model_uri"] = model, ["registered_version"] = version.Uri };
        return opened with { Config = config };
    }
}
