using System.CommandLine;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware grade lab.ipynb`: runs a learner's lab with the hidden checks put back and scores it.</summary>
internal static class GradeCommand
{
    public static Command Create()
    {
        var learner = new Argument<string>("notebook") { Description = "The learner's lab notebook (.ipynb)" };
        var solutions = new Option<string>("--solutions") { Description = "Folder holding the solution with the same file name", DefaultValueFactory = _ => "solutions" };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the graded notebook and <name>.grade.json", DefaultValueFactory = _ => Path.Combine("out", "grade") };
        var timeout = CellTimeoutOption.Create();
        var failUnder = new Option<double?>("--fail-under") { Description = "Exit 1 when the score is below this percentage of the points" };
        var classroom = new Option<string?>("--classroom-json") { Description = "Also write the result in GitHub Classroom's runner format (version 1: status, max_score, one test per exercise) to this file" };
        var memory = MemoryLimitOption.Create();
        var command = new Command("grade", "Grade a learner's lab: hidden checks restored, points per exercise, edited read-only cells reported")
            { learner, solutions, output, timeout, failUnder, classroom, memory };
        command.SetAction(async (parse, ct) =>
        {
            var learnerPath = Path.GetFullPath(parse.GetValue(learner)!);
            var solutionPath = Path.GetFullPath(Path.Combine(parse.GetValue(solutions)!, Path.GetFileName(learnerPath)));
            if (!File.Exists(solutionPath))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {learnerPath}: no solution at {solutionPath} (use --solutions)");
                return 2;
            }
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            var name = Path.GetFileNameWithoutExtension(learnerPath);
            try
            {
                GradeReport? graded = null;
                await RunCommand.WithProgressAsync([learnerPath], async progress => graded = await Grader.GradeAsync(
                    learnerPath, solutionPath, Path.Combine(outDir, name + ".ipynb"), new RunOptions
                    {
                        CellTimeout = CellTimeoutOption.ToTimeSpan(parse.GetValue(timeout)),
                        MemoryLimitBytes = MemoryLimitOption.ToBytes(parse.GetValue(memory)),
                    }, progress, ct));
                var report = graded!;
                Render([report]);
                AtomicFile.WriteAllText(Path.Combine(outDir, name + ".grade.json"), report.ToJson());
                if (parse.GetValue(classroom) is { } classroomPath) AtomicFile.WriteAllText(classroomPath, ClassroomResult.Json(report));
                if (parse.GetValue(failUnder) is { } percent && report.Points < percent / 100 * report.MaxPoints)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]✗[/] {report.Points:0.##}/{report.MaxPoints:0.##} is under --fail-under {percent:0.##}%");
                    return 1;
                }
                return report.Run.Error is null ? 0 : 1;
            }
            catch (Exception e) when (e is NotebookException or FormatException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>A table per notebook: exercise, points, failures; then edited read-only cells.</summary>
    internal static void Render(IEnumerable<GradeReport> reports)
    {
        foreach (var report in reports)
        {
            var table = new Table().RoundedBorder().Title(Markup.Escape(Path.GetFileName(report.Notebook)))
                .AddColumn("Exercise").AddColumn(new TableColumn("Points").RightAligned()).AddColumn("Failures");
            foreach (var e in report.Exercises)
                table.AddRow(new Text($"{e.Exercise}: {e.Title}"),
                    new Markup(e.Points == e.MaxPoints ? $"[green]{e.Points:0.##}/{e.MaxPoints:0.##}[/]" : $"[red]{e.Points:0.##}/{e.MaxPoints:0.##}[/]"),
                    new Text(string.Join("\n", e.Failures.Select(f => NotebookResult.FirstLine(f)))));
            table.AddRow(new Markup("[bold]Total[/]"), new Markup($"[bold]{report.Points:0.##}/{report.MaxPoints:0.##}[/]"), new Text(""));
            AnsiConsole.Write(table);
            if (report.Run.Error is not null) AnsiConsole.MarkupLineInterpolated($"[red]✗[/] {report.Run.Error}");
            foreach (var id in report.EditedLockedCells)
                AnsiConsole.MarkupLineInterpolated($"[yellow]edited read-only cell:[/] {id}");
        }
    }
}
