using System.CommandLine;
using Courseware.Cli.Runner;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware run`: executes notebooks headlessly and writes the executed copies plus a summary.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Notebooks (.ipynb, .dib) or folders to search for them", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "Folder for executed notebooks, summary.json and summary.md (never a folder of input notebooks)", DefaultValueFactory = _ => Path.Combine("out", "run") };
        var inplace = new Option<bool>("--inplace") { Description = "Write outputs back into the source .ipynb files" };
        var parameters = new Option<string[]>("--parameter", "-p") { Description = "name=value for the papermill-style injected-parameters cell (repeatable)" };
        var timeout = CellTimeoutOption.Create();
        var continueOnError = new Option<bool>("--continue-on-error") { Description = "Run the remaining cells after a failed cell" };
        var parallel = new Option<int>("--parallel") { Description = "Notebooks run at once, each in its own warm worker process", DefaultValueFactory = _ => 2 };
        var junit = new Option<string?>("--junit") { Description = "Also write a JUnit XML report to this file" };

        var command = new Command("run", "Run notebooks headlessly on the .NET Interactive kernel and write the executed notebooks")
        {
            paths, output, inplace, parameters, timeout, continueOnError, parallel, junit,
        };
        command.SetAction(async (parse, ct) =>
        {
            RunOptions options;
            try
            {
                options = new RunOptions
                {
                    Parameters = Runner.Parameters.Parse(parse.GetValue(parameters) ?? []),
                    CellTimeout = CellTimeoutOption.ToTimeSpan(parse.GetValue(timeout)),
                    ContinueOnError = parse.GetValue(continueOnError),
                    Parallel = Math.Max(1, parse.GetValue(parallel)),
                };
            }
            catch (ArgumentException e)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                return 2;
            }
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            var junitPath = parse.GetValue(junit);
            var (jobs, problems) = NotebookDiscovery.Jobs(parse.GetValue(paths)!, outDir, parse.GetValue(inplace));
            if (jobs.Count == 0 && problems.Count == 0)
            {
                AnsiConsole.MarkupLine("[red]error:[/] no .ipynb or .dib notebooks found in the given paths");
                return 2;
            }
            // Nothing runs when any output would replace an input notebook: the sources stay as they are.
            var inputs = RunPaths.Inputs(jobs.Select(j => j.Path));
            var outputs = jobs.Where(j => !j.InPlace).Select(j => j.OutputPath!)
                .Concat([Path.Combine(outDir, "summary.json"), Path.Combine(outDir, "summary.md")])
                .Concat(junitPath is null ? [] : [junitPath]);
            var refused = outputs.Select(o => RunPaths.OverwrittenInput(o, inputs)).OfType<string>().ToList();
            foreach (var message in refused)
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ReportText.Readable(message)}");
            if (refused.Count > 0) return 2;

            var results = await RunWithProgressAsync(jobs, options, ct);
            results = [.. problems, .. results];

            Render(AnsiConsole.Console, results, outDir);
            AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), RunReports.SummaryJson(results));
            AtomicFile.WriteAllText(Path.Combine(outDir, "summary.md"), RunReports.SummaryMarkdown(results));
            if (junitPath is not null)
                AtomicFile.WriteAllText(junitPath, RunReports.JUnit(results));
            return results.All(r => r.Succeeded) && results.Count > 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>The hidden worker subcommand: one kernel process per notebook, driven over stdin/stdout.</summary>
    public static Command CreateWorker()
    {
        var command = new Command(WorkerProtocol.SubcommandName, "Internal: kernel worker process for `courseware run`") { Hidden = true };
        command.SetAction(async (_, _) => await WorkerHost.RunAsync());
        return command;
    }

    internal static async Task<IReadOnlyList<NotebookResult>> RunWithProgressAsync(IReadOnlyList<NotebookJob> jobs, RunOptions options, CancellationToken ct)
    {
        IReadOnlyList<NotebookResult> results = [];
        await WithProgressAsync(jobs.Select(j => j.Path), async progress => results = await NotebookRunner.RunAsync(jobs, options, progress, ct));
        return results;
    }

    /// <summary>
    /// A progress bar per notebook (cells done), ticked and closed by the runner's progress reports; when the console is
    /// not interactive (output redirected, CI), one line per finished notebook instead of repeated progress frames.
    /// </summary>
    internal static async Task WithProgressAsync(IEnumerable<string> notebooks, Func<IProgress<RunProgress>, Task> run)
    {
        var paths = notebooks.Select(Path.GetFullPath).Distinct().ToList();
        if (paths.Count == 0) return;
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
        {
            var done = 0;
            await run(new SynchronousProgress(p =>
            {
                if (p.Result is not { } r || !paths.Contains(Path.GetFullPath(p.Path))) return;
                var n = Interlocked.Increment(ref done);
                var cells = r.Cells.Count == 1 ? "1 cell" : $"{r.Cells.Count} cells";
                AnsiConsole.MarkupLineInterpolated($"[[{n}/{paths.Count}]] {(r.Succeeded ? "✓" : "✗")} {Shown(r.Path)}  {cells}  {r.Duration.TotalSeconds:0.0} s");
            }));
            return;
        }
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var tasks = paths.ToDictionary(p => p, p => ctx.AddTask(Markup.Escape(Path.GetFileName(p)), autoStart: false, maxValue: 1));
                var progress = new Progress<RunProgress>(p =>
                {
                    if (!tasks.TryGetValue(Path.GetFullPath(p.Path), out var task)) return;
                    if (!task.IsStarted) task.StartTask();
                    task.MaxValue = Math.Max(1, p.CellsTotal);
                    task.Value = p.CellsDone;
                    if (p.Result is { } r)
                    {
                        task.Description = (r.Succeeded ? "[green]✓[/] " : "[red]✗[/] ") + Markup.Escape(Path.GetFileName(r.Path));
                        task.Value = task.MaxValue;
                        task.StopTask();
                    }
                });
                await run(progress);
            });
    }

    /// <summary>The results table, the first failure of each failed notebook, warnings, and where the files went. Notebook text is shown as text, never as markup.</summary>
    internal static void Render(IAnsiConsole console, IReadOnlyList<NotebookResult> results, string outDir)
    {
        var table = new Table().RoundedBorder()
            .AddColumn("Notebook").AddColumn(new TableColumn("Cells").RightAligned())
            .AddColumn(new TableColumn("Failures").RightAligned()).AddColumn(new TableColumn("Time").RightAligned()).AddColumn("Result");
        var shown = RunReports.Shown(results);
        foreach (var r in shown)
        {
            var failures = r.Failures.Count() + (r.Error is null ? 0 : 1);
            table.AddRow(
                new Text(ReportText.Readable(r.Path)),
                new Text(r.Cells.Count.ToString()),
                new Markup(failures == 0 ? "0" : $"[red]{failures}[/]"),
                new Text($"{r.Duration.TotalSeconds:0.0} s"),
                new Markup(r.Succeeded ? "[green]ok[/]" : "[red]FAILED[/]"));
        }
        console.Write(table);
        foreach (var r in shown.Where(r => !r.Succeeded))
            console.MarkupLineInterpolated($"[red]✗[/] {ReportText.Readable(r.FailureSummary)}");
        foreach (var warning in shown.SelectMany(r => r.Warnings))
            console.MarkupLineInterpolated($"[yellow]warning:[/] {ReportText.Readable(warning)}");
        console.MarkupLineInterpolated($"Executed notebooks and summary: [blue]{Shown(outDir)}[/]");
    }

    private static string Shown(string path) => ReportText.Readable(RunPaths.Display(path));

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the thread pool and could reorder lines).</summary>
    private sealed class SynchronousProgress(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}
