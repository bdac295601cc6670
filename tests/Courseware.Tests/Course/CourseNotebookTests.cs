using System.Text.Json.Nodes;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Course;

/// <summary>
/// Every course notebook, executed for real: each solution gets full marks with all its checks (the instructor's
/// `courseware check`), and each generated lab runs to the end with failures only in exercise cells, only from the
/// NotImplementedException stubs a learner has not replaced yet.
/// </summary>
public sealed class CourseNotebookTests
{
    static readonly RunOptions Options = new() { CellTimeout = TimeSpan.FromMinutes(5), ContinueOnError = true };

    public static TheoryData<string> Solutions()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(RepoRoot, "solutions"), "*.ipynb").Order())
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Theory]
    [MemberData(nameof(Solutions))]
    public async Task Solution_gets_full_marks(string notebook)
    {
        var report = (await Grader.CheckAsync([Path.Combine(RepoRoot, "solutions", notebook)], NewOutputFolder(), Options))[0];
        var problems = report.Exercises.Where(e => e.Points < e.MaxPoints).SelectMany(e => e.Failures.Select(f => $"{e.Exercise}: {f}"));
        Assert.True(report.FullMarks, $"{notebook}: {report.Run.Error} {string.Join("\n", problems)}");
        Assert.True(report.MaxPoints > 0, $"{notebook} declares no points");
    }

    [Theory]
    [MemberData(nameof(Solutions))]
    public async Task Lab_runs_to_the_end_failing_only_in_unfinished_exercises(string notebook)
    {
        var lab = Path.Combine(RepoRoot, "labs", notebook);
        Assert.True(File.Exists(lab), $"labs/{notebook} is missing: run `courseware make-labs`");
        var run = (await NotebookRunner.RunAsync([new NotebookJob(lab, Path.Combine(NewOutputFolder(), notebook))], Options))[0];
        Assert.Null(run.Error);
        var cells = NotebookDocument.Load(lab).Cells.OfType<JsonObject>().ToDictionary(c => (string)c["id"]!);
        var failures = run.Cells.Where(c => !c.Succeeded).ToList();
        Assert.NotEmpty(failures); // the stubs must actually be exercised
        foreach (var cell in failures)
        {
            var role = cells.TryGetValue(cell.Id, out var json) ? CellRole.Of(json) : null;
            Assert.True(role?.Exercise is not null, $"{notebook}: cell {cell.Index} (id {cell.Id}) is not part of an exercise but failed: {cell.ErrorLine}");
            Assert.True(cell.ErrorName == "System.NotImplementedException", $"{notebook}: exercise cell {cell.Id} failed with {cell.ErrorLine}, not the stub's NotImplementedException");
        }
    }
}
