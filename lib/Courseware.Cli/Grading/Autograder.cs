using System.Globalization;
using Courseware.Cli.Runner;

namespace Courseware.Cli.Grading;

/// <summary>How a batch is graded.</summary>
public sealed record AutogradeOptions
{
    /// <summary>Folder for the gradebook, the graded notebooks (<c>graded/&lt;learner&gt;/&lt;lab&gt;.ipynb</c>) and the feedback pages.</summary>
    public required string OutDir { get; init; }

    /// <summary>The gradebook file (default <c>&lt;out&gt;/gradebook.db</c>).</summary>
    public string? GradebookPath { get; init; }

    /// <summary>Submissions graded at once (each one's notebook runs in its own worker process).</summary>
    public int Parallel { get; init; } = 2;

    /// <summary>Per-cell timeout.</summary>
    public TimeSpan CellTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A submission taking longer in all is recorded as timed out with 0 points.</summary>
    public TimeSpan SubmissionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Grade only shard i of n (1-based), split by a stable hash of each submission's relative path.</summary>
    public (int Index, int Count)? Shard { get; init; }

    /// <summary>Write a feedback page per graded submission.</summary>
    public bool Feedback { get; init; } = true;

    /// <summary>The most managed memory each submission's kernel may hold (<see cref="RunOptions.MemoryLimitBytes"/>); null: no limit.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>The most a submission may write into its grading folder before its running cell is stopped (default 1 GiB); null: no limit.</summary>
    public long? DiskLimitBytes { get; init; } = 1L << 30;
}

/// <summary>The outcome of one submission in a batch.</summary>
/// <param name="Submission">The submission.</param>
/// <param name="Entry">Its gradebook entry (the stored one when skipped).</param>
/// <param name="Graded">False when the gradebook already had it with the same file and solution (resume).</param>
public sealed record AutogradeOutcome(Submission Submission, GradebookEntry Entry, bool Graded);

/// <summary>
/// Grades a folder of submissions with <see cref="Grader.GradeAsync"/>, N at a time, into a gradebook. A submission that
/// does not load, hangs or crashes its kernel is recorded with its error and never stops the batch. A re-run grades only
/// submissions whose file (SHA-256) or solution changed.
/// </summary>
public static class Autograder
{
    /// <summary>Grades one submission (the learner file, the solution, where to write the graded notebook, run options, a stop at the submission timeout); replaceable in tests.</summary>
    public delegate Task<GradeReport> GradeFunction(string learnerPath, string solutionPath, string? outputPath, RunOptions options, CancellationToken stop);

