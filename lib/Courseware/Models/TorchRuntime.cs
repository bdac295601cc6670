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
        EnsureLoaded();
        try
        {
            return torch.TryInitializeDeviceType(DeviceType.CUDA) && torch.cuda.is_available();
        }
        catch (Exception)
        {
            return false; // a CPU-only libtorch throws instead of returning false
        }
    }

    /// <summary>The folder TorchSharp loads its native libraries from: next to TorchSharp.dll in a build output.</summary>
    internal static string NativeFolder => Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;

    private static string Diagnose(Exception failure)
    {
        string library = Path.Combine(NativeFolder, LibTorchSharpFix.FileName);
        string cause = failure.GetBaseException().Message;
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
