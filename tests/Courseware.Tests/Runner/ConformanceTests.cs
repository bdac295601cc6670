using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Runner;

/// <summary>
/// Our runner against dotnet-repl 0.3.259 (pinned in .config/dotnet-tools.json), the reference headless
/// .NET Interactive host, on the same fixture notebooks: output types, text and error names/messages must match.
/// Both run every cell after a failure (dotnet-repl always does; our fixture run uses --continue-on-error).
/// </summary>
[Collection(RunnerCollection.Name)]
public sealed partial class ConformanceTests(RunnerFixture run)
{
    public static TheoryData<string> Notebooks => new() { "basics.ipynb", "errors.ipynb", "nuget.ipynb", "lab/library.ipynb", "sample.dib" };

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Outputs_match_dotnet_repl(string name)
    {
        var ours = run.Written(name)["cells"]!.AsArray().OfType<JsonObject>()
            .Where(c => (string?)c["id"] != NotebookRunner.BannerTag).ToArray();
        var reference = RunDotnetRepl(name)["cells"]!.AsArray().OfType<JsonObject>().ToArray();
        Assert.Equal(reference.Length, ours.Length);
        for (var i = 0; i < ours.Length; i++)
        {
            var (mine, theirs) = (ours[i], reference[i]);
            var source = NotebookDocument.SourceOf(mine);
            // dotnet-repl turns a code cell that starts with #!markdown into a markdown cell; VS Code keeps a code cell.
            if (source.StartsWith("#!markdown")) continue;
            Assert.Equal((string?)theirs["cell_type"], (string?)mine["cell_type"]);
            if ((string?)mine["cell_type"] != "code") continue;
            var where = $"{name} cell {i} ({mine["id"]})";
            // dotnet-repl's #!html kernel runs in a Playwright browser whose driver the tool package does not ship,
            // so it fails there; VS Code renders the HTML itself, which is what we write (tested in NotebookRunnerTests).
            if (source.StartsWith("#!html") || (string?)mine["metadata"]!["polyglot_notebook"]!["kernelName"] == "html") continue;

            Assert.True(Streams(theirs) == Streams(mine), $"{where}: streams differ\nours:   {Streams(mine)}\ntheirs: {Streams(theirs)}");
            var mineRest = NonStream(mine);
            var theirsRest = NonStream(theirs);
            if (NotebookDocument.SourceOf(mine).Contains("#!python") || (string?)mine["metadata"]!["polyglot_notebook"]!["kernelName"] == "python")
            {
                // dotnet-repl reports "Unknown magic command '#!python'" (or its own routing error); we name the kernel instead.
                Assert.Equal("error", Assert.Single(theirsRest).Type);
                Assert.Equal("error", Assert.Single(mineRest).Type);
                Assert.Contains("python", Assert.Single(mineRest).Text);
                continue;
            }
            // dotnet-repl keeps every frame of an updated display; we keep the final one: ours must be an ordered
            // subsequence of theirs that ends with the same final frame.
            Assert.True(IsSubsequence(mineRest, theirsRest) && mineRest.LastOrDefault() == theirsRest.LastOrDefault(),
                $"{where}: outputs differ\nours:   {string.Join(" | ", mineRest)}\ntheirs: {string.Join(" | ", theirsRest)}");
        }
    }

    private static JsonObject RunDotnetRepl(string name)
    {
        var output = Path.Combine(NewOutputFolder(), Path.GetFileNameWithoutExtension(name) + ".ipynb");
        var notebook = Fixture(name);
        // The notebook's folder is the working directory (as in VS Code and our runner); the tool manifest is found from the repo root.
        var (code, log) = Run("dotnet", ["tool", "run", "dotnet-repl", "--", "--run", notebook, "--exit-after-run", "--output-path", output, "--output-format", "ipynb"],
            Path.GetDirectoryName(notebook)!, TimeSpan.FromMinutes(4));
        Assert.True(File.Exists(output), $"dotnet-repl wrote no notebook (exit {code}): {log}");
        return ReadJson(output);
    }

    private sealed record Output(string Type, string Text)
    {
        public override string ToString() => $"{Type}: {Text}";
    }

    /// <summary>
    /// All stream text as lines: dotnet-repl writes stdout and stderr together as one stdout stream at the end of the
    /// cell, with a blank line between them; VS Code (and we) write them as separate streams in the order they came.
    /// </summary>
    private static string Streams(JsonObject cell) => string.Join("\n",
        cell["outputs"]!.AsArray().OfType<JsonObject>().Where(o => (string?)o["output_type"] == "stream")
            .SelectMany(o => CellResult.Join(o["text"]).Split('\n')).Where(l => l.Length > 0));

    private static Output[] NonStream(JsonObject cell) =>
        cell["outputs"]!.AsArray().OfType<JsonObject>().Where(o => (string?)o["output_type"] != "stream").Select(o =>
            (string?)o["output_type"] == "error"
                ? new Output("error", $"{o["ename"]}: {Normalise((string?)o["evalue"])}")
                : new Output((string)o["output_type"]!, Normalise(CellResult.Join(o["data"]!["text/plain"] ?? o["data"]!["text/html"]))))
        .ToArray();

    /// <summary>Roslyn numbers submissions; our warm-up submission shifts the numbers by one.</summary>
    private static string Normalise(string? text) => SubmissionNumber().Replace(text ?? "", "Submission#N");

    private static bool IsSubsequence(Output[] sub, Output[] of)
    {
        var j = 0;
        foreach (var item in of)
            if (j < sub.Length && sub[j] == item) j++;
        return j == sub.Length;
    }

    [GeneratedRegex(@"Submission#\d+")]
    private static partial Regex SubmissionNumber();
}
