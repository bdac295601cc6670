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
/// <param name="EditedLockedCells">Ids of read-only cells whose source differs from the lab's recorded checksum (or that were deleted).</param>
/// <param name="Run">The runner's result for the graded notebook.</param>
public sealed record GradeReport(string Notebook, IReadOnlyList<ExerciseScore> Exercises, IReadOnlyList<string> EditedLockedCells, NotebookResult Run)
{
    /// <summary>Points awarded.</summary>
    public double Points => Exercises.Sum(e => e.Points);

    /// <summary>Points available.</summary>
    public double MaxPoints => Exercises.Sum(e => e.MaxPoints);

    /// <summary>Every point awarded, no locked cell edited, and the notebook loaded.</summary>
    public bool FullMarks => Run.Error is null && Points == MaxPoints && EditedLockedCells.Count == 0;

    /// <summary>The report as JSON, with paths as the console shows them (relative to the current directory when under it).</summary>
    public string ToJson() => new JsonObject
    {
        ["notebook"] = RunPaths.Display(Notebook),
        ["points"] = Points,
        ["maxPoints"] = MaxPoints,
        ["fullMarks"] = FullMarks,
        ["error"] = RunReports.Shown([Run])[0].Error,
        ["editedLockedCells"] = new JsonArray(EditedLockedCells.Select(c => (JsonNode?)c).ToArray()),
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
    /// <summary>Grades a learner's lab against its solution; the executed notebook goes to <paramref name="outputPath"/> when given.</summary>
    public static async Task<GradeReport> GradeAsync(string learnerPath, string solutionPath, string? outputPath, RunOptions options, IProgress<RunProgress>? progress = null)
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
            return new GradeReport(failed.Path, Score(solution, failed), [], failed);
        }
        var edited = EditedLockedCells(solution, learner);
        RestoreChecks(solution, learner);
        var run = (await NotebookRunner.RunAsync([new NotebookJob(learner.Path, outputPath, learner)], options with { ContinueOnError = true }, progress))[0];
        return new GradeReport(run.Path, Score(solution, run), edited, run);
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
            var scores = Score(solution, run).ToList();
            if (broken.Count > 0) scores.Add(new ExerciseScore("(solution cells)", "cells that must run without error", 0, broken.Count, broken));
            reports.Add(new GradeReport(run.Path, scores, [], run));
        }
        return reports;
    }

    /// <summary>Locked cells of the lab (per the solution) whose learner source no longer matches the checksum recorded by make-labs.</summary>
    internal static IReadOnlyList<string> EditedLockedCells(NotebookDocument solution, NotebookDocument learner)
    {
        var expected = NotebookDocument.FromIpynb(solution.Path, LabMaker.MakeLab(solution));
        var learnerCells = learner.Cells.OfType<JsonObject>().ToDictionary(c => (string)c["id"]!, c => c, StringComparer.Ordinal);
        var edited = new List<string>();
        foreach (var cell in expected.Cells.OfType<JsonObject>())
        {
            if (cell["metadata"]?[CellRole.Key]?["checksum"] is not JsonValue checksum) continue;
            var id = (string)cell["id"]!;
            if (!learnerCells.TryGetValue(id, out var mine) || LabMaker.Checksum(NotebookDocument.SourceOf(mine)) != (string?)checksum)
                edited.Add(id);
        }
        return edited;
    }

    /// <summary>Puts the solution's check cells (hidden checks included) into the learner's notebook, by cell id; re-inserts deleted ones.</summary>
    internal static void RestoreChecks(NotebookDocument solution, NotebookDocument learner)
    {
        string? previousId = null;
        foreach (var cell in solution.Cells.OfType<JsonObject>())
        {
            var id = (string)cell["id"]!;
            if (CellRole.Of(cell).IsCheck)
            {
                var mine = learner.Cells.OfType<JsonObject>().FirstOrDefault(c => (string?)c["id"] == id);
                if (mine is null)
                {
                    mine = (JsonObject)cell.DeepClone();
                    var after = learner.Cells.OfType<JsonObject>().Select((c, i) => (c, i)).FirstOrDefault(x => (string?)x.c["id"] == previousId);
                    learner.Cells.Insert(after.c is null ? learner.Cells.Count : after.i + 1, mine);
                }
                mine["source"] = cell["source"]!.DeepClone();
                mine["metadata"] = cell["metadata"]!.DeepClone();
            }
            previousId = id;
        }
    }

    /// <summary>Points per exercise: a check cell scores its points when it ran without error.</summary>
    internal static IReadOnlyList<ExerciseScore> Score(NotebookDocument solution, NotebookResult run)
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
                else failures.Add($"{id}: {(result is null ? "not run" : result.ErrorLine ?? result.Status.ToString())}");
            }
            scores.Add(new ExerciseScore(group.Key, titles.GetValueOrDefault(group.Key, group.Key), points, max, failures));
        }
        return scores;
    }
}
