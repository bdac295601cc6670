namespace Courseware.Cli.Runner;

/// <summary>
/// Path rules of a run: the same file under any spelling (relative, <c>./</c>, <c>..</c>, symlinked folders) compares equal,
/// no output may replace an input notebook, and reports show paths the way the console does.
/// </summary>
public static class RunPaths
{
    /// <summary>Case-sensitive where the file system usually is (Linux), case-insensitive elsewhere.</summary>
    public static StringComparer Comparer { get; } = OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

    /// <summary>The absolute path with every symbolic link along it resolved (the parts that do not exist yet are kept as written).</summary>
    public static string Canonical(string path) => Resolve(Path.GetFullPath(path), hops: 0);

    /// <summary>The inputs by canonical path, for <see cref="OverwrittenInput"/>.</summary>
    public static Dictionary<string, string> Inputs(IEnumerable<string> inputs)
    {
        var byCanonical = new Dictionary<string, string>(Comparer);
        foreach (var input in inputs) byCanonical.TryAdd(Canonical(input), input);
        return byCanonical;
    }

    /// <summary>The error for writing <paramref name="output"/> when it is one of <paramref name="inputs"/> (under any spelling), else null.</summary>
    public static string? OverwrittenInput(string output, IReadOnlyDictionary<string, string> inputs)
    {
        if (!inputs.TryGetValue(Canonical(output), out var input)) return null;
        var (shownOutput, shownInput) = (Display(output), Display(input));
        var alias = shownOutput == shownInput ? "" : $" ({shownInput})";
        return $"{shownOutput} is an input notebook{alias}: refusing to write over it; choose an output folder that holds no input notebook " +
               "(`courseware run --inplace` updates the sources on purpose)";
    }

    /// <summary>Relative to the current directory when under it (as the console shows paths), else absolute.</summary>
    public static string Display(string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
        return relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? full
            : relative;
    }

    private static string Resolve(string full, int hops)
    {
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            // FileInfo reads a link to a folder as well; a loop of links (ELOOP) stops resolving rather than spinning.
            if (hops < 40 && new FileInfo(current).LinkTarget is { } target)
                current = Resolve(Path.GetFullPath(target, Path.GetDirectoryName(current)!), hops + 1);
        }
        return current;
    }
}
