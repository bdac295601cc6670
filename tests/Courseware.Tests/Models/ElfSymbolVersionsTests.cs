using Courseware.Models;
using Courseware.Models.Native;

namespace Courseware.Tests.Models;

/// <summary>The ELF patcher on the real libLibTorchSharp.so shipped by TorchSharp 0.107.0 (copied out of the NuGet cache).</summary>
public sealed class ElfSymbolVersionsTests : IDisposable
{
    // Reference: `readelf -V libLibTorchSharp.so` (binutils 2.40), section .gnu.version_r, in file order; all flags "none".
    private static readonly (string Library, string Version)[] ReadelfRequirements =
    [
        ("ld-linux-x86-64.so.2", "GLIBC_2.3"), ("libm.so.6", "GLIBC_2.2.5"), ("libgcc_s.so.1", "GCC_3.0"), ("libc.so.6", "GLIBC_2.14"),
        ("libc.so.6", "GLIBC_2.34"), ("libc.so.6", "GLIBC_2.32"), ("libc.so.6", "GLIBC_2.4"), ("libc.so.6", "GLIBC_2.2.5"),
        ("libstdc++.so.6", "GLIBCXX_3.4.30"), ("libstdc++.so.6", "GLIBCXX_3.4.29"), ("libstdc++.so.6", "CXXABI_1.3.13"),
        ("libstdc++.so.6", "GLIBCXX_3.4.14"), ("libstdc++.so.6", "GLIBCXX_3.4.26"), ("libstdc++.so.6", "GLIBCXX_3.4.19"),
        ("libstdc++.so.6", "CXXABI_1.3.1"), ("libstdc++.so.6", "GLIBCXX_3.4.32"), ("libstdc++.so.6", "GLIBCXX_3.4.18"),
        ("libstdc++.so.6", "CXXABI_1.3.5"), ("libstdc++.so.6", "GLIBCXX_3.4.22"), ("libstdc++.so.6", "GLIBCXX_3.4.9"),
        ("libstdc++.so.6", "CXXABI_1.3.3"), ("libstdc++.so.6", "GLIBCXX_3.4.11"), ("libstdc++.so.6", "GLIBCXX_3.4.15"),
        ("libstdc++.so.6", "GLIBCXX_3.4.20"), ("libstdc++.so.6", "GLIBCXX_3.4.21"), ("libstdc++.so.6", "CXXABI_1.3.9"),
        ("libstdc++.so.6", "CXXABI_1.3"), ("libstdc++.so.6", "GLIBCXX_3.4"),
    ];

    private readonly string _folder = Directory.CreateTempSubdirectory("elf-").FullName;
    private readonly string _copy;

    public ElfSymbolVersionsTests()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string original = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        _copy = Path.Combine(_folder, "libLibTorchSharp.so");
        File.Copy(original, _copy);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Reads_every_requirement_like_readelf()
    {
        var requirements = ElfSymbolVersions.ReadRequirements(_copy);
        Assert.Equal(ReadelfRequirements, requirements.Select(r => (r.Library, r.Version)).ToArray());
        Assert.All(requirements, r => Assert.Equal(0, r.Flags));
    }

    [Fact]
    public void Sets_the_weak_flag_on_GLIBCXX_3_4_32_only_and_changes_one_byte()
    {
        byte[] before = File.ReadAllBytes(_copy);

        Assert.Equal(WeakPatchOutcome.Patched, ElfSymbolVersions.MarkRequirementWeak(_copy, "libstdc++.so.6", "GLIBCXX_3.4.32"));

        var after = ElfSymbolVersions.ReadRequirements(_copy);
        Assert.Equal(ReadelfRequirements, after.Select(r => (r.Library, r.Version)).ToArray());
        Assert.Equal(ElfSymbolVersions.WeakFlag, after.Single(r => r.Version == "GLIBCXX_3.4.32").Flags);
        Assert.All(after.Where(r => r.Version != "GLIBCXX_3.4.32"), r => Assert.Equal(0, r.Flags));

        byte[] patched = File.ReadAllBytes(_copy);
        Assert.Equal(before.Length, patched.Length);
        int[] changed = Enumerable.Range(0, before.Length).Where(i => before[i] != patched[i]).ToArray();
        // readelf: the Vernaux for GLIBCXX_3.4.32 sits at 0x140 in .gnu.version_r (file offset 0x3f8f0); vna_flags is 4 bytes in.
        Assert.Equal([0x3f8f0 + 0x140 + 4], changed);
        Assert.Equal(0x02, patched[changed[0]]);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp")); // the temp file was renamed, not left behind
    }

    [Fact]
    public void Patching_twice_leaves_the_file_untouched()
    {
        ElfSymbolVersions.MarkRequirementWeak(_copy, "libstdc++.so.6", "GLIBCXX_3.4.32");
        byte[] once = File.ReadAllBytes(_copy);
        DateTime written = File.GetLastWriteTimeUtc(_copy);

        Assert.Equal(WeakPatchOutcome.AlreadyWeak, ElfSymbolVersions.MarkRequirementWeak(_copy, "libstdc++.so.6", "GLIBCXX_3.4.32"));
        Assert.Equal(once, File.ReadAllBytes(_copy));
        Assert.Equal(written, File.GetLastWriteTimeUtc(_copy));
    }

    [Fact]
    public void A_version_the_file_does_not_need_is_reported_and_nothing_is_written()
    {
        byte[] before = File.ReadAllBytes(_copy);
        Assert.Equal(WeakPatchOutcome.NotRequired, ElfSymbolVersions.MarkRequirementWeak(_copy, "libstdc++.so.6", "GLIBCXX_9.9"));
        Assert.Equal(WeakPatchOutcome.NotRequired, ElfSymbolVersions.MarkRequirementWeak(_copy, "libc.so.6", "GLIBCXX_3.4.32"));
        Assert.Equal(before, File.ReadAllBytes(_copy));
    }

    [Fact]
    public void The_build_patched_the_copy_this_test_run_loads()
    {
        string loaded = Path.Combine(TorchRuntime.NativeFolder, "libLibTorchSharp.so");
        bool needed = LibTorchSharpFix.IsNeeded(out string reason);
        var entry = ElfSymbolVersions.ReadRequirements(loaded).Single(r => r.Version == "GLIBCXX_3.4.32");
        Assert.True(entry.IsWeak == needed, $"{loaded}: flags 0x{entry.Flags:x}, but {reason}");
    }

    [Fact]
    public void Reads_the_system_libstdcxx_version_definitions()
    {
        string? libstdcxx = ElfSymbolVersions.FindSystemLibStdCxx();
        Assert.NotNull(libstdcxx);
        var defined = ElfSymbolVersions.ReadDefinitions(libstdcxx!);
        // Every libstdc++ since GCC 3.4 defines the base versions; the first Verdef names the file itself.
        Assert.Equal("libstdc++.so.6", defined[0]);
        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
    }

    [Fact]
    public void Non_elf_and_truncated_files_fail_with_the_path_and_what_was_expected()
    {
        string text = Path.Combine(_folder, "notes.txt");
        File.WriteAllText(text, new string('x', 100));
        var notElf = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.ReadRequirements(text));
        Assert.Contains(text, notElf.Message);
        Assert.Contains("7F 45 4C 46", notElf.Message);

        string truncated = Path.Combine(_folder, "truncated.so");
        File.WriteAllBytes(truncated, File.ReadAllBytes(_copy).AsSpan(0, 4096).ToArray());
        var cut = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.ReadRequirements(truncated));
        Assert.Contains(truncated, cut.Message);
        Assert.Contains("runs past the end of the file", cut.Message);
    }
}
