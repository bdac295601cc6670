using System.Text.Json.Nodes;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Grading;

/// <summary>
/// Exercises are graded one by one: a learner who solved only exercise k gets its full points, whatever the other
/// exercises are (stubs that throw). A check that used an earlier exercise's function or variable would fail here.
/// One representative lab (4.3.2, whose sweep exercises used to build on each other); its copies grade concurrently.
/// </summary>
public sealed class ExerciseIndependenceTests
{
    private const string Lab = "lab-4.3.2-wandb-integration.ipynb";

    [Fact]
    public async Task Each_exercise_of_lab_4_3_2_solved_alone_gets_its_full_points()
    {
        var solutionPath = Path.Combine(RepoRoot, "solutions", Lab);
        var solution = NotebookDocument.Load(solutionPath);
        var solutionCells = solution.Cells.OfType<JsonObject>().ToList();
        var exercises = solutionCells.Select(c => CellRole.Of(c)).Where(r => r.Points > 0).Select(r => r.Exercise!).Distinct().ToList();
        Assert.True(exercises.Count >= 5, $"expected the lab's exercises, found {string.Join(", ", exercises)}");

        var options = new RunOptions { CellTimeout = TimeSpan.FromMinutes(5) };
        var grades = exercises.Select(async exercise =>
        {
            // The learner's lab with only this exercise's cells written: the solution's code without the markers.
            var learner = JsonNode.Parse(LabMaker.MakeLab(solution))!.AsObject();
            foreach (var cell in solutionCells.Where(c => CellRole.Of(c) is { Points: 0 } role && role.Exercise == exercise && (string?)c["cell_type"] == "code"))
            {
                var answer = string.Join("\n", NotebookDocument.SourceOf(cell).Split('\n')
                    .Where(line => line.Trim() is not ("// BEGIN SOLUTION" or "// END SOLUTION")));
                CellById(learner, (string)cell["id"]!)["source"] = NotebookDocument.SourceLines(answer);
            }
            var path = Path.Combine(NewOutputFolder(), Lab);
            File.WriteAllText(path, learner.ToJsonString());
            return (exercise, report: await Grader.GradeAsync(path, solutionPath, null, options));
        }).ToList();

        foreach (var (exercise, report) in await Task.WhenAll(grades))
        {
            Assert.Null(report.Run.Error);
            Assert.True((report.Tampering?.Count ?? 0) == 0, $"{exercise} solved alone: tampering reported: {string.Join("; ", report.Tampering?.Select(t => t.Description) ?? [])}");
            Assert.Empty(report.EditedLockedCells);
            foreach (var score in report.Exercises)
            {
                if (score.Exercise == exercise)
                    Assert.True(score.Points == score.MaxPoints, $"{exercise} solved alone: {score.Points}/{score.MaxPoints}; {string.Join("; ", score.Failures)}; " +
                        $"stopped by: {string.Join("; ", report.Run.Cells.Where(c => c.Status is CellStatus.TimedOut || c.ErrorName is "KernelCrashed").Select(c => $"{c.Id}: {c.ErrorMessage}"))}");
                else
                    Assert.True(score.Points == 0, $"{exercise} solved alone, yet {score.Exercise} (a stub) scored {score.Points}");
            }
        }
    }
}
