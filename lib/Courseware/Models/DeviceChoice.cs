namespace Courseware.Models;

/// <summary>Where a model runs, and why it runs there.</summary>
/// <param name="Name">"cpu" or "cuda".</param>
/// <param name="Reason">One sentence a learner can read: what was asked, what was found.</param>
public sealed record DeviceChoice(string Name, string Reason)
{
    /// <summary>True for the GPU.</summary>
    public bool IsCuda => Name == "cuda";

    /// <summary>
    /// Resolves "auto" (CUDA when TorchSharp's CUDA backend loads and sees a GPU, else CPU), "cpu" or "cuda"
    /// (which fails with the reason when no GPU is usable).
    /// </summary>
    /// <example><code>var device = DeviceChoice.Select("auto"); Console.WriteLine(device.Reason);</code></example>
    public static DeviceChoice Select(string request = "auto") => Select(request, TorchRuntime.IsCudaAvailable, "TorchSharp", CudaHelp);

    internal static DeviceChoice Select(string request, Func<bool> cudaAvailable, string backend = "TorchSharp", string help = CudaHelp)
    {
        switch (request?.Trim().ToLowerInvariant())
        {
            case "cpu":
                return new("cpu", "cpu was requested.");
            case "cuda":
                if (cudaAvailable()) return new("cuda", $"cuda was requested and {backend} sees a CUDA GPU.");
                throw new InvalidOperationException($"cuda was requested but {backend} has no usable CUDA backend: {help}.");
            case "auto":
                return cudaAvailable()
                    ? new("cuda", $"auto: {backend}'s CUDA backend loaded and a GPU is present.")
                    : new("cpu", $"auto: {backend} has no usable CUDA backend ({help}), so the CPU.");
            default:
                throw new ArgumentException($"Unknown device '{request}': expected auto, cpu or cuda.", nameof(request));
        }
    }

    /// <summary>Why CUDA is usually missing, and the fix (LAB_PREP.md has the recipe).</summary>
    internal const string CudaHelp =
        "the default build references TorchSharp-cpu; for a GPU, reference the TorchSharp package and put a CUDA libtorch " +
        "(e.g. PyTorch's torch/lib) on LD_LIBRARY_PATH, on a machine with an NVIDIA driver";

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Reason})";
}
