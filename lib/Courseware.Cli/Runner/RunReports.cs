using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Courseware.Cli.Runner;

/// <summary>Machine- and human-readable reports of a run: JUnit XML for CI, summary JSON and Markdown.</summary>
public static class RunReports
{
    /// <summary>JUnit XML: one test suite per notebook, one test case per code cell (text made <see cref="ReportText">readable</see>: always valid XML).</summary>
    public static string JUnit(IReadOnlyList<NotebookResult> results)
    {
        results = Shown(results);
        static string X(string? text) => ReportText.Readable(text);
        var suites = new XElement("testsuites",
            new XAttribute("name", "courseware run"),
            new XAttribute("tests", results.Sum(r => Math.Max(1, r.Cells.Count))),
            new XAttribute("failures", results.Sum(r => r.Failures.Count() + (r.Error is null ? 0 : 1))),
            new XAttribute("time", Seconds(TimeSpan.FromTicks(results.Sum(r => r.Duration.Ticks)))));
        foreach (var r in results)
        {
            var suite = new XElement("testsuite",
                new XAttribute("name", X(r.Path)),
                new XAttribute("tests", Math.Max(1, r.Cells.Count)),
                new XAttribute("failures", r.Failures.Count() + (r.Error is null ? 0 : 1)),
                new XAttribute("skipped", r.Cells.Count(c => c.Status == CellStatus.NotRun)),
                new XAttribute("time", Seconds(r.Duration)));
            if (r.Error is not null)
                suite.Add(new XElement("testcase", new XAttribute("name", "load"), new XAttribute("classname", X(r.Path)),
                    new XElement("failure", new XAttribute("message", X(r.Error)), X(r.Error))));
            foreach (var c in r.Cells)
            {
                var testCase = new XElement("testcase",
                    new XAttribute("name", X($"cell {c.Index} ({c.Id})")),
                    new XAttribute("classname", X(r.Path)),
                    new XAttribute("time", Seconds(c.Duration)));
                if (c.Status is CellStatus.Failed or CellStatus.TimedOut)
                    testCase.Add(new XElement("failure",
                        new XAttribute("type", X(c.ErrorName ?? "Error")),
                        new XAttribute("message", X(c.ErrorLine)),
                        X(c.ErrorMessage)));
                else if (c.Status == CellStatus.NotRun)
                    testCase.Add(new XElement("skipped", new XAttribute("message", "not run: an earlier cell failed")));
                suite.Add(testCase);
            }
            suites.Add(suite);
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites).ToString();
    }

    /// <summary>The summary as JSON (notebooks, per-cell status, errors, warnings, times in seconds).</summary>
    public static string SummaryJson(IReadOnlyList<NotebookResult> results)
    {
        results = Shown(results);
        var json = new JsonObject
        {
            ["succeeded"] = results.All(r => r.Succeeded),
            ["notebooks"] = new JsonArray(results.Select(r => (JsonNode?)new JsonObject
            {
                ["path"] = r.Path,
                ["output"] = r.OutputPath,
                ["succeeded"] = r.Succeeded,
                ["error"] = r.Error,
                ["warnings"] = new JsonArray(r.Warnings.Select(w => (JsonNode?)w).ToArray()),
                ["seconds"] = Math.Round(r.Duration.TotalSeconds, 3),
                ["cells"] = new JsonArray(r.Cells.Select(c => (JsonNode?)new JsonObject
                {
                    ["index"] = c.Index,
                    ["id"] = c.Id,
                    ["kernel"] = c.Kernel,
                    ["status"] = c.Status.ToString(),
                    ["errorName"] = c.ErrorName,
                    ["errorMessage"] = c.ErrorMessage,
                    ["seconds"] = Math.Round(c.Duration.TotalSeconds, 3),
                }).ToArray()),
            }).ToArray()),
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>The summary as a Markdown table, with the first failure of each failed notebook and every warning below it.</summary>
    public static string SummaryMarkdown(IReadOnlyList<NotebookResult> results)
    {
        results = Shown(results);
        var sb = new StringBuilder("# courseware run\n\n| Notebook | Cells | Failures | Time (s) | Result |\n|---|---:|---:|---:|---|\n");
        foreach (var r in results)
            sb.Append(CultureInfo.InvariantCulture, $"| {Cell(r.Path)} | {r.Cells.Count} | {r.Failures.Count() + (r.Error is null ? 0 : 1)} | {r.Duration.TotalSeconds:0.0} | {(r.Succeeded ? "ok" : "FAILED")} |\n");
        foreach (var r in results.Where(r => !r.Succeeded))
            sb.Append("\n- ").Append(Cell(r.FailureSummary ?? r.Path));
        foreach (var warning in results.SelectMany(r => r.Warnings))
            sb.Append("\n- warning: ").Append(Cell(warning));
        return sb.Append('\n').ToString();
    }

    /// <summary>
    /// Results as reports show them: paths relative to the current directory when under it (as on the console), also
    /// where a message starts with its notebook's path, so reports hold no machine paths of files in the repository.
    /// </summary>
    internal static IReadOnlyList<NotebookResult> Shown(IReadOnlyList<NotebookResult> results) => results.Select(r =>
    {
        var shown = RunPaths.Display(r.Path);
        string Rebase(string text) => text.StartsWith(r.Path, StringComparison.Ordinal) ? shown + text[r.Path.Length..] : text;
        return r with
        {
            Path = shown,
            OutputPath = r.OutputPath is null ? null : RunPaths.Display(r.OutputPath),
            Error = r.Error is null ? null : Rebase(r.Error),
            Warnings = [.. r.Warnings.Select(Rebase)],
        };
    }).ToList();

    private static string Cell(string text) => ReportText.Readable(text).Replace("|", "\\|").Replace("\n", " ");

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
