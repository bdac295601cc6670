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
/// exported model on ONNX Runtime), or an OpenAI-compatible endpoint (http(s)://…/v1) serving <c>servedModel</c>.
/// </summary>
public static class ModelSource
{
    /// <summary>The backends <see cref="Open"/> knows for checkpoint folders.</summary>
    public static readonly IReadOnlyList<string> Backends = ["torch", "onnx"];

    /// <summary>Opens <paramref name="path"/> with <paramref name="backend"/> on <paramref name="device"/> (auto, cpu or cuda).</summary>
    /// <param name="path">A checkpoint folder, a registry URI (<c>models:/tinygpt@champion</c>, resolved with <see cref="ModelRegistry.ResolveModelPathAsync"/>), or an endpoint URL such as http://127.0.0.1:8000/v1.</param>
    /// <param name="backend">torch or onnx (ignored for endpoints).</param>
    /// <param name="device">auto, cpu or cuda (ignored for endpoints).</param>
    /// <param name="servedModel">The model name the endpoint serves (required for endpoints).</param>
    /// <param name="apiKey">Bearer key for the endpoint, if it needs one.</param>
    public static OpenedModel Open(string path, string backend = "torch", string device = "auto", string? servedModel = null, string? apiKey = null)
    {
        path = ModelRegistry.ResolveModelPathAsync(path).GetAwaiter().GetResult(); // models:/name@alias → the version's folder
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
}
