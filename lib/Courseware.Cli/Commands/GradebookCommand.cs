using System.CommandLine;
using Courseware.Cli.Grading;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware gradebook show &lt;db&gt;`: the class's results per lab and exercise, or an export for nbgrader, Canvas or Moodle; `gradebook merge` for shards.</summary>
internal static class GradebookCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("gradebook") { Description = "The gradebook file written by `courseware autograde`" };
        var export = new Option<string?>("--export") { Description = "Export format: csv (one row per submission), canvas (gradebook import), moodle (grade import), nbgrader (grades.csv)" };
        export.AcceptOnlyFromAmong("csv", "canvas", "moodle", "nbgrader");
        var to = new Option<string?>("--to") { Description = "File to write the export to (default: standard output)" };
        var due = new Option<string?>("--due") { Description = "The duedate column of the nbgrader export" };
        // Subcommands only: an argument on `gradebook` itself would stand before `merge` in every usage line.
        var show = new Command("show", "Summarise a gradebook (per lab and exercise) or export it for nbgrader, Canvas or Moodle") { db, export, to, due };
        var command = new Command("gradebook", "The class's gradebook: summary, exports, merging shards") { show, CreateMerge() };
        show.SetAction(parse =>
        {
            IReadOnlyList<GradebookEntry> entries;
            try
            {
                using var book = Gradebook.Open(parse.GetValue(db)!, create: false);
                entries = book.Entries();
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                return CommandErrors.Report(e);
            }
            if (parse.GetValue(export) is { } format)
            {
                var text = format switch
                {
                    "canvas" => GradebookExport.Canvas(entries),
                    "moodle" => GradebookExport.Moodle(entries),
                    "nbgrader" => GradebookExport.Nbgrader(entries, parse.GetValue(due)),
                    _ => GradebookExport.Csv(entries),
                };
                if (parse.GetValue(to) is { } file) AtomicFile.WriteAllText(file, text);
                else Console.Out.Write(text);
                return 0;
            }
            Render(entries);
            return 0;
        });
        return command;
    }

    private static Command CreateMerge()
    {
        var sources = new Argument<string[]>("gradebooks") { Description = "Gradebooks to merge (e.g. one per shard)", Arity = ArgumentArity.OneOrMore };
        var into = new Option<string>("--into") { Description = "The merged gradebook (created or added to)", Required = true };
        var command = new Command("merge", "Merge gradebooks (e.g. from `autograde --shard i/n` jobs); the latest grading of a learner's lab wins") { sources, into };
        command.SetAction(parse =>
        {
            try
            {
                var count = Gradebook.Merge(parse.GetValue(sources)!, parse.GetValue(into)!);
                AnsiConsole.MarkupLineInterpolated($"[green]merged[/] {count} submissions into {Path.GetFullPath(parse.GetValue(into)!)}");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                return CommandErrors.Report(e);
            }
        });
        return command;
    }

    private static void Render(IReadOnlyList<GradebookEntry> entries)
    {
        var labs = new Table().RoundedBorder().Title("Labs").AddColumn("Lab").AddColumn(new TableColumn("Submissions").RightAligned())
            .AddColumn(new TableColumn("Mean").RightAligned()).AddColumn(new TableColumn("Median").RightAligned()).AddColumn(new TableColumn("Max").RightAligned())
            .AddColumn(new TableColumn("Late").RightAligned()).AddColumn(new TableColumn("Not graded").RightAligned());
        foreach (var l in GradebookExport.Labs(entries))
            labs.AddRow(l.Lab, l.Submissions.ToString(), $"{l.Mean:0.##}", $"{l.Median:0.##}", $"{l.MaxPoints:0.##}", l.Late.ToString(), l.Failed == 0 ? "0" : $"[red]{l.Failed}[/]");
        AnsiConsole.Write(labs);
        var exercises = new Table().RoundedBorder().Title("Exercises (success = every point)").AddColumn("Lab").AddColumn("Exercise")
            .AddColumn(new TableColumn("Success").RightAligned()).AddColumn(new TableColumn("Mean points").RightAligned());
        foreach (var e in GradebookExport.Exercises(entries))
            exercises.AddRow(new Text(e.Lab), new Text($"{e.Exercise}: {e.Title}"),
                new Markup(e.SuccessRate < 0.5 ? $"[red]{e.SuccessRate:P0}[/]" : $"{e.SuccessRate:P0}"), new Text($"{e.MeanPoints:0.##}/{e.MaxPoints:0.##}"));
        AnsiConsole.Write(exercises);
        foreach (var (lab, bins) in GradebookExport.ScoreDistribution(entries))
        {
            var chart = new BarChart().Width(60).Label($"{Markup.Escape(lab)}: submissions by score");
            for (var k = 0; k < bins.Length; k++) chart.AddItem(k < 9 ? $"{10 * k}–{10 * k + 9} %" : "90–100 %", bins[k], Color.Blue);
            AnsiConsole.Write(chart);
        }
        var success = new BarChart().Width(60).Label("Exercises: share of submissions with every point").WithMaxValue(100);
        foreach (var e in GradebookExport.Exercises(entries))
            success.AddItem(Markup.Escape($"{e.Lab} {e.Exercise}"), Math.Round(100 * e.SuccessRate), e.SuccessRate < 0.5 ? Color.Red : Color.Green);
        if (entries.Count > 0) AnsiConsole.Write(success);
        if (entries.Count == 0) AnsiConsole.MarkupLine("[yellow]the gradebook is empty[/]");
    }
}

/// <summary>Bad input in the class commands: one red line naming the file and what was expected, exit code 2.</summary>
internal static class CommandErrors
{
    public static int Report(Exception e)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
        return 2;
    }
}
