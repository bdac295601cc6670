using System.CommandLine;
using Courseware.Drift;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware drift`: data drift between two tables, an HTML/JSON report, and a test suite that fails CI.</summary>
internal static class DriftCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("reference") { Description = "Reference data (.csv, .json, .parquet, .arrow)" };
        var current = new Argument<string>("current") { Description = "Current data to compare with the reference" };
        var report = new Option<string?>("--report") { Description = "Write the self-contained HTML report here" };
        var json = new Option<string?>("--json") { Description = "Write the results as JSON here" };
        var tests = new Option<string?>("--tests") { Description = "YAML test suite; exit code 1 when a test FAILs or ERRORs" };
        var driftShare = new Option<double?>("--drift-share") { Description = "Dataset drift when at least this share of columns drifts (default 0.5)" };
        var timeColumn = new Option<string?>("--time-column") { Description = "Date column of the current data: adds drift over windows to the report" };
        var window = new Option<WindowSize>("--window") { Description = "Window size with --time-column: Day, Week or Month", DefaultValueFactory = _ => WindowSize.Month };
        var prometheus = new Option<string?>("--prometheus") { Description = "With --time-column: write the latest window's metrics in Prometheus text format here" };

        var command = new Command("drift", "Compare current data with reference data column by column (Evidently's tests) and run drift checks")
        {
            reference, current, report, json, tests, driftShare, timeColumn, window, prometheus,
        };
        command.SetAction(async (parse, ct) =>
        {
            TestSuite suite;
            Microsoft.Data.Analysis.DataFrame refData, curData;
            try
            {
                suite = parse.GetValue(tests) is { } yaml ? TestSuite.Load(yaml) : new TestSuite([]);
                if (parse.GetValue(driftShare) is { } share)
                    suite = new TestSuite(suite.Tests, suite.Options with { DriftShare = share });
                (refData, curData) = await TableReader.ReadPairAsync(parse.GetValue(reference)!, parse.GetValue(current)!, suite.Options, ct);
                foreach (var (data, path) in new[] { (refData, parse.GetValue(reference)!), (curData, parse.GetValue(current)!) })
                    if (data.Rows.Count == 0) throw new InvalidDataException($"'{path}' has a header but no rows; drift needs data on both sides.");
            }
            catch (Exception e) when (e is IOException or FormatException or ArgumentException or InvalidDataException or NotSupportedException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                return 2;
            }

            TestSuiteResult result;
            MonitoringResult? monitoring = null;
            try
            {
                result = suite.Run(refData, curData);
                if (parse.GetValue(timeColumn) is { } time)
                    monitoring = DriftMonitor.Run(refData, DriftMonitor.Split(curData, time, parse.GetValue(window)), suite.Options);
            }
            catch (ArgumentException e)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                return 2;
            }
            if (parse.GetValue(report) is { } html) result.Report.SaveHtml(html, monitoring);
            if (parse.GetValue(prometheus) is { } metrics)
            {
                if (monitoring is null) { AnsiConsole.MarkupLine("[red]error:[/] --prometheus needs --time-column (the metrics describe the latest window)."); return 2; }
                AtomicFile.WriteAllText(metrics, monitoring.ToPrometheus());
            }
            if (parse.GetValue(json) is { } jsonPath) result.SaveJson(jsonPath);
            Render(result);
            return result.Failed ? 1 : 0;
        });
        return command;
    }

    static void Render(TestSuiteResult result)
    {
        var r = result.Report;
        var table = new Table().AddColumns("column", "type", "test", "score", "threshold", "drift");
        foreach (var c in r.Columns)
            table.AddRow(Markup.Escape(c.Name), c.Type.ToString().ToLowerInvariant(), Markup.Escape(c.TestName ?? "—"),
                c.Result is null ? "—" : Notebooks.Html.FormatNumber(c.Result.Score),
                c.Result is null ? "—" : Notebooks.Html.FormatNumber(c.Result.Threshold),
                c.Error is not null ? $"[yellow]{Markup.Escape(c.Error)}[/]" : c.Drifted ? "[red]DRIFT[/]" : "[green]no[/]");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"{r.NumberOfDriftedColumns} of {r.NumberOfColumns} columns drifted (share {r.ShareOfDriftedColumns:0.###}); dataset drift: {(r.DatasetDrift ? "yes" : "no")}");
        foreach (var w in r.Warnings) AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {w}");
        foreach (var t in result.Results)
        {
            var color = t.Status switch { TestStatus.Success => "green", TestStatus.Warning or TestStatus.Skipped => "yellow", _ => "red" };
            AnsiConsole.MarkupLine($"[{color}]{t.Status.ToString().ToUpperInvariant()}[/] {Markup.Escape(t.Name)}: {Markup.Escape(t.Description)}");
        }
    }
}
