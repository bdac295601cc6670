using System.CommandLine;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware check solutions/`: runs every solution with all its checks and requires full marks.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Solution notebooks or folders", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the executed solutions and check.json", DefaultValueFactory = _ => Path.Combine("out", "check") };
        var timeout = CellTimeoutOption.Create();
        var parallel = new Option<int>("--parallel") { Description = "Notebooks run at once", DefaultValueFactory = _ => 2 };
        var command = new Command("check", "Instructor check: run every solution with all checks; exit 1 unless each gets full marks") { paths, output, timeout, parallel };
        command.SetAction(async (parse, ct) =>
        {
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            var (jobs, problems) = NotebookDiscovery.Jobs(parse.GetValue(paths)!, outDir, inplace: false);
            var options = new RunOptions { CellTimeout = CellTimeoutOption.ToTimeSpan(parse.GetValue(timeout)), Parallel = Math.Max(1, parse.GetValue(parallel)) };
            IReadOnlyList<GradeReport> reports = [];
            var solutions = jobs.Select(j => j.Path).ToList();
            await RunCommand.WithProgressAsync(solutions, async progress => reports = await Grader.CheckAsync(solutions, outDir, options, progress));
            GradeCommand.Render(reports);
            foreach (var p in problems) AnsiConsole.MarkupLineInterpolated($"[red]✗[/] {p.Error}");
            AtomicFile.WriteAllText(Path.Combine(outDir, "check.json"), "[\n" + string.Join(",\n", reports.Select(r => r.ToJson().TrimEnd())) + "\n]\n");
            return problems.Count == 0 && reports.Count > 0 && reports.All(r => r.FullMarks) ? 0 : 1;
        });
        return command;
    }
}
