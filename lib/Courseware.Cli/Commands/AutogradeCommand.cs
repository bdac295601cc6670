using System.CommandLine;
using System.Globalization;
using Courseware.Cli.Grading;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware autograde &lt;submissions&gt;`: grades a class's submissions into a gradebook, with feedback pages.</summary>
internal static class AutogradeCommand
{
    public static Command Create()
    {
        var submissions = new Argument<string>("submissions") { Description = "Folder of submissions: nbgrader's submitted/<learner>/<lab>/<lab>.ipynb, <learner>/<lab>.ipynb, or a Canvas/Moodle download" };
        var solutions = new Option<string>("--solutions") { Description = "Folder of solution notebooks", DefaultValueFactory = _ => "solutions" };
        var output = new Option<string>("--out", "-o") { Description = "Folder for gradebook.db, graded/ notebooks and feedback/ pages", DefaultValueFactory = _ => Path.Combine("out", "autograde") };
        var gradebook = new Option<string?>("--gradebook") { Description = "The gradebook: a SQLite file (default <out>/gradebook.db) or the course's PostgreSQL database (postgresql://…); a re-run grades only new or changed submissions" };
        var parallel = new Option<int>("--parallel") { Description = "Submissions graded at once, each in its own worker process", DefaultValueFactory = _ => 2 };
        var timeout = CellTimeoutOption.Create();
        var submissionTimeout = new Option<double>("--submission-timeout") { Description = "Per-submission timeout in seconds (recorded as timeout, 0 points)", DefaultValueFactory = _ => 1800 };
        var shard = new Option<string?>("--shard") { Description = "Grade only shard i/n (1-based; stable hash of each submission's path), e.g. for a CI matrix; merge with `gradebook merge`" };
        var due = new Option<string?>("--due") { Description = "Due date (ISO 8601, UTC unless it has an offset): later submissions (timestamp.txt, else file time) are marked late" };
        var failUnder = new Option<double?>("--fail-under") { Description = "Exit 1 when any submission scores below this percentage" };
        var noFeedback = new Option<bool>("--no-feedback") { Description = "Write no feedback pages" };
        var memory = MemoryLimitOption.Create();
        var disk = new Option<int>("--disk-mb")
        {
            Description = "Most MiB a submission may write into its grading folder; past it the running cell is stopped (0 = no limit)",
            DefaultValueFactory = _ => 1024,
        };
        disk.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
                result.AddError($"--disk-mb: '{result.Tokens.LastOrDefault()?.Value}' is not valid: expected a number of MiB, or 0 for no limit");
        });
        var command = new Command("autograde", "Grade a folder of submissions into a SQLite gradebook, with a feedback page per learner and lab")
        {
            submissions, solutions, output, gradebook, parallel, timeout, submissionTimeout, shard, due, failUnder, noFeedback, memory, disk,
        };
        command.SetAction(async (parse, ct) =>
        {
            AutogradeOptions options;
            IReadOnlyList<Submission> found;
            IReadOnlyList<string> problems;
            IReadOnlyList<LabInfo> labs;
            try
            {
                DateTimeOffset? dueDate = parse.GetValue(due) is { } d
                    ? DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed
                        : throw new FormatException($"--due '{d}': expected a date and time such as 2026-03-01T23:59:00Z")
                    : null;
                options = new AutogradeOptions
                {
                    OutDir = Path.GetFullPath(parse.GetValue(output)!),
                    GradebookPath = parse.GetValue(gradebook),
                    Parallel = Math.Max(1, parse.GetValue(parallel)),
                    CellTimeout = CellTimeoutOption.ToTimeSpan(parse.GetValue(timeout)),
                    SubmissionTimeout = TimeSpan.FromSeconds(parse.GetValue(submissionTimeout)),
                    Shard = parse.GetValue(shard) is { } s ? Submissions.ParseShard(s) : null,
                    Feedback = !parse.GetValue(noFeedback),
                    MemoryLimitBytes = MemoryLimitOption.ToBytes(parse.GetValue(memory)),
                    DiskLimitBytes = parse.GetValue(disk) is > 0 and var mb ? mb * (1L << 20) : null,
                };
                labs = LabInfo.FromSolutions(parse.GetValue(solutions)!);
                (found, problems) = Submissions.Find(parse.GetValue(submissions)!, labs, dueDate);
            }
            catch (Exception e) when (e is IOException or FormatException or Runner.NotebookException or InvalidDataException)
            {
                return CommandErrors.Report(e);
            }
            foreach (var p in problems) AnsiConsole.MarkupLineInterpolated($"[yellow]skipped:[/] {p}");
            var progress = new Progress<AutogradeOutcome>(o => AnsiConsole.MarkupLineInterpolated(
                $"{(o.Graded ? "graded " : "unchanged")} {o.Submission.Relative}: {o.Entry.Points:0.##}/{o.Entry.MaxPoints:0.##} {(o.Entry.Status == Gradebook.StatusGraded ? "" : o.Entry.Status)}"));
            IReadOnlyList<AutogradeOutcome> outcomes;
            try
            {
                outcomes = await Autograder.RunAsync(found, labs, options, progress);
            }
            catch (InvalidDataException e)
            {
                return CommandErrors.Report(e);
            }
            Render(outcomes, options);
            var infra = outcomes.Where(o => o.Entry.InfrastructureFailure).ToList();
            foreach (var o in infra) AnsiConsole.MarkupLineInterpolated($"[red]infrastructure failure:[/] {o.Entry.Error}");
            var under = parse.GetValue(failUnder) is { } percent ? outcomes.Where(o => o.Entry.Percent < percent).ToList() : [];
            foreach (var o in under) AnsiConsole.MarkupLineInterpolated($"[red]under --fail-under:[/] {o.Submission.Relative} {o.Entry.Percent:0.#}%");
            return infra.Count > 0 || under.Count > 0 ? 1 : 0;
        });
        return command;
    }

    private static void Render(IReadOnlyList<AutogradeOutcome> outcomes, AutogradeOptions options)
    {
        var table = new Table().RoundedBorder().AddColumn("Learner").AddColumn("Lab").AddColumn(new TableColumn("Points").RightAligned())
            .AddColumn("Status").AddColumn("Late").AddColumn("Error");
        foreach (var o in outcomes)
            table.AddRow(new Text(o.Entry.Learner), new Text(o.Entry.Lab), new Text($"{o.Entry.Points:0.##}/{o.Entry.MaxPoints:0.##}"),
                new Markup(o.Entry.Status == Gradebook.StatusGraded ? "[green]graded[/]" : $"[red]{o.Entry.Status}[/]") ,
                new Text(o.Entry.Late ? "late" : ""), new Text(Runner.NotebookResult.FirstLine(o.Entry.Error)));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"{outcomes.Count(o => o.Graded)} graded, {outcomes.Count(o => !o.Graded)} unchanged; gradebook and feedback in [blue]{options.OutDir}[/]");
    }
}
