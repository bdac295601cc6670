using System.Security.Cryptography;
using Courseware.Models;
using Courseware.Models.Onnx;

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

/// <summary>Opens a checkpoint folder on a chosen backend (torch: TinyGpt on TorchSharp; onnx: the exported model on ONNX Runtime).</summary>
public static class ModelSource
{
    /// <summary>The backends <see cref="Open"/> knows.</summary>
    public static readonly IReadOnlyList<string> Backends = ["torch", "onnx"];

    /// <summary>Opens <paramref name="path"/> (a checkpoint folder) with <paramref name="backend"/> on <paramref name="device"/> (torch only: auto, cpu or cuda).</summary>
    public static OpenedModel Open(string path, string backend = "torch", string device = "auto")
    {
        if (path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException($"{path}: evaluating an HTTP endpoint needs the OpenAI-compatible backend of Courseware.Models, which this build does not include yet.");
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such checkpoint folder.");
        (ILanguageModel model, string weights) = backend switch
        {
            "torch" => ((ILanguageModel)TinyGpt.Load(path, device), TinyGpt.WeightsFile),
            "onnx" => (OnnxLanguageModel.Load(path), OnnxLanguageModel.FileName),
            _ => throw new ArgumentException($"Unknown backend '{backend}'; expected {string.Join(" or ", Backends)}.", nameof(backend)),
        };
        using var stream = File.OpenRead(Path.Combine(path, weights));
        string hash = Convert.ToHexStringLower(SHA256.HashData(stream))[..16];
        var config = new Dictionary<string, string> { ["path"] = Path.GetFullPath(path), ["backend"] = backend, ["weights_sha256"] = hash };
        if (model is TinyGpt tiny) config["device"] = tiny.Device.ToString();
        else config["device"] = "cpu";
        return new OpenedModel(model, $"{model.Name}|{hash}", config);
    }
}
