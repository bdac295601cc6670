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
        List<string> wrapped = ["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--proc", "/proc", "--tmpfs", "/tmp", "--die-with-parent"];
        var hidden = HiddenFolders.Where(Directory.Exists).Select(Full).ToList();
        foreach (var folder in hidden) wrapped.AddRange(["--tmpfs", folder]);
        // Only what lies inside a hidden folder needs putting back (the rest is visible already); binding a folder that
        // holds a hidden one would show it again.
        foreach (var folder in ReadOnlyFolders.Where(Directory.Exists).Select(Full).Where(f => hidden.Any(h => f.StartsWith(h + Path.DirectorySeparatorChar, StringComparison.Ordinal))))
            wrapped.AddRange(["--ro-bind", folder, folder]);
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
