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
        var output = new Option<string>("--out", "-o") { Description = "Folder for executed notebooks, summary.json and summary.md", DefaultValueFactory = _ => Path.Combine("out", "run") };
        var inplace = new Option<bool>("--inplace") { Description = "Write outputs back into the source .ipynb files" };
        var parameters = new Option<string[]>("--parameter", "-p") { Description = "name=value for the papermill-style injected-parameters cell (repeatable)" };
        var timeout = new Option<double>("--timeout") { Description = "Per-cell timeout in seconds; a cell running longer is stopped", DefaultValueFactory = _ => 600 };
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
                    CellTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
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
            var (jobs, problems) = NotebookDiscovery.Jobs(parse.GetValue(paths)!, outDir, parse.GetValue(inplace));
            if (jobs.Count == 0 && problems.Count == 0)
            {
                AnsiConsole.MarkupLine("[red]error:[/] no .ipynb or .dib notebooks found in the given paths");
                return 2;
            }
            var results = await RunWithProgressAsync(jobs, options, ct);
            results = [.. problems, .. results];

            AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), RunReports.SummaryJson(results));
            AtomicFile.WriteAllText(Path.Combine(outDir, "summary.md"), RunReports.SummaryMarkdown(results));
            if (parse.GetValue(junit) is { } junitPath)
                AtomicFile.WriteAllText(junitPath, RunReports.JUnit(results));
            Render(results, outDir);
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

    /// <summary>A progress bar per notebook (cells done), ticked and closed by the runner's progress reports.</summary>
    internal static async Task WithProgressAsync(IEnumerable<string> notebooks, Func<IProgress<RunProgress>, Task> run)
    {
        var paths = notebooks.Select(Path.GetFullPath).Distinct().ToList();
        if (paths.Count == 0) return;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var tasks = paths.ToDictionary(p => p, p => ctx.AddTask(Markup.Escape(Path.GetFileName(p)), autoStart: false, maxValue: 1));
                var progress = new Progress<RunProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.Path, out var task)) return;
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

    private static void Render(IReadOnlyList<NotebookResult> results, string outDir)
    {
        var table = new Table().RoundedBorder()
            .AddColumn("Notebook").AddColumn(new TableColumn("Cells").RightAligned())
            .AddColumn(new TableColumn("Failures").RightAligned()).AddColumn(new TableColumn("Time").RightAligned()).AddColumn("Result");
        foreach (var r in results)
        {
            var failures = r.Failures.Count() + (r.Error is null ? 0 : 1);
            table.AddRow(
                new Text(Path.GetRelativePath(Environment.CurrentDirectory, r.Path)),
                new Text(r.Cells.Count.ToString()),
                new Markup(failures == 0 ? "0" : $"[red]{failures}[/]"),
                new Text($"{r.Duration.TotalSeconds:0.0} s"),
                new Markup(r.Succeeded ? "[green]ok[/]" : "[red]FAILED[/]"));
        }
        AnsiConsole.Write(table);
        foreach (var r in results.Where(r => !r.Succeeded))
            AnsiConsole.MarkupLineInterpolated($"[red]✗[/] {r.FailureSummary}");
        AnsiConsole.MarkupLineInterpolated($"Executed notebooks and summary: [blue]{outDir}[/]");
    }
}

/// <summary>Turns the command line's paths into jobs (folders searched recursively) and output paths.</summary>
internal static class NotebookDiscovery
{
    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { "bin", "obj", "out", ".ipynb_checkpoints", "node_modules", ".git" };

    /// <summary>Jobs for the inputs; a path that does not exist becomes a failed result naming it.</summary>
    public static (IReadOnlyList<NotebookJob> Jobs, IReadOnlyList<NotebookResult> Problems) Jobs(IEnumerable<string> inputs, string outDir, bool inplace)
    {
        var jobs = new List<NotebookJob>();
        var problems = new List<NotebookResult>();
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var full = Path.GetFullPath(input);
            IEnumerable<(string File, string Relative)> files;
            if (Directory.Exists(full))
                files = Find(full).Select(f => (f, Path.GetRelativePath(full, f)));
            else if (File.Exists(full) || Path.GetExtension(full) is ".ipynb" or ".dib")
                files = [(full, Path.GetFileName(full))];
            else
            {
                problems.Add(new NotebookResult(full, null, [], $"{full}: file or folder not found", TimeSpan.Zero));
                continue;
            }
            foreach (var (file, relative) in files)
            {
                if (inplace && file.EndsWith(".dib", StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add(new NotebookResult(file, null, [], $"{file}: --inplace cannot store outputs in a .dib file (use --out)", TimeSpan.Zero));
                    continue;
                }
                var target = inplace ? file : Path.Combine(outDir, Path.ChangeExtension(relative, ".ipynb"));
                if (!outputs.Add(target))
                {
                    problems.Add(new NotebookResult(file, null, [], $"{file}: another input already writes {target}", TimeSpan.Zero));
                    continue;
                }
                jobs.Add(new NotebookJob(file, target));
            }
        }
        return (jobs, problems);
    }

    private static IEnumerable<string> Find(string folder) =>
        Directory.EnumerateFiles(folder, "*.*", SearchOption.TopDirectoryOnly)
            .Where(f => Path.GetExtension(f) is ".ipynb" or ".dib")
            .Concat(Directory.EnumerateDirectories(folder)
                .Where(d => !SkippedFolders.Contains(Path.GetFileName(d)))
                .SelectMany(Find))
            .Order(StringComparer.Ordinal);
}
