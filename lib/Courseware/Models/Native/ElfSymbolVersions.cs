// This one file is compiled twice: into Courseware.dll (the runtime guard and the tests use ElfSymbolVersions)
// and by MSBuild's RoslynCodeTaskFactory into the build task that patches output folders
// (Directory.Build.targets). The task compiles against netstandard2.0 reference assemblies, so the code here
// sticks to byte arrays and BCL calls that exist there; the SDK defines NET only for the library build.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Courseware.Models.Native
{
    /// <summary>One Vernaux entry of an ELF file's <c>.gnu.version_r</c>: a symbol version the file needs from a library.</summary>
    internal sealed class ElfVersionRequirement
    {
        public ElfVersionRequirement(string library, string version, ushort flags, long flagsOffset)
        {
            Library = library;
            Version = version;
            Flags = flags;
            FlagsOffset = flagsOffset;
        }

        /// <summary>The needed library's soname (vn_file), e.g. libstdc++.so.6.</summary>
        public string Library { get; }

        /// <summary>The version name (vna_name), e.g. GLIBCXX_3.4.32.</summary>
        public string Version { get; }

        /// <summary>vna_flags; <see cref="ElfSymbolVersions.WeakFlag"/> makes the loader warn instead of failing when it is missing.</summary>
        public ushort Flags { get; }

        /// <summary>File offset of vna_flags (two bytes, little endian).</summary>
        public long FlagsOffset { get; }

        public bool IsWeak => (Flags & ElfSymbolVersions.WeakFlag) != 0;

        public override string ToString() => Library + " " + Version + " flags=0x" + Flags.ToString("x");
    }

    /// <summary>Outcome of <see cref="ElfSymbolVersions.MarkRequirementWeak"/>.</summary>
    internal enum WeakPatchOutcome
    {
        /// <summary>The flag was set and the file rewritten.</summary>
        Patched,
        /// <summary>The entry already had the weak flag; the file was not touched.</summary>
        AlreadyWeak,
        /// <summary>The file does not need that version from that library; nothing to do.</summary>
        NotRequired,
    }

    /// <summary>
    /// Reads and patches GNU symbol versioning in ELF64 little-endian shared objects: the version requirements
    /// (<c>SHT_GNU_verneed</c>, Verneed/Vernaux chains) and definitions (<c>SHT_GNU_verdef</c>).
    /// Used to load TorchSharp's libLibTorchSharp.so on Debian 12, whose libstdc++ lacks GLIBCXX_3.4.32 (see LAB_PREP.md).
    /// </summary>
    internal static class ElfSymbolVersions
    {
        /// <summary>VER_FLG_WEAK from elf.h.</summary>
        public const ushort WeakFlag = 0x2;

        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtStrtab = 3;

        /// <summary>Every Vernaux entry, in file order.</summary>
        public static List<ElfVersionRequirement> ReadRequirements(string path)
        {
            byte[] elf = File.ReadAllBytes(path);
            var result = new List<ElfVersionRequirement>();
            List<Section> sections = ReadSections(elf, path);
            foreach (Section section in sections)
            {
                if (section.Type != ShtGnuVerneed) continue;
                Section strings = StringTable(elf, path, sections, section);
                long verneed = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    Require(elf, path, verneed, 16, "Verneed entry");
                    ushort count = U16(elf, verneed + 2);
                    string library = ReadString(elf, path, strings, U32(elf, verneed + 4));
                    long vernaux = verneed + U32(elf, verneed + 8);
                    for (int j = 0; j < count; j++)
                    {
                        Require(elf, path, vernaux, 16, "Vernaux entry");
                        string version = ReadString(elf, path, strings, U32(elf, vernaux + 8));
                        result.Add(new ElfVersionRequirement(library, version, U16(elf, vernaux + 4), vernaux + 4));
                        uint nextAux = U32(elf, vernaux + 12);
                        if (nextAux == 0) break;
                        vernaux += nextAux;
                    }
                    uint next = U32(elf, verneed + 12);
                    if (next == 0) break;
                    verneed += next;
                }
            }
            return result;
        }

        /// <summary>The version names a library defines (its <c>.gnu.version_d</c>), e.g. GLIBCXX_3.4.30 for Debian 12's libstdc++.</summary>
        public static List<string> ReadDefinitions(string path)
        {
            byte[] elf = File.ReadAllBytes(path);
            var result = new List<string>();
            List<Section> sections = ReadSections(elf, path);
            foreach (Section section in sections)
            {
                if (section.Type != ShtGnuVerdef) continue;
                Section strings = StringTable(elf, path, sections, section);
                long verdef = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    Require(elf, path, verdef, 20, "Verdef entry");
                    // The first Verdaux of each Verdef carries the version's own name; later ones name its parents.
                    long verdaux = verdef + U32(elf, verdef + 12);
                    Require(elf, path, verdaux, 8, "Verdaux entry");
                    result.Add(ReadString(elf, path, strings, U32(elf, verdaux)));
                    uint next = U32(elf, verdef + 16);
                    if (next == 0) break;
                    verdef += next;
                }
            }
            return result;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on the requirement of <paramref name="version"/> from <paramref name="library"/>.
        /// Idempotent; writes a patched copy beside the file and renames it over the original, so a reader never
        /// sees a half-written library. Nothing else in the file changes (two bytes at most).
        /// </summary>
        public static WeakPatchOutcome MarkRequirementWeak(string path, string library, string version)
        {
            ElfVersionRequirement? entry = null;
            foreach (ElfVersionRequirement requirement in ReadRequirements(path))
            {
                if (requirement.Library == library && requirement.Version == version) entry = requirement;
            }
            if (entry == null) return WeakPatchOutcome.NotRequired;
            if (entry.IsWeak) return WeakPatchOutcome.AlreadyWeak;

            ushort flags = (ushort)(entry.Flags | WeakFlag);
            string temp = path + ".patch-" + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                File.Copy(path, temp, true); // keeps the file mode (executable bit) on Unix
                using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write))
                {
                    stream.Position = entry.FlagsOffset;
                    stream.WriteByte((byte)(flags & 0xff));
                    stream.WriteByte((byte)(flags >> 8));
                }
                File.Replace(temp, path, null);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            return WeakPatchOutcome.Patched;
        }

        /// <summary>
        /// Finds the libstdc++.so.6 the dynamic loader would pick (LD_LIBRARY_PATH, then the usual system folders);
        /// null when none is found.
        /// </summary>
        public static string? FindSystemLibStdCxx()
        {
            var folders = new List<string>();
            string? ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldPath)) folders.AddRange(ldPath!.Split(':'));
            folders.AddRange(new[]
            {
                "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
            });
            foreach (string folder in folders)
            {
                if (folder.Length == 0) continue;
                string candidate = Path.Combine(folder, "libstdc++.so.6");
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        private struct Section
        {
            public uint Type;
            public long Offset;
            public long Size;
            public uint Link;
            public uint Info;
        }

        private static List<Section> ReadSections(byte[] elf, string path)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException(path + ": not an ELF file (expected the magic bytes 7F 45 4C 46 at offset 0).");
            if (elf[4] != 2)
                throw new InvalidDataException(path + ": ELF class " + elf[4] + " is not supported (expected 2, ELF64).");
            if (elf[5] != 1)
                throw new InvalidDataException(path + ": ELF data encoding " + elf[5] + " is not supported (expected 1, little endian).");

            long shoff = (long)U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3a);
            ushort shnum = U16(elf, 0x3c);
            if (shentsize < 64)
                throw new InvalidDataException(path + ": section header size " + shentsize + " at offset 0x3a is smaller than 64.");
            var sections = new List<Section>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long header = shoff + (long)i * shentsize;
                Require(elf, path, header, 64, "section header " + i);
                sections.Add(new Section
                {
                    Type = U32(elf, header + 4),
                    Offset = (long)U64(elf, header + 24),
                    Size = (long)U64(elf, header + 32),
                    Link = U32(elf, header + 40),
                    Info = U32(elf, header + 44),
                });
            }
            return sections;
        }

        /// <summary>The string table a versioning section names in sh_link (normally .dynstr).</summary>
        private static Section StringTable(byte[] elf, string path, List<Section> sections, Section versions)
        {
            if (versions.Link >= sections.Count || sections[(int)versions.Link].Type != ShtStrtab)
                throw new InvalidDataException(path + ": symbol-versioning section links to section " + versions.Link + ", which is not a string table.");
            Section strings = sections[(int)versions.Link];
            Require(elf, path, strings.Offset, (int)Math.Min(strings.Size, int.MaxValue), "string table");
            return strings;
        }

        private static string ReadString(byte[] elf, string path, Section strings, uint offset)
        {
            long start = strings.Offset + offset;
            if (offset >= strings.Size || start >= elf.Length)
                throw new InvalidDataException(path + ": string offset " + offset + " lies outside the string table at 0x" + strings.Offset.ToString("x") + ".");
            long end = start;
            while (end < elf.Length && end < strings.Offset + strings.Size && elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
        }

        private static void Require(byte[] elf, string path, long offset, int length, string what)
        {
            if (offset < 0 || offset + length > elf.Length)
                throw new InvalidDataException(path + ": " + what + " at offset 0x" + offset.ToString("x") + " runs past the end of the file (" + elf.Length + " bytes).");
        }

        private static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);

        private static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);

        private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;
    }

    /// <summary>
    /// The one fix TorchSharp-cpu 0.107 needs on Debian 12: libLibTorchSharp.so asks libstdc++ for GLIBCXX_3.4.32 only for
    /// <c>_ZSt21ios_base_library_initv</c>, which nothing calls through a relocation, so a weak requirement is safe.
    /// </summary>
    internal static class LibTorchSharpFix
    {
        public const string FileName = "libLibTorchSharp.so";
        public const string Library = "libstdc++.so.6";
        public const string Version = "GLIBCXX_3.4.32";

        /// <summary>True when the system libstdc++ lacks <see cref="Version"/>; <paramref name="reason"/> says what was found.</summary>
        public static bool IsNeeded(out string reason)
        {
            string? libstdcxx = ElfSymbolVersions.FindSystemLibStdCxx();
            if (libstdcxx == null)
            {
                reason = "no " + Library + " found in LD_LIBRARY_PATH or the system library folders";
                return true;
            }
            List<string> defined = ElfSymbolVersions.ReadDefinitions(libstdcxx);
            if (defined.Contains(Version))
            {
                reason = libstdcxx + " defines " + Version;
                return false;
            }
            reason = libstdcxx + " lacks " + Version + " (newest GLIBCXX it defines: " + NewestGlibcxx(defined) + ")";
            return true;
        }

        private static string NewestGlibcxx(List<string> defined)
        {
            string newest = "none";
            Version best = new Version(0, 0);
            foreach (string name in defined)
            {
                if (!name.StartsWith("GLIBCXX_", StringComparison.Ordinal)) continue;
                Version? parsed;
                if (System.Version.TryParse(name.Substring("GLIBCXX_".Length), out parsed) && parsed > best)
                {
                    best = parsed;
                    newest = name;
                }
            }
            return newest;
        }
    }
}

