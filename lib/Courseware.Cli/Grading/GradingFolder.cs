namespace Courseware.Cli.Grading;

/// <summary>
/// A fresh folder laid out like the course, for running one submission: <c>labs/</c> (where the notebook runs, so
/// <c>../build/…</c> and <c>../datasets/…</c> resolve as they do for a learner), a copy of the course's
/// <c>datasets/</c> (a submission may change or delete its copy, never the instructor's), an empty <c>out/</c>, and a
/// link to the course's <c>build/</c> (1.4 GB: linked, not copied). <c>solutions/</c> is not there. Deleted on dispose.
/// </summary>
internal sealed class GradingFolder : IDisposable
{
    /// <param name="solutionsFolder">The folder holding the solution; the course is its parent.</param>
    public GradingFolder(string solutionsFolder)
    {
        var course = Path.GetDirectoryName(Path.GetFullPath(solutionsFolder).TrimEnd(Path.DirectorySeparatorChar))!;
        Root = Path.Combine(Path.GetTempPath(), "cw-grade-" + Guid.NewGuid().ToString("N")[..12]);
        Labs = Path.Combine(Root, "labs");
        Directory.CreateDirectory(Labs);
        Directory.CreateDirectory(Path.Combine(Root, "out"));
        var datasets = Path.Combine(course, "datasets");
        if (Directory.Exists(datasets)) CopyFolder(datasets, Path.Combine(Root, "datasets"));
        var build = Path.Combine(course, "build");
        if (Directory.Exists(build)) Directory.CreateSymbolicLink(BuildLink, build);
    }

    /// <summary>The folder's root (the course's stand-in).</summary>
    public string Root { get; }

    /// <summary>Where the notebook is put and runs.</summary>
    public string Labs { get; }

    private string BuildLink => Path.Combine(Root, "build");

    /// <summary>Bytes of the files under the folder (the link to <c>build/</c> is not followed).</summary>
    public long Size() => new DirectoryInfo(Root)
        .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
        .Sum(file =>
        {
            try { return file.Length; }
            catch (IOException) { return 0; } // deleted while we looked
        });

    /// <summary>
    /// Until <paramref name="done"/>, checks every 200 ms how much the submission has added to the folder; past
    /// <paramref name="limit"/> bytes it cancels <paramref name="stop"/> (the runner then kills the kernel) and returns true.
    /// </summary>
    public async Task<bool> StopWhenLargerThanAsync(long limit, CancellationTokenSource stop, CancellationToken done)
    {
        var baseline = Size();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(done))
            {
                if (Size() - baseline <= limit) continue;
                await stop.CancelAsync();
                return true;
            }
        }
        catch (OperationCanceledException)
        {
        }
        return false;
    }

    /// <summary>Removes the folder; the link to <c>build/</c> goes first, so nothing behind it is touched.</summary>
    public void Dispose()
    {
        try
        {
            if (new DirectoryInfo(BuildLink).LinkTarget is not null) Directory.Delete(BuildLink);
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A submission may leave files it holds open or unreadable; the temp folder is the system's to clean then.
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
