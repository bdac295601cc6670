namespace Courseware.Cli.Grading;

/// <summary>
/// The learner's own copies of the labs: <c>work/&lt;lab&gt;.ipynb</c>, beside labs/ (same depth, so <c>../build/…</c> and
/// <c>../datasets/…</c> resolve the same), gitignored in the course repository, never written by make-labs.
/// </summary>
public static class LearnerWorkspace
{
    /// <summary>The lab file in <paramref name="labsDir"/> that <paramref name="name"/> names: its file name, with or without .ipynb, or a unique prefix (4.3.1, lab-4.3.1).</summary>
    public static string FindLab(string labsDir, string name)
    {
        if (!Directory.Exists(labsDir))
            throw new DirectoryNotFoundException($"{Path.GetFullPath(labsDir)}: labs folder not found (run from the course folder, or use --labs)");
        var labs = Directory.EnumerateFiles(labsDir, "*.ipynb").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList();
        var stem = name.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) ? name[..^6] : name;
        stem = Path.GetFileName(stem);
        var matches = labs.Contains(stem) ? [stem!] : labs.Where(l => l!.StartsWith(stem, StringComparison.Ordinal) || l.StartsWith("lab-" + stem, StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            1 => Path.Combine(labsDir, matches[0] + ".ipynb"),
            0 => throw new FileNotFoundException($"'{name}': no such lab in {Path.GetFullPath(labsDir)} (expected one of: {string.Join(", ", labs)})"),
            _ => throw new ArgumentException($"'{name}' names several labs ({string.Join(", ", matches)}); give more of the name"),
        };
    }

    /// <summary>Copies a lab to the work folder beside labs/; refuses to replace an existing copy unless <paramref name="force"/>. Returns the copy's path.</summary>
    public static string Start(string labsDir, string name, string? workDir, bool force)
    {
        var lab = FindLab(labsDir, name);
        var work = Path.GetFullPath(workDir ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(labsDir))!, "work"));
        if (Path.GetFullPath(labsDir).TrimEnd(Path.DirectorySeparatorChar) == work.TrimEnd(Path.DirectorySeparatorChar))
            throw new ArgumentException($"{work}: the work folder cannot be the labs folder (labs/ is regenerated)");
        var copy = Path.Combine(work, Path.GetFileName(lab));
        if (File.Exists(copy) && !force)
            throw new IOException($"{copy}: you already have a copy of this lab (your work); use --force to replace it with a fresh one");
        AtomicFile.WriteAllBytes(copy, File.ReadAllBytes(lab));
        return copy;
    }
}
