namespace Courseware.Cli.Runner;

/// <summary>Turns the paths given to <c>run</c> and <c>check</c> into jobs (folders searched recursively) and output paths.</summary>
internal static class NotebookDiscovery
{
    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { "bin", "obj", "out", ".ipynb_checkpoints", "node_modules", ".git" };

    /// <summary>Jobs for the inputs; a path that does not exist becomes a failed result naming it.</summary>
    public static (IReadOnlyList<NotebookJob> Jobs, IReadOnlyList<NotebookResult> Problems) Jobs(IEnumerable<string> inputs, string outDir, bool inplace)
    {
        var jobs = new List<NotebookJob>();
        var problems = new List<NotebookResult>();
        var outputs = new HashSet<string>(RunPaths.Comparer);
        foreach (var input in inputs)
        {
            var full = Path.GetFullPath(input);
            IEnumerable<(string File, string Relative)> files;
            if (Directory.Exists(full))
                files = Find(full).Select(f => (f, Path.GetRelativePath(full, f)));
            else if (File.Exists(full) || Path.GetExtension(full) is ".ipynb" or ".dib")
                files = [(full, Path.GetFileName(full))];
            else
            {
                problems.Add(new NotebookResult(full, null, [], $"{full}: file or folder not found", TimeSpan.Zero));
                continue;
            }
            foreach (var (file, relative) in files)
            {
                if (inplace && file.EndsWith(".dib", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add(new NotebookResult(file, null, [], $"{file}: --inplace cannot store outputs in a .dib file (use --out)", TimeSpan.Zero));
                    continue;
                }
                var target = inplace ? file : Path.Combine(outDir, Path.ChangeExtension(relative, ".ipynb"));
                if (!outputs.Add(RunPaths.Canonical(target)))
                {
                    problems.Add(new NotebookResult(file, null, [], $"{file}: another input already writes {target}", TimeSpan.Zero));
                    continue;
                }
                jobs.Add(new NotebookJob(file, target, InPlace: inplace));
            }
        }
        return (jobs, problems);
    }

    private static IEnumerable<string> Find(string folder) =>
        Directory.EnumerateFiles(folder, "*.*", SearchOption.TopDirectoryOnly)
            .Where(f => Path.GetExtension(f) is ".ipynb" or ".dib")
            .Concat(Directory.EnumerateDirectories(folder)
                .Where(d => !SkippedFolders.Contains(Path.GetFileName(d)))
                .SelectMany(Find))
            .Order(StringComparer.Ordinal);
}
