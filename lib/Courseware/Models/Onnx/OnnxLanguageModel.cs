using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Courseware.Models.Onnx;

/// <summary>
/// A causal language model exported to ONNX, run by ONNX Runtime on the CPU or, in the CUDA build
/// (<c>-p:Accelerator=cuda</c>), through its CUDA execution provider. Reads a TinyGpt checkpoint folder
/// that also holds <see cref="FileName"/> (written by <see cref="Export"/>).
/// </summary>
/// <example><code>
/// OnnxLanguageModel.Export(tinyGpt, "datasets/models/tinygpt-base");
/// using var onnx = OnnxLanguageModel.Load("datasets/models/tinygpt-base");
/// </code></example>
public sealed class OnnxLanguageModel : LocalLanguageModel
{
    /// <summary>The model's file name inside a checkpoint folder.</summary>
    public const string FileName = "model.onnx";

    private readonly InferenceSession _session;
    private readonly string _name;
    private readonly string[] _inputNames = [TinyGptOnnxExporter.InputName];
    private readonly string[] _outputNames = [TinyGptOnnxExporter.OutputName];

    private OnnxLanguageModel(InferenceSession session, DeviceChoice device, Tokenizer tokenizer, int contextLength, int vocabularySize, int endOfTextId, string name)
        : base(tokenizer, contextLength, endOfTextId)
    {
        _session = session;
        Device = device;
        VocabularySize = vocabularySize;
        _name = name;
    }

    /// <inheritdoc />
    public override string Name => $"{_name} (onnxruntime, {Device.Name})";

    /// <summary>Where the model runs and why.</summary>
    public DeviceChoice Device { get; }

    /// <inheritdoc />
    public override int VocabularySize { get; }

    /// <summary>Writes <paramref name="model"/> as <paramref name="folder"/>/model.onnx (opset 17, dynamic batch and sequence); returns the path.</summary>
    public static string Export(TinyGpt model, string folder)
    {
        string path = Path.Combine(folder, FileName);
        TinyGptOnnxExporter.Write(model, path);
        return path;
    }

    /// <summary>Loads model.onnx with the config.json and tokenizer.json beside it.</summary>
    /// <param name="folder">A checkpoint folder containing model.onnx, config.json and tokenizer.json.</param>
    /// <param name="device">"cpu", "cuda" (needs the CUDA build, CUDA 13, cuDNN 9 and a GPU; the error names what is missing) or "auto" (CUDA when all are there, else CPU, saying why).</param>
    /// <param name="threads">ONNX Runtime intra-op threads; 0 lets it choose (one per core).</param>
    public static OnnxLanguageModel Load(string folder, string device = "cpu", int threads = 0)
    {
        DeviceChoice choice = DeviceChoice.Select(device, CudaProblem, "ONNX Runtime");
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no ONNX model here; export one with OnnxLanguageModel.Export(model, \"{folder}\").", path);
        TinyGptConfig config = TinyGptConfig.Load(Path.Combine(folder, TinyGpt.ConfigFile));
        CharacterTokenizer tokenizer = CharacterTokenizer.Load(Path.Combine(folder, TinyGpt.TokenizerFile));
        using var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        // Idle worker threads sleep instead of spinning: on a laptop or a shared machine spinning steals the cores the work needs.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (choice.IsCuda)
        {
            // TF32 matmuls (the CUDA provider's default) differ from the CPU in the 4th digit; full fp32 keeps backends in agreement.
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string> { ["device_id"] = "0", ["use_tf32"] = "0" });
            options.AppendExecutionProvider_CUDA(cuda);
        }
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime could not load the model: {e.Message}", e);
        }
        return new OnnxLanguageModel(session, choice, tokenizer, config.ContextLength, config.VocabularySize, tokenizer.EndOfTextId,
            Path.GetFileName(Path.GetFullPath(folder).TrimEnd('/')));
    }

    /// <summary>Why ONNX Runtime cannot run on CUDA here, or null when it can (computed once per process).</summary>
    internal static string? CudaProblem() => CudaProblemOnce.Value;

    // Declared before CudaProblemOnce, whose initializer captures it: static initializers run in textual order.
    /// <summary>What libonnxruntime_providers_cuda.so 1.31 links (readelf -d) or loads at run time (cuDNN).</summary>
    private static readonly string[] CudaLibraries = ["libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"];

    private static readonly Lazy<string?> CudaProblemOnce = new(() =>
    {
        if (!OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"))
            return "this build carries the CPU-only Microsoft.ML.OnnxRuntime package; build with -p:Accelerator=cuda for Microsoft.ML.OnnxRuntime.Gpu (LAB_PREP.md §4)";
        var problems = new List<string>();
        if (CudaDriver.Problem is string gpu) problems.Add(gpu);
        string folder = Path.GetDirectoryName(typeof(InferenceSession).Assembly.Location) ?? AppContext.BaseDirectory;
        string provider = Path.Combine(folder, OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so");
        string[] missing = OperatingSystem.IsLinux() ? CudaLibraries.Where(name => !NativeLibrary.TryLoad(name, out _)).ToArray() : [];
        if (!File.Exists(provider))
            problems.Add($"its CUDA provider library {provider} is missing");
        else if (missing.Length > 0)
            problems.Add($"CUDA 13 / cuDNN 9 libraries its CUDA provider needs are not on LD_LIBRARY_PATH: {string.Join(", ", missing)}");
        else if (CudaDriver.LoadProblem(provider) is string loader)
            problems.Add($"its CUDA provider did not load ({loader})");
        if (problems.Count > 0) return string.Join("; and ", problems);
        try
        {
            // Everything is there: let ONNX Runtime load the provider the way a session will.
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(0);
            return null;
        }
        catch (OnnxRuntimeException e)
        {
            return $"its CUDA provider did not start ({e.Message.Trim()})";
        }
    });

    /// <summary>ONNX Runtime plans memory per input shape; rounding lengths up to a multiple of 16 lets plans be reused.</summary>
    protected override int PaddedLength(int longest) => Math.Min(MaxContextLength, (longest + 15) / 16 * 16);

    /// <inheritdoc />
    protected override float[] ComputeLogits(long[] tokens, int batch, int length)
    {
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(tokens, [batch, length]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(runOptions, _inputNames, [input], _outputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _session.Dispose();
    }
}
