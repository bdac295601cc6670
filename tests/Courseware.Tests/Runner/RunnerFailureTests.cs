using System.Text.Json.Nodes;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Runner;

/// <summary>Stopping at the first error, per-cell timeout, parameters and the command line.</summary>
public sealed partial class RunnerFailureTests
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\*\*4\..*?```csharp\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex QuickstartCode();

    [Fact]
    public async Task Without_continue_on_error_the_run_stops_at_the_first_failure_and_a_hanging_cell_is_killed()
    {
        var outDir = NewOutputFolder();
        var results = await NotebookRunner.RunAsync(
            [new NotebookJob(Fixture("errors.ipynb"), Path.Combine(outDir, "errors.ipynb")), new NotebookJob(Fixture("hang.ipynb"), Path.Combine(outDir, "hang.ipynb"))],
            new RunOptions { Parallel = 2, CellTimeout = TimeSpan.FromSeconds(10) });

        var errors = results[0];
        Assert.Equal([CellStatus.Succeeded, CellStatus.Failed, CellStatus.NotRun, CellStatus.NotRun, CellStatus.NotRun, CellStatus.NotRun], errors.Cells.Select(c => c.Status));
        var written = ReadJson(errors.OutputPath!);
        Assert.Null((int?)CellById(written, "after")["execution_count"]);
        Assert.Empty(CellById(written, "after")["outputs"]!.AsArray());

        var hang = results[1];
        Assert.Equal([CellStatus.Succeeded, CellStatus.TimedOut, CellStatus.NotRun], hang.Cells.Select(c => c.Status));
        var hung = Cell(hang, "hangs");
        Assert.Equal("Timeout", hung.ErrorName);
        Assert.StartsWith("cell timed out after 10 s", hung.ErrorMessage);
        Assert.Contains("cell 1 (id hangs) Timeout", hang.FailureSummary);
        Assert.Equal("before the hang\n", Cell(hang, "first").Text);
        // What the cell printed before it was stopped is kept, followed by the timeout error (as papermill does).
        var hungOutputs = CellById(ReadJson(hang.OutputPath!), "hangs")["outputs"]!.AsArray();
        Assert.Equal(["stream", "error"], hungOutputs.Select(o => (string)o!["output_type"]!));
        Assert.Equal("printed before the hang\n", hung.Text);
        Assert.Null(NbformatErrors(hang.OutputPath!));
    }

    [Fact]
    public async Task A_kernel_process_that_dies_is_reported_with_its_stderr_the_cell_and_its_first_line()
    {
        var result = (await NotebookRunner.RunAsync([new NotebookJob(Fixture("crash.ipynb"), null)], new RunOptions()))[0];

        var died = Cell(result, "dies");
        Assert.Equal("KernelCrashed", died.ErrorName);
        Assert.Contains("exit code 3", died.ErrorMessage);
        Assert.Contains("cell 1 (id dies)", died.ErrorMessage);
        Assert.Contains("`var stderr = new System.IO.StreamWriter(Console.OpenStandardError());`", died.ErrorMessage);
        Assert.Contains("dying words from the kernel process", died.ErrorMessage);
        Assert.Equal("alive\n", Cell(result, "alive").Text);
    }

    [Fact]
    public async Task The_quickstart_cell_runs_as_written_and_a_trailing_comment_on_an_r_line_is_accepted()
    {
        // QUICKSTART.md step 4 verbatim, in a notebook one folder below a folder holding build/ (like labs/); then the
        // same #r with a trailing comment, which this kernel version's directive parser throws on (dotnet-repl hangs).
        var code = QuickstartCode().Match(File.ReadAllText(Path.Combine(RepoRoot, "QUICKSTART.md"))).Groups[1].Value;
        Assert.Contains("#r \"../build/Courseware/Courseware.dll\"", code);
        var root = NewOutputFolder();
        Directory.CreateSymbolicLink(Path.Combine(root, "build"), Path.Combine(RepoRoot, "build"));
        Directory.CreateDirectory(Path.Combine(root, "mine"));
        var notebook = NotebookDocument.FromDib(Path.Combine(root, "mine", "first.dib"), "#!csharp\n" + code);
        var commented = (System.Text.Json.Nodes.JsonObject)notebook.Cells[0]!.DeepClone();
        commented["id"] = "commented";
        commented["source"] = NotebookDocument.SourceLines(
            "#r \"../build/Courseware/Courseware.dll\"      // path relative to the notebook's folder\n#i \"nuget: https://api.nuget.org/v3/index.json\" // a // inside quotes stays\n6 * 7");
        notebook.Cells.Add(commented);
        var result = (await NotebookRunner.RunAsync([new NotebookJob(notebook.Path, null, notebook)], new RunOptions()))[0];

        Assert.True(result.Succeeded, result.FailureSummary);
        Assert.Contains("Plotly.newPlot", result.Cells[0].Outputs.ToJsonString());
        Assert.Contains("<pre>42</pre>", result.Cells[1].Text);
    }

    [Fact]
    public async Task Parameters_are_injected_as_typed_csharp_after_the_parameters_cell_and_replaced_on_an_inplace_rerun()
    {
        // --inplace: the output is the source itself (a copy of the fixture), so the second run reads the first run's output.
        var notebook = Path.Combine(NewOutputFolder(), "parameters.ipynb");
        File.Copy(Fixture("parameters.ipynb"), notebook);
        var first = (await NotebookRunner.RunAsync([new NotebookJob(notebook, notebook, InPlace: true)],
            new RunOptions { Parameters = Parameters.Parse(["epochs=3", "learningRate=1", "runName=fast \"run\"", "verbose=true"]) }))[0];

        Assert.True(first.Succeeded, first.FailureSummary);
        Assert.Equal("3|1|fast \"run\"|True|Int32|Double|Boolean\n", Cell(first, "use").Text);
        var cells = ReadJson(notebook)["cells"]!.AsArray().OfType<JsonObject>().ToArray();
        Assert.Equal(["about", "params", "injected-parameters", "use"], cells.Select(c => (string)c["id"]!));
        var injected = cells[2];
        Assert.Equal("injected-parameters", (string?)injected["metadata"]!["tags"]![0]);
        Assert.Equal("// Parameters\nint epochs = 3;\ndouble learningRate = 1d;\nstring runName = \"fast \\\"run\\\"\";\nvar verbose = true;",
            string.Concat(injected["source"]!.AsArray().Select(l => (string?)l)));

        var second = (await NotebookRunner.RunAsync([new NotebookJob(notebook, notebook, InPlace: true)],
            new RunOptions { Parameters = Parameters.Parse(["epochs=7"]) }))[0];
        Assert.Equal("7|0.1|default|False|Int32|Double|Boolean\n", Cell(second, "use").Text);
        Assert.Equal(["about", "params", "injected-parameters", "use"],
            ReadJson(notebook)["cells"]!.AsArray().Select(c => (string)c!["id"]!));
    }

    [Theory]
    [InlineData("5", null, "5")]
    [InlineData("-12", null, "-12")]
    [InlineData("5000000000", null, "5000000000L")]
    [InlineData("2.5", null, "2.5")]
    [InlineData("1e-3", null, "1e-3")]
    [InlineData("true", null, "true")]
    [InlineData("adam", null, "\"adam\"")]
    [InlineData("a\\b\n", null, "\"a\\\\b\\n\"")]
    [InlineData("7", "string", "\"7\"")]
    [InlineData("7", "double", "7d")]
    [InlineData("0.5", "float", "0.5f")]
    [InlineData("9", "long", "9L")]
    public void Literals_are_inferred_or_follow_the_declared_type(string value, string? declared, string expected) =>
        Assert.Equal(expected, Parameters.Literal("x", value, declared));

    [Fact]
    public void Bad_parameters_are_rejected_naming_the_parameter()
    {
        Assert.Contains("'epochs': 'ten' is not a valid int", Assert.Throws<ArgumentException>(() => Parameters.Literal("epochs", "ten", "int")).Message);
        Assert.Contains("parameter 'noequals'", Assert.Throws<ArgumentException>(() => Parameters.Parse(["noequals"])).Message);
        Assert.Contains("parameter '1x=2'", Assert.Throws<ArgumentException>(() => Parameters.Parse(["1x=2"])).Message);
    }

    [Fact]
    public void The_command_writes_summary_and_junit_and_exits_non_zero_when_a_notebook_failed()
    {
        // Inputs that fail before a kernel is needed keep this end-to-end check of the command cheap.
        var outDir = NewOutputFolder();
        var junit = Path.Combine(outDir, "junit.xml");
        var (code, output) = RunCourseware(["run", Fixture("broken.ipynb"), Fixture("nbformat3.ipynb"), Fixture("no-such-folder"), "--out", outDir, "--junit", junit], outDir);

        Assert.Equal(1, code);
        Assert.Contains("FAILED", output);
        var summary = ReadJson(Path.Combine(outDir, "summary.json"));
        Assert.False((bool)summary["succeeded"]!);
        Assert.Equal(3, summary["notebooks"]!.AsArray().Count);
        Assert.Contains("no-such-folder: file or folder not found", File.ReadAllText(Path.Combine(outDir, "summary.md")));
        Assert.Equal(3, System.Xml.Linq.XDocument.Load(junit).Root!.Elements("testsuite").Count());
        Assert.Equal(["junit.xml", "summary.json", "summary.md"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order());
    }
}
