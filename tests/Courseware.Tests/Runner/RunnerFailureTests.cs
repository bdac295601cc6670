using System.Text.Json.Nodes;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Runner;

/// <summary>Stopping at the first error, per-cell timeout, parameters and the command line.</summary>
public sealed class RunnerFailureTests
{
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
        Assert.Null(NbformatErrors(hang.OutputPath!));
    }

    [Fact]
    public async Task Parameters_are_injected_as_typed_csharp_after_the_parameters_cell_and_replaced_on_an_inplace_rerun()
    {
        // --inplace: the output is the source itself (a copy of the fixture), so the second run reads the first run's output.
        var notebook = Path.Combine(NewOutputFolder(), "parameters.ipynb");
        File.Copy(Fixture("parameters.ipynb"), notebook);
        var first = (await NotebookRunner.RunAsync([new NotebookJob(notebook, notebook)],
            new RunOptions { Parameters = Parameters.Parse(["epochs=3", "learningRate=1", "runName=fast \"run\"", "verbose=true"]) }))[0];

        Assert.True(first.Succeeded, first.FailureSummary);
        Assert.Equal("3|1|fast \"run\"|True|Int32|Double|Boolean\n", Cell(first, "use").Text);
        var cells = ReadJson(notebook)["cells"]!.AsArray().OfType<JsonObject>().ToArray();
        Assert.Equal(["about", "params", "injected-parameters", "use"], cells.Select(c => (string)c["id"]!));
        var injected = cells[2];
        Assert.Equal("injected-parameters", (string?)injected["metadata"]!["tags"]![0]);
        Assert.Equal("// Parameters\nint epochs = 3;\ndouble learningRate = 1d;\nstring runName = \"fast \\\"run\\\"\";\nvar verbose = true;",
            string.Concat(injected["source"]!.AsArray().Select(l => (string?)l)));

        var second = (await NotebookRunner.RunAsync([new NotebookJob(notebook, notebook)],
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
        var courseware = Path.Combine(AppContext.BaseDirectory, "Courseware.Cli"); // the `courseware` apphost under its assembly name
        var (code, output) = Run(courseware, ["run", Fixture("broken.ipynb"), Fixture("nbformat3.ipynb"), Fixture("no-such-folder"), "--out", outDir, "--junit", junit], outDir, TimeSpan.FromMinutes(3));

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
