using System.Diagnostics;

namespace Courseware.Cli.Runner;

/// <summary>
/// Runs a worker process under bubblewrap (Debian's <c>bwrap</c>) so that the notebook it runs sees a file system
/// of our choosing: everything read-only, the <see cref="HiddenFolders"/> (the course: solutions, hidden checks, the
/// instructor's outputs) replaced by empty folders except the <see cref="ReadOnlyFolders"/> put back inside them (the
/// build, the worker's own folder), a private <c>/tmp</c> holding only the <see cref="WritableFolders"/>, and its own
/// process table (no <c>/proc/&lt;pid&gt;/root</c> back into the host). Used by grading; <c>courseware run</c> runs
/// trusted notebooks without it.
/// </summary>
/// <param name="HiddenFolders">Folders the notebook must not read.</param>
/// <param name="ReadOnlyFolders">Folders inside hidden ones that it needs, read-only.</param>
/// <param name="WritableFolders">Folders it may write (e.g. its grading folder under the private /tmp).</param>
public sealed record Sandbox(IReadOnlyList<string> HiddenFolders, IReadOnlyList<string> ReadOnlyFolders, IReadOnlyList<string> WritableFolders)
{
    /// <summary>Where Debian installs bubblewrap.</summary>
    public const string Bubblewrap = "/usr/bin/bwrap";

    private static readonly Lazy<string?> Problem = new(Probe);

    /// <summary>Null when sandboxes can be made here; otherwise why not (bwrap missing, or namespaces refused).</summary>
    public static string? Unavailable => Problem.Value;

    /// <summary>The command line that runs <paramref name="fileName"/> with <paramref name="args"/> inside this sandbox.</summary>
    public (string FileName, IReadOnlyList<string> Args) Wrap(string fileName, IEnumerable<string> args)
    {
        // No --die-with-parent: it is PR_SET_PDEATHSIG, which fires when the *thread* that started bwrap ends — a
        // thread-pool thread the runtime may retire mid-notebook. The worker ends when its standard input closes anyway.
        List<string> wrapped = ["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--proc", "/proc", "--tmpfs", "/tmp"];
        var hidden = HiddenFolders.Where(Directory.Exists).Select(Full).OrderBy(f => f.Length).ToList();
        var readOnly = ReadOnlyFolders.Where(Directory.Exists).Select(Full).OrderBy(f => f.Length).ToList();
        static bool Inside(string folder, string parent) => folder.StartsWith(parent + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        // Mounts stack in order. The private /tmp hides whatever lives there (a course cloned under /tmp), so what is
        // needed from there is put back first; then the hidden folders go, even inside what was put back; then what is
        // needed from inside them (the course's build/) comes back; the writable folders come last.
        foreach (var folder in readOnly.Where(f => Inside(f, "/tmp"))) wrapped.AddRange(["--ro-bind", folder, folder]);
        foreach (var folder in hidden) wrapped.AddRange(["--tmpfs", folder]);
        var restored = readOnly.Where(f => hidden.Any(h => Inside(f, h))).ToList();
        foreach (var folder in restored) wrapped.AddRange(["--ro-bind", folder, folder]);
        // ...and a hidden folder inside what came back stays hidden.
        foreach (var folder in hidden.Where(h => restored.Any(r => Inside(h, r)))) wrapped.AddRange(["--tmpfs", folder]);
        foreach (var folder in WritableFolders) wrapped.AddRange(["--bind", Full(folder), Full(folder)]);
        wrapped.AddRange(["--chdir", "/", "--", fileName]);
        wrapped.AddRange(args);
        return (Bubblewrap, wrapped);
    }

    private static string Full(string folder) => Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);

    // One real sandbox at first use: bwrap may be installed yet unable to make namespaces (some containers).
    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "sandboxes need Linux (bubblewrap)";
        if (!File.Exists(Bubblewrap)) return $"{Bubblewrap} is missing (Debian package bubblewrap)";
        try
        {
            var (file, args) = new Sandbox([], [], []).Wrap("/bin/true", []);
            var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var probe = Process.Start(info)!;
            var error = probe.StandardError.ReadToEnd();
            return probe.WaitForExit(10_000) && probe.ExitCode == 0 ? null : $"bubblewrap cannot make a sandbox here: {error.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            return $"bubblewrap cannot start: {e.Message}";
        }
    }
}