#if !NET
namespace Courseware.Build
{
    using Courseware.Models.Native;
    using Microsoft.Build.Framework;

    /// <summary>MSBuild task: patches every libLibTorchSharp.so under <see cref="Folder"/> when the system libstdc++ needs it.</summary>
    public sealed class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
    {
        /// <summary>An output folder (bin, publish or build/Courseware); never the NuGet cache.</summary>
        [Required]
        public string Folder { get; set; } = "";

        public override bool Execute()
        {
            if (!Directory.Exists(Folder)) return true;
            string[] libraries = Directory.GetFiles(Folder, LibTorchSharpFix.FileName, SearchOption.AllDirectories);
            if (libraries.Length == 0) return true;
            string reason;
            if (!LibTorchSharpFix.IsNeeded(out reason))
            {
                Log.LogMessage(MessageImportance.Low, "TorchSharp: no patch needed, " + reason + ".");
                return true;
            }
            foreach (string library in libraries)
            {
                WeakPatchOutcome outcome = ElfSymbolVersions.MarkRequirementWeak(library, LibTorchSharpFix.Library, LibTorchSharpFix.Version);
                Log.LogMessage(outcome == WeakPatchOutcome.Patched ? MessageImportance.Normal : MessageImportance.Low,
                    "TorchSharp: " + library + ": " + outcome + " (" + LibTorchSharpFix.Version + " made weak because " + reason + ").");
            }
            return true;
        }
    }
}
#endif
