using TorchSharp;

namespace Courseware.Reproducibility;

/// <summary>
/// Applies a <see cref="SeedPlan"/> to TorchSharp and switches on its deterministic mode.
/// Calling any of these loads libtorch, so they live apart from the rest of the namespace.
/// </summary>
public static class TorchSeeding
{
    /// <summary>
    /// Seeds torch's global generators with <paramref name="component"/>'s seed: the CPU generator and, when CUDA is
    /// present, every GPU's generator (torch.manual_seed alone leaves GPUs other than the current one untouched in
    /// some libtorch builds, so both calls are made).
    /// </summary>
    /// <example><code>seeds.ApplyToTorch(SeedComponents.Initialization); var model = new TinyGpt(config);</code></example>
    public static void ApplyToTorch(this SeedPlan plan, string component = SeedComponents.Initialization)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var seed = plan.Seed(component);
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }

    /// <summary>
    /// A generator of its own for <paramref name="component"/> (pass it to <c>torch.randperm(n, generator: g)</c> and the
    /// like), so one component's draws never shift another's sequence.
    /// </summary>
    public static torch.Generator CreateTorchGenerator(this SeedPlan plan, string component, torch.Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new torch.Generator((ulong)plan.Seed(component), device ?? torch.CPU);
    }

    /// <summary>
    /// The determinism switches TorchSharp 0.107 offers: a fixed intra-op thread count (a float sum split across a
    /// different number of threads rounds differently), TF32 off for cuBLAS and cuDNN (TF32 matmuls round to 10-bit
    /// mantissas on Ampere and later, so a GPU run drifts from a CPU run), and CUBLAS_WORKSPACE_CONFIG=:4096:8, which
    /// cuBLAS needs for deterministic GEMMs and reads when CUDA starts — call this before the first CUDA tensor.
    /// TorchSharp 0.107 does not implement <c>torch.use_deterministic_algorithms</c> (it is marked obsolete,
    /// "not implemented"), so GPU kernels without a deterministic variant (index_add_, scatter_add_, embedding
    /// backward on CUDA) are not caught here: a repeat audit (<see cref="ReproducibilityAudit"/>) is the proof.
    /// </summary>
    public static void EnableTorchDeterminism(int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CUBLAS_WORKSPACE_CONFIG")))
            Environment.SetEnvironmentVariable("CUBLAS_WORKSPACE_CONFIG", ":4096:8");
        torch.set_num_threads(threads);
        torch.backends.cuda.matmul.allow_tf32 = false;
        torch.backends.cudnn.allow_tf32 = false;
    }
}
