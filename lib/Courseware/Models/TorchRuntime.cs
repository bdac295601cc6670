using Courseware.Models.Native;
using TorchSharp;

namespace Courseware.Models;

/// <summary>
/// Loads TorchSharp's native backend once and explains failures. Every TorchSharp code path in the library calls
/// <see cref="EnsureLoaded"/> first, so a broken native setup surfaces as one clear message instead of a
/// DllNotFoundException deep in a forward pass.
/// </summary>
/// <example><code>TorchRuntime.EnsureLoaded(); var x = torch.randn(2, 3);</code></example>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _cpuLoaded;

    /// <summary>Loads the CPU backend (idempotent, thread-safe); throws <see cref="TorchRuntimeException"/> with the cause and the fix.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_cpuLoaded) return;
            // The CUDA build has no libtorch of its own. Failing here, before TorchSharp, avoids its fallback, which prints
            // a page of trace and copies the NuGet cache's CPU libtorch next to the build.
            if (!IsBundledLibTorch && CudaDriver.LoadProblem(NativeName("torch")) is string missing)
                throw new TorchRuntimeException(NoLibTorch(missing), new DllNotFoundException(missing));
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is not TorchRuntimeException)
            {
                throw new TorchRuntimeException(Diagnose(e), e);
            }
            _cpuLoaded = true;
        }
    }

    /// <summary>True when TorchSharp's CUDA backend loads and sees a GPU; never throws.</summary>
    public static bool IsCudaAvailable()
    {
        try
        {
            return CudaProblem() == null;
        }
        catch (TorchRuntimeException)
        {
            return false;
        }
    }

    /// <summary>
    /// Why TorchSharp cannot run on CUDA here, or null when it can: the build bundles the CPU-only libtorch, no CUDA
    /// libtorch is on the library path (with the loader's reason), or there is no GPU. Computed once per process.
    /// </summary>
    internal static string? CudaProblem()
    {
        EnsureLoaded();
        return CudaProblemOnce.Value;
    }

    private static readonly Lazy<string?> CudaProblemOnce = new(FindCudaProblem);

    private static string? FindCudaProblem()
    {
        if (IsBundledLibTorch)
            return $"this build bundles TorchSharp-cpu's CPU-only libtorch ({NativeFolder}); build with -p:Accelerator=cuda and " +
                   $"start the process with a CUDA libtorch (e.g. PyTorch's torch/lib) on {LibraryPathVariable} (LAB_PREP.md §4)";
        string? loadError = null;
        try
        {
            if (torch.TryInitializeDeviceType(DeviceType.CUDA) && torch.cuda.is_available()) return null;
        }
        catch (Exception e)
        {
            loadError = e.GetBaseException().Message.Split('\n')[0];
        }
        var problems = new List<string>();
        if (CudaDriver.Problem is string gpu) problems.Add(gpu);
        if (CudaDriver.LoadProblem(CudaLibTorch) is string missing)
            problems.Add($"no CUDA libtorch on the library path ({missing}); start the process with a CUDA libtorch " +
                         $"(e.g. PyTorch's torch/lib) on {LibraryPathVariable} (LAB_PREP.md §4)");
        if (problems.Count == 0)
            problems.Add($"{CudaLibTorch} loaded but torch.cuda.is_available() is false{(loadError == null ? "" : $" ({loadError})")}; " +
                         "check that the libtorch's CUDA version is supported by the NVIDIA driver (nvidia-smi)");
        return string.Join("; and ", problems);
    }

    /// <summary>True when libtorch came with the build (TorchSharp-cpu); the CUDA build has none and loads the user's.</summary>
    private static bool IsBundledLibTorch => File.Exists(Path.Combine(NativeFolder, NativeName("torch_cpu")));

    private static string CudaLibTorch => NativeName("torch_cuda");

    private static string LibraryPathVariable => OperatingSystem.IsWindows() ? "PATH" : "LD_LIBRARY_PATH";

    private static string NativeName(string name) => OperatingSystem.IsWindows() ? name + ".dll" : "lib" + name + ".so";

    /// <summary>The folder TorchSharp loads its native libraries from: next to TorchSharp.dll in a build output.</summary>
    internal static string NativeFolder => Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;

    private static string NoLibTorch(string cause) =>
        "This build references TorchSharp without libtorch (-p:Accelerator=cuda), so libtorch must come from the library path, " +
        $"and it did not load ({cause}). Start the process with a libtorch folder (e.g. PyTorch's torch/lib) on {LibraryPathVariable}: LAB_PREP.md §4.";

    private static string Diagnose(Exception failure)
    {
        string library = Path.Combine(NativeFolder, LibTorchSharpFix.FileName);
        string cause = failure.GetBaseException().Message;
        if (!IsBundledLibTorch) return NoLibTorch(cause.Split('\n')[0]);
        if (OperatingSystem.IsLinux() && File.Exists(library) && LibTorchSharpFix.IsNeeded(out string reason))
        {
            bool strict = ElfSymbolVersions.ReadRequirements(library)
                .Any(r => r.Library == LibTorchSharpFix.Library && r.Version == LibTorchSharpFix.Version && !r.IsWeak);
            if (strict)
            {
                return $"TorchSharp could not load {library}: it requires {LibTorchSharpFix.Version} and {reason}. " +
                       "The Courseware build patches the copies in its output folders (Directory.Build.targets); " +
                       "run `dotnet build Courseware.sln -c Release` from the repository root and load build/Courseware/Courseware.dll. " +
                       $"Loader message: {cause}";
            }
        }
        return $"TorchSharp's native backend did not load from {NativeFolder} ({cause}). " +
               "Build the repository (`dotnet build Courseware.sln -c Release`) and load build/Courseware/Courseware.dll, " +
               "which carries libtorch and libLibTorchSharp.so beside it.";
    }
}

/// <summary>TorchSharp's native backend could not be loaded; the message says why and how to fix it.</summary>
public sealed class TorchRuntimeException(string message, Exception inner) : Exception(message, inner);
