using System.Runtime.InteropServices;

namespace Courseware.Models;

/// <summary>
/// Asks the NVIDIA driver itself (libcuda.so.1 / nvcuda.dll, through cuInit and cuDeviceGetCount) whether a GPU is
/// present. The answer does not depend on any CUDA toolkit, libtorch or ONNX Runtime build, so device selection can
/// tell "no GPU here" apart from "a GPU, but the backend's CUDA libraries are missing".
/// </summary>
internal static class CudaDriver
{
    private static readonly Lazy<(int Devices, string? Problem)> Result = new(Query);

    /// <summary>Number of GPUs the driver reports (0 when there is no driver).</summary>
    public static int DeviceCount => Result.Value.Devices;

    /// <summary>Why no GPU can be used (no driver, driver error, no device); null when at least one GPU is present.</summary>
    public static string? Problem => Result.Value.Problem;

    private static string LibraryName => OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";

    private static unsafe (int, string?) Query()
    {
        if (OperatingSystem.IsMacOS()) return (0, "macOS has no CUDA");
        if (!NativeLibrary.TryLoad(LibraryName, out IntPtr driver))
            return (0, $"no NVIDIA driver: {LibraryName} is not on this machine, so there is no usable GPU");
        try
        {
            var init = (delegate* unmanaged<uint, int>)NativeLibrary.GetExport(driver, "cuInit");
            var count = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(driver, "cuDeviceGetCount");
            int status = init(0);
            // 100 = CUDA_ERROR_NO_DEVICE, the common case on a machine with a driver but no (visible) GPU.
            if (status != 0)
                return (0, $"the NVIDIA driver ({LibraryName}) found no usable GPU: cuInit returned {status}{(status == 100 ? " (CUDA_ERROR_NO_DEVICE)" : "")}");
            int devices;
            status = count(&devices);
            if (status != 0) return (0, $"the NVIDIA driver ({LibraryName}) could not count GPUs: cuDeviceGetCount returned {status}");
            return devices > 0 ? (devices, null) : (0, $"the NVIDIA driver ({LibraryName}) reports no GPU");
        }
        catch (EntryPointNotFoundException e)
        {
            return (0, $"{LibraryName} is not a CUDA driver library: {e.Message}");
        }
    }

    /// <summary>
    /// The loader's own reason a native library does not load (e.g. "libcublasLt.so.13: cannot open shared object
    /// file"), or null when it loads. .NET wraps it in a paragraph of advice; the loader's line is the last one.
    /// </summary>
    public static string? LoadProblem(string library)
    {
        try
        {
            NativeLibrary.Load(library);
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        }
    }
}
