using System.Text.Json.Nodes;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Grading;

/// <summary>
/// The course's own notebooks: every solution gets full marks; every lab runs to the end and only exercise cells
/// fail, with NotImplementedException (the stubs). Passes trivially while solutions/ is empty.
/// </summary>
public sealed class RepositoryNotebookTests
{
    private static readonly RunOptions Options = new() { Parallel = 2, CellTimeout = TimeSpan.FromMinutes(5) };

    private static string[] Notebooks(string folder) =>
        Directory.Exists(Path.Combine(RepoRoot, folder))
            ? Directory.GetFiles(Path.Combine(RepoRoot, folder), "*.ipynb").Order(StringComparer.Ordinal).ToArray()
            : [];

    [Fact]
    public async Task Every_solution_gets_full_marks()
    {
        var reports = await Grader.CheckAsync(Notebooks("solutions"), null, Options);
        foreach (var report in reports)
            Assert.True(report.FullMarks, $"{report.Notebook}: {report.Points}/{report.MaxPoints}; {report.Run.Error} " +
                string.Join("; ", report.Exercises.SelectMany(e => e.Failures)));
        // With no endpoint configured, the optional endpoint cells say so and how to set one (EndpointLabTests runs them configured).
        foreach (var lab in new[] { "lab-4.3.3-benchmark-suite.ipynb", "lab-4.3.4-custom-evaluation.ipynb" }.Where(l => reports.Any(r => r.Notebook.EndsWith(l, StringComparison.Ordinal))))
        {
            var streams = reports.Single(r => r.Notebook.EndsWith(lab, StringComparison.Ordinal)).Run.Cells
                .SelectMany(c => c.Outputs.OfType<JsonObject>()).Select(o => CellResult.Join(o["text"]));
            Assert.Contains(streams, s => s.StartsWith("skipped: no endpoint configured (set ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Every_lab_runs_and_only_exercise_cells_fail_with_NotImplementedException()
    {
        var labs = Notebooks("labs");
        var results = await NotebookRunner.RunAsync(labs.Select(l => new NotebookJob(l, null)).ToList(), Options with { ContinueOnError = true });
        foreach (var result in results)
        {
            Assert.Null(result.Error);
            var cells = NotebookDocument.Load(result.Path).Cells.OfType<JsonObject>().ToDictionary(c => (string)c["id"]!);
            foreach (var failure in result.Failures)
            {
                Assert.True(CellRole.Of(cells[failure.Id]).Exercise is not null && failure.ErrorName == "System.NotImplementedException",
                    $"{result.Path}: cell {failure.Index} (id {failure.Id}) may not fail: {failure.ErrorLine}");
            }
        }
    }
}