    // After the submission timeout its kernel is killed, so grading ends within moments; one that still has not is let go.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    /// <summary>Grades the submissions of <paramref name="found"/> (see <see cref="Submissions.Find"/>) against <paramref name="labs"/>.</summary>
    public static async Task<IReadOnlyList<AutogradeOutcome>> RunAsync(
        IReadOnlyList<Submission> found, IReadOnlyList<LabInfo> labs, AutogradeOptions options, IProgress<AutogradeOutcome>? progress = null, GradeFunction? grade = null)
    {
        grade ??= (learner, solution, output, run, stop) => Grader.GradeAsync(learner, solution, output, run, cancellationToken: stop, diskLimitBytes: options.DiskLimitBytes);
        var byName = labs.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var mine = options.Shard is var (index, count) ? found.Where(s => Submissions.ShardOf(s.Relative, count) == index).ToList() : found.ToList();
        using var gradebook = Gradebook.Open(options.GradebookPath ?? Path.Combine(options.OutDir, "gradebook.db"));
        var existing = gradebook.Entries().ToDictionary(e => (e.Learner, e.Lab));
        var outcomes = new AutogradeOutcome[mine.Count];
        var abandoned = new List<Task>();
        var next = -1;
        var lanes = Enumerable.Range(0, Math.Clamp(options.Parallel, 1, Math.Max(1, mine.Count))).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < mine.Count)
            {
                var submission = mine[i];
                var lab = byName[submission.Lab];
                var sha = Submissions.Sha256File(submission.Path);
                if (existing.TryGetValue((submission.Learner, submission.Lab), out var stored) && stored.Sha256 == sha && stored.SolutionSha256 == lab.SolutionSha256)
                {
                    outcomes[i] = new AutogradeOutcome(submission, stored, false);
                }
                else
                {
                    var (entry, executed) = await GradeOneAsync(submission, lab, sha, options, grade, abandoned);
                    gradebook.Put(entry);
                    if (options.Feedback)
                        AtomicFile.WriteAllText(Path.Combine(options.OutDir, "feedback", Safe(submission.Learner), submission.Lab + ".html"), Grading.Feedback.Html(entry, executed));
                    outcomes[i] = new AutogradeOutcome(submission, entry, true);
                }
                progress?.Report(outcomes[i]);
            }
        });
        await Task.WhenAll(lanes);
        // A submission whose grading did not end when stopped was let go; give it a last moment to finish its cleanup.
        Task[] pending;
        lock (abandoned) pending = [.. abandoned];
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(StopGrace));
        return outcomes;
    }

    /// <summary>The gradebook entry, and the executed notebook when one was written.</summary>
    private static async Task<(GradebookEntry Entry, string? Executed)> GradeOneAsync(Submission submission, LabInfo lab, string sha, AutogradeOptions options, GradeFunction grade, List<Task> abandoned)
    {
        var graded = Path.Combine(options.OutDir, "graded", Safe(submission.Learner), submission.Lab + ".ipynb");
        if (File.Exists(graded)) File.Delete(graded);
        var run = new RunOptions
        {
            CellTimeout = options.CellTimeout != Timeout.InfiniteTimeSpan && options.CellTimeout < options.SubmissionTimeout ? options.CellTimeout : options.SubmissionTimeout,
            Parallel = 1,
            MemoryLimitBytes = options.MemoryLimitBytes,
        };
        string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        GradebookEntry Failed(string status, string error) =>
            new(submission.Learner, submission.Lab, submission.LmsId, submission.Relative, sha, lab.SolutionSha256, Now(), submission.SubmittedAt,
                submission.Late, status, error, 0, MaxPoints(lab), []);
        var timedOut = $"{submission.Path}: grading took longer than the submission timeout of {options.SubmissionTimeout.TotalSeconds:0.#} s and was stopped";
        GradeReport report;
        using var stop = new CancellationTokenSource(options.SubmissionTimeout);
        try
        {
            var task = grade(submission.Path, lab.SolutionPath, graded, run, stop.Token);
            if (await Task.WhenAny(task, Task.Delay(options.SubmissionTimeout + StopGrace)) != task)
            {
                lock (abandoned) abandoned.Add(task.ContinueWith(_ => { }, TaskScheduler.Default));
                return (Failed(Gradebook.StatusTimeout, timedOut), null);
            }
            report = await task;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return (Failed(Gradebook.StatusTimeout, timedOut), null);
        }
        catch (Exception e)
        {
            return (Failed(Gradebook.StatusError, $"{submission.Path}: grading failed: {e.GetType().Name}: {e.Message}"), null);
        }
        if (stop.IsCancellationRequested)
            return (Failed(Gradebook.StatusTimeout, timedOut), report.Run.OutputPath);
        var (status, error) = Classify(report);
        var entry = new GradebookEntry(submission.Learner, submission.Lab, submission.LmsId, submission.Relative, sha, lab.SolutionSha256, Now(),
            submission.SubmittedAt, submission.Late, status, error, report.Points, report.MaxPoints, report.Exercises);
        return (entry, report.Run.OutputPath ?? (File.Exists(graded) ? graded : null));
    }

    /// <summary>graded, or what stopped the notebook: a load error (the learner's file), a timeout, a kernel crash, or a worker that never started (infrastructure).</summary>
    internal static (string Status, string? Error) Classify(GradeReport report)
    {
        if (report.Run.Error is { } error)
            return (error.Contains("worker process failed to start", StringComparison.Ordinal) ? Gradebook.StatusError : Gradebook.StatusUnreadable, error);
        var stop = report.Run.Cells.FirstOrDefault(c => c.ErrorName is "Timeout" or "KernelCrashed");
        if (stop is not null)
            return (stop.ErrorName == "Timeout" ? Gradebook.StatusTimeout : Gradebook.StatusCrashed, $"cell {stop.Index} (id {stop.Id}): {stop.ErrorMessage}");
        return (Gradebook.StatusGraded, null);
    }

    /// <summary>The lab's points (for a submission that could not be graded at all).</summary>
    private static double MaxPoints(LabInfo lab)
    {
        var solution = NotebookDocument.Load(lab.SolutionPath);
        return solution.Cells.OfType<System.Text.Json.Nodes.JsonObject>().Sum(c => CellRole.Of(c).Points);
    }

    /// <summary>A learner name as one safe folder name.</summary>
    internal static string Safe(string learner)
    {
        var chars = learner.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or ' ' ? c : '_').ToArray();
        var name = new string(chars).Trim();
        return name.Length == 0 || name.All(c => c == '.') ? "_" : name;
    }
}
