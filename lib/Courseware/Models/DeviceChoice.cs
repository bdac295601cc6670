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
    /// (which fails naming what is missing: the CUDA build, a CUDA libtorch on the library path, or a GPU).
    /// </summary>
    /// <example><code>var device = DeviceChoice.Select("auto"); Console.WriteLine(device.Reason);</code></example>
    public static DeviceChoice Select(string request = "auto") => Select(request, TorchRuntime.CudaProblem, "TorchSharp");

    /// <summary>Resolves <paramref name="request"/> for a backend; <paramref name="cudaProblem"/> says why CUDA is unusable, or null when it is usable.</summary>
    internal static DeviceChoice Select(string request, Func<string?> cudaProblem, string backend)
    {
        switch (request?.Trim().ToLowerInvariant())
        {
            case "cpu":
                return new("cpu", "cpu was requested.");
            case "cuda":
                string? problem = cudaProblem();
                if (problem == null) return new("cuda", $"cuda was requested and {backend} runs on {GpuCount()}.");
                throw new InvalidOperationException($"cuda was requested but {backend} cannot use CUDA: {problem}.");
            case "auto":
                problem = cudaProblem();
                return problem == null
                    ? new("cuda", $"auto: {backend}'s CUDA backend loaded and runs on {GpuCount()}.")
                    : new("cpu", $"auto: {backend} cannot use CUDA ({problem}), so the CPU.");
            default:
                throw new ArgumentException($"Unknown device '{request}': expected auto, cpu or cuda.", nameof(request));
        }
    }

    private static string GpuCount() => CudaDriver.DeviceCount > 1 ? $"GPU 0 of {CudaDriver.DeviceCount}" : "the GPU";

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Reason})";
}
