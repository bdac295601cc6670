using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Cli.Runner;

namespace Courseware.Cli.Grading;

/// <summary>The score of one exercise.</summary>
/// <param name="Exercise">The exercise id (courseware.exercise).</param>
/// <param name="Title">Its title.</param>
/// <param name="Points">Points of the check cells that ran without error.</param>
/// <param name="MaxPoints">Points of all its check cells.</param>
/// <param name="Failures">One line per failed check cell: cell id and error.</param>
public sealed record ExerciseScore(string Exercise, string Title, double Points, double MaxPoints, IReadOnlyList<string> Failures);

/// <summary>A graded notebook.</summary>
/// <param name="Notebook">The graded (learner's or solution) notebook.</param>
/// <param name="Exercises">Scores per exercise, in notebook order.</param>
/// <param name="EditedLockedCells">Ids of read-only cells whose source differs from the lab's recorded checksum (or that were deleted); the lab's version ran instead.</param>
/// <param name="Run">The runner's result for the graded notebook.</param>
/// <param name="Tampering">Learner cells that redefine what the checks rely on or reach into the kernel; the exercises they touch score 0.</param>
public sealed record GradeReport(string Notebook, IReadOnlyList<ExerciseScore> Exercises, IReadOnlyList<string> EditedLockedCells, NotebookResult Run,
    IReadOnlyList<TamperingFinding>? Tampering = null)
{
    /// <summary>Points awarded.</summary>
    public double Points => Exercises.Sum(e => e.Points);

    /// <summary>Points available.</summary>
    public double MaxPoints => Exercises.Sum(e => e.MaxPoints);

    /// <summary>Every point awarded, no locked cell edited, nothing tampered with, and the notebook loaded.</summary>
    public bool FullMarks => Run.Error is null && Points == MaxPoints && EditedLockedCells.Count == 0 && (Tampering?.Count ?? 0) == 0;

    /// <summary>The report as JSON, with paths as the console shows them (relative to the current directory when under it).</summary>
    public string ToJson() => new JsonObject
    {
        ["notebook"] = RunPaths.Display(Notebook),
        ["points"] = Points,
        ["maxPoints"] = MaxPoints,
        ["fullMarks"] = FullMarks,
        ["error"] = RunReports.Shown([Run])[0].Error,
        ["editedLockedCells"] = new JsonArray(EditedLockedCells.Select(c => (JsonNode?)c).ToArray()),
        ["tampering"] = new JsonArray((Tampering ?? []).Select(t => (JsonNode?)new JsonObject
        {
            ["cell"] = t.CellId,
            ["name"] = t.Name,
            ["description"] = t.Description,
            ["exercises"] = new JsonArray(t.Exercises.Select(e => (JsonNode?)e).ToArray()),
        }).ToArray()),
        ["exercises"] = new JsonArray(Exercises.Select(e => (JsonNode?)new JsonObject
        {
            ["exercise"] = e.Exercise,
            ["title"] = e.Title,
            ["points"] = e.Points,
            ["maxPoints"] = e.MaxPoints,
            ["failures"] = new JsonArray(e.Failures.Select(f => (JsonNode?)f).ToArray()),
        }).ToArray()),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
}

/// <summary>
/// Grades notebooks: a learner's lab with the hidden checks put back (cells matched by id against the solution),
/// or a solution as is (the instructor's check). Points come from check cells that run without error.
/// </summary>
public static class Grader
{
    /// <summary>
    /// Grades a learner's lab against its solution; the executed notebook goes to <paramref name="outputPath"/> when given.
    /// Before anything runs, the learner's cells are read for tampering (<see cref="Tampering"/>), read-only cells get
    /// the lab's source back and check cells the solution's (hidden checks included), and each check starts in the
    /// lab's folder whatever a learner cell did to the working directory. The notebook runs in a fresh folder laid out
    /// like the course (<c>labs/</c>, a copy of <c>datasets/</c>, the course's <c>build/</c>), so a submission grades the
    /// same wherever it was saved, never sees <c>solutions/</c>, and writes nothing into the instructor's folders.
    /// </summary>
    /// <param name="learnerPath">The submission.</param>
    /// <param name="solutionPath">The solution it is graded against (its folder's parent is the course).</param>
    /// <param name="outputPath">Where to write the executed notebook; null writes none.</param>
    /// <param name="options">Timeouts and memory limit.</param>
    /// <param name="progress">Cell progress, for a console display.</param>
    /// <param name="cancellationToken">Stops the submission where it is (its kernel is killed); the report then shows the cell that was stopped.</param>
    /// <param name="diskLimitBytes">The most the notebook may write into its grading folder; past it the running cell is stopped (error <c>DiskLimit</c>). Null: no limit.</param>
    public static async Task<GradeReport> GradeAsync(string learnerPath, string solutionPath, string? outputPath, RunOptions options, IProgress<RunProgress>? progress = null,
        CancellationToken cancellationToken = default, long? diskLimitBytes = null)
    {
        var solution = NotebookDocument.Load(solutionPath);
        NotebookDocument learner;
        try
        {
            learner = NotebookDocument.Load(learnerPath);
        }
        catch (NotebookException e)
        {
            var failed = new NotebookResult(Path.GetFullPath(learnerPath), null, [], e.Message, TimeSpan.Zero);
            return new GradeReport(failed.Path, Score(solution, failed, []), [], failed);
        }
        var lab = NotebookDocument.FromIpynb(solution.Path, LabMaker.MakeLab(solution));
        var edited = EditedLockedCells(lab, learner);
        var tampering = Tampering.Find(solution, lab, learner);
        RestoreCourseCells(solution, lab, learner);
        using var stage = new GradingFolder(Path.GetDirectoryName(solution.Path)!);
        var staged = NotebookDocument.FromIpynb(Path.Combine(stage.Labs, Path.GetFileName(solution.Path)), learner.ToJson());
        ResetWorkingDirectoryBeforeChecks(solution, staged, stage.Labs);
        options = options with { ContinueOnError = true, Sandbox = SandboxFor(stage, solution.Path, outputPath) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var done = new CancellationTokenSource();
        var diskWatch = diskLimitBytes is { } limit ? stage.StopWhenLargerThanAsync(limit, stop, done.Token) : Task.FromResult(false);
        var run = (await NotebookRunner.RunAsync([new NotebookJob(staged.Path, outputPath, staged)], options, progress, stop.Token))[0];
        await done.CancelAsync();
        if (await diskWatch) run = DiskLimitReached(run, diskLimitBytes!.Value);
        run = run with { Path = Path.GetFullPath(learnerPath) };
        return new GradeReport(run.Path, Score(solution, run, tampering), edited, run, tampering);
    }

    /// <summary>Runs solutions with all their checks (the instructor's check); every one must get full marks.</summary>
    public static async Task<IReadOnlyList<GradeReport>> CheckAsync(IReadOnlyList<string> solutionPaths, string? outputDir, RunOptions options, IProgress<RunProgress>? progress = null)
    {
        var jobs = solutionPaths.Select(p => new NotebookJob(p, outputDir is null ? null : Path.Combine(outputDir, Path.GetFileName(p)))).ToList();
        var runs = await NotebookRunner.RunAsync(jobs, options with { ContinueOnError = true }, progress);
        var reports = new List<GradeReport>();
        foreach (var run in runs)
        {
            if (run.Error is not null)
            {
                reports.Add(new GradeReport(run.Path, [], [], run));
                continue;
            }
            var solution = NotebookDocument.Load(run.Path);
            // A solution cell that fails is a broken solution even when it carries no points.
            var broken = run.Failures.Select(f => $"cell {f.Index} (id {f.Id}) {f.ErrorLine}").ToList();
            var scores = Score(solution, run, []).ToList();
            if (broken.Count > 0) scores.Add(new ExerciseScore("(solution cells)", "cells that must run without error", 0, broken.Count, broken));
            reports.Add(new GradeReport(run.Path, scores, [], run));
        }
        return reports;
    }

    /// <summary>Locked cells of the lab whose learner source no longer matches the checksum recorded by make-labs (or that were deleted).</summary>
    internal static IReadOnlyList<string> EditedLockedCells(NotebookDocument lab, NotebookDocument learner)
    {
        var learnerCells = learner.Cells.OfType<JsonObject>().ToDictionary(c => (string)c["id"]!, c => c, StringComparer.Ordinal);
        var edited = new List<string>();
        foreach (var cell in lab.Cells.OfType<JsonObject>())
        {
            if (cell["metadata"]?[CellRole.Key]?["checksum"] is not JsonValue checksum) continue;
            var id = (string)cell["id"]!;
            if (!learnerCells.TryGetValue(id, out var mine) || LabMaker.Checksum(NotebookDocument.SourceOf(mine)) != (string?)checksum)
                edited.Add(id);
        }
        return edited;
    }

    /// <summary>
    /// Puts the course's cells back into the learner's notebook by cell id, re-inserting deleted ones after the cell
    /// that precedes them in the solution: check cells from the solution (hidden checks included), other read-only
    /// cells and the course's own code cells as the lab shipped them (nbgrader restores locked cells the same way).
    /// A learner may experiment in an unlocked course cell (change the sweep file, rerun); the grade is computed from
    /// the course's version, so an experiment is never mistaken for tampering and never changes what a check sees.
    /// </summary>
    internal static void RestoreCourseCells(NotebookDocument solution, NotebookDocument lab, NotebookDocument learner)
    {
        var shipped = lab.Cells.OfType<JsonObject>().ToDictionary(c => (string)c["id"]!, c => c, StringComparer.Ordinal);
        string? previousId = null;
        foreach (var cell in solution.Cells.OfType<JsonObject>())
        {
            var id = (string)cell["id"]!;
            var role = CellRole.Of(cell);
            if (role.IsCheck || (shipped.ContainsKey(id) && (role.Locked || IsCourseCode(cell, role))))
            {
                var source = role.IsCheck ? cell : shipped[id];
                var mine = learner.Cells.OfType<JsonObject>().FirstOrDefault(c => (string?)c["id"] == id);
                if (mine is null)
                {
                    mine = (JsonObject)source.DeepClone();
                    var after = learner.Cells.OfType<JsonObject>().Select((c, i) => (c, i)).FirstOrDefault(x => (string?)x.c["id"] == previousId);
                    learner.Cells.Insert(after.c is null ? learner.Cells.Count : after.i + 1, mine);
                }
                mine["cell_type"] = source["cell_type"]!.DeepClone();
                mine["source"] = source["source"]!.DeepClone();
                mine["metadata"] = source["metadata"]!.DeepClone();
            }
            previousId = id;
        }
    }

    /// <summary>A code cell of the course's own (no exercise): set-up the checks rely on, restored before grading.</summary>
    internal static bool IsCourseCode(JsonObject cell, CellRole role) => role.Exercise is null && (string?)cell["cell_type"] == "code";

    /// <summary>
    /// The sandbox a submission runs in where bubblewrap can make one (<see cref="Sandbox.Unavailable"/> says why not):
    /// the course folder (solutions, hidden checks) and the output's folder are hidden, the course's build/ and the
    /// worker's program stay readable, and only the grading folder is writable. Without one, a submission could still
    /// read the instructor's files by absolute path.
    /// </summary>
    internal static Sandbox? SandboxFor(GradingFolder stage, string solutionPath, string? outputPath)
    {
        if (Sandbox.Unavailable is not null) return null;
        var course = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(solutionPath))!)!;
        List<string> hidden = [course];
        if (outputPath is not null) hidden.Add(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        return new Sandbox(hidden, [Path.Combine(course, "build"), WorkerClient.ProgramFolder], [stage.Root]);
    }

    // The cell the disk watch stopped says why, in place of the runner's "the run was stopped".
    private static NotebookResult DiskLimitReached(NotebookResult run, long limit) => run with
    {
        Cells = run.Cells.Select(c => c.Status == CellStatus.TimedOut
            ? c with { ErrorName = "DiskLimit", ErrorMessage = $"stopped: the notebook wrote more than {limit >> 20} MiB into its folder (the grader's disk limit); later cells did not run" }
            : c).ToList(),
    };

    /// <summary>The id of the cell the grader puts before each check cell to restore the working directory.</summary>
    internal static string WorkingDirectoryCellId(string checkId) => checkId + "-grader-cwd";

    // A learner cell may change the working directory (to make a check read files of its choosing); each check starts from the lab's folder.
    private static void ResetWorkingDirectoryBeforeChecks(NotebookDocument solution, NotebookDocument staged, string folder)
    {
        var checkIds = solution.Cells.OfType<JsonObject>().Where(c => CellRole.Of(c).IsCheck).Select(c => (string)c["id"]!).ToHashSet(StringComparer.Ordinal);
        for (var i = staged.Cells.Count - 1; i >= 0; i--)
        {
            if (staged.Cells[i] is not JsonObject cell || !checkIds.Contains((string?)cell["id"] ?? "")) continue;
            staged.Cells.Insert(i, new JsonObject
            {
                ["cell_type"] = "code",
                ["id"] = WorkingDirectoryCellId((string)cell["id"]!),
                ["metadata"] = cell["metadata"]?["dotnet_interactive"]?.DeepClone() is { } kernel ? new JsonObject { ["dotnet_interactive"] = kernel } : new JsonObject(),
                ["source"] = NotebookDocument.SourceLines($"global::System.IO.Directory.SetCurrentDirectory({Runner.Parameters.Literal("folder", folder, "string")});"),
                ["outputs"] = new JsonArray(),
                ["execution_count"] = null,
            });
        }
    }

    /// <summary>Points per exercise: a check cell scores its points when it ran without error, unless tampering touches its exercise.</summary>
    internal static IReadOnlyList<ExerciseScore> Score(NotebookDocument solution, NotebookResult run, IReadOnlyList<TamperingFinding> tampering)
    {
        var titles = LabMaker.ExerciseTitles(solution);
        var results = run.Cells.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var scores = new List<ExerciseScore>();
        foreach (var group in solution.Cells.OfType<JsonObject>().Select(c => (Cell: c, Role: CellRole.Of(c)))
                     .Where(x => x.Role.IsCheck).GroupBy(x => x.Role.Exercise!))
        {
            double points = 0, max = 0;
            var failures = new List<string>();
            foreach (var (cell, role) in group)
            {
                max += role.Points;
                var id = (string)cell["id"]!;
                if (results.TryGetValue(id, out var result) && result.Succeeded) points += role.Points;
                else failures.Add($"{id}: {(result is null || result.Status == CellStatus.NotRun ? "not run (an earlier cell stopped the notebook)" : result.ErrorLine ?? result.Status.ToString())}");
            }
            var touched = tampering.Where(t => t.Exercises.Contains(group.Key)).Select(t => $"{t.CellId}: {t.Description}").ToList();
            if (touched.Count > 0) (points, failures) = (0, [.. touched.Select(t => "tampering: " + t), .. failures]);
            scores.Add(new ExerciseScore(group.Key, titles.GetValueOrDefault(group.Key, group.Key), points, max, failures));
        }
        return scores;
    }
}
