using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Runner;

/// <summary>Runs the fixture notebooks once (two at a time, --continue-on-error) for the assertions below.</summary>
public sealed class RunnerFixture
{
    public static readonly string[] Notebooks =
    [
        "basics.ipynb", "errors.ipynb", "nuget.ipynb", "lab/library.ipynb", "sample.dib", "dataframe.ipynb",
        "broken.ipynb", "nbformat3.ipynb", "missing.ipynb",
    ];

    public RunnerFixture()
    {
        OutDir = NewOutputFolder();
        SourceHashes = Notebooks.Where(n => File.Exists(Fixture(n))).ToDictionary(n => n, n => Hash(Fixture(n)));
        var jobs = Notebooks.Select(n => new NotebookJob(Fixture(n), Path.Combine(OutDir, Path.ChangeExtension(n, ".ipynb")))).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Results = NotebookRunner.RunAsync(jobs, new RunOptions { Parallel = 2, ContinueOnError = true, CellTimeout = TimeSpan.FromMinutes(3) })
            .GetAwaiter().GetResult();
        Wall = clock.Elapsed;
    }

    /// <summary>Wall time of the whole run (two notebooks at a time).</summary>
    public TimeSpan Wall { get; }

    public string OutDir { get; }
    public IReadOnlyList<NotebookResult> Results { get; }
    public IReadOnlyDictionary<string, string> SourceHashes { get; }

    public NotebookResult this[string name] => Results[Array.IndexOf(Notebooks, name)];

    public JsonObject Written(string name) => ReadJson(this[name].OutputPath!);

    public static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}

/// <summary>One fixture run shared by the runner and conformance tests.</summary>
[CollectionDefinition(Name)]
public sealed class RunnerCollection : ICollectionFixture<RunnerFixture>
{
    public const string Name = "runner fixtures";
}

[Collection(RunnerCollection.Name)]
public sealed class NotebookRunnerTests(RunnerFixture run)
{
    private static string Text(JsonNode? node) => node switch
    {
        JsonArray a => string.Concat(a.Select(l => (string?)l)),
        JsonValue v => (string?)v ?? "",
        _ => "",
    };

    private static JsonObject[] Outputs(JsonObject cell) => cell["outputs"]!.AsArray().OfType<JsonObject>().ToArray();

    [Fact]
    public void Streams_are_written_as_VS_Code_writes_them()
    {
        var nb = run.Written("basics.ipynb");
        var stdout = Outputs(CellById(nb, "stdout"));
        Assert.Equal("stream", (string?)Assert.Single(stdout)["output_type"]);
        Assert.Equal("stdout", (string?)stdout[0]["name"]);
        Assert.Equal("hello from stdout\n42\n", Text(stdout[0]["text"]));
        var stderr = Assert.Single(Outputs(CellById(nb, "stderr")));
        Assert.Equal("stderr", (string?)stderr["name"]);
        Assert.Equal("warning on stderr\n", Text(stderr["text"]));
    }

    [Fact]
    public void Displays_and_the_trailing_value_are_display_data()
    {
        var nb = run.Written("basics.ipynb");
        var displays = Outputs(CellById(nb, "display"));
        Assert.Equal(2, displays.Length);
        Assert.All(displays, o => Assert.Equal("display_data", (string?)o["output_type"]));
        Assert.Equal("shown with display", Text(displays[0]["data"]!["text/plain"]));
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>[ 1, 2, 3 ]</pre></div>", Text(displays[1]["data"]!["text/html"]));

        var trailing = Assert.Single(Outputs(CellById(nb, "trailing")));
        Assert.Equal("display_data", (string?)trailing["output_type"]);
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>42</pre></div>", Text(trailing["data"]!["text/html"]));
        Assert.Empty(Outputs(CellById(nb, "no-trailing")));
    }

    [Fact]
    public void Html_value_markdown_cells_and_magics_run_on_their_kernels()
    {
        var nb = run.Written("basics.ipynb");
        Assert.Equal("<b>bold</b> text", Text(Assert.Single(Outputs(CellById(nb, "html")))["data"]!["text/html"]));
        Assert.Equal("<i>an html cell</i>", Text(Assert.Single(Outputs(CellById(nb, "html-kernel-cell")))["data"]!["text/html"]));
        Assert.Equal("hello from the value kernel", Text(Assert.Single(Outputs(CellById(nb, "value")))["data"]!["text/plain"]));
        Assert.Contains("HELLO FROM THE VALUE KERNEL", run["basics.ipynb"].Cells.Single(c => c.Id == "share").Text);
        // A value-kernel cell (VS Code's metadata) shared into C# as the labs' sweep files and policies are: a string of 3 lines.
        Assert.Equal("method: grid\nparameters:\n  lr: {values: [0.1, 1]}", Text(Assert.Single(Outputs(CellById(nb, "value-kernel-cell")))["data"]!["text/plain"]));
        Assert.Contains(">3<", Text(Assert.Single(Outputs(CellById(nb, "share-from-value")))["data"]!["text/html"]));
        Assert.Equal("## Heading from a code cell", Text(Assert.Single(Outputs(CellById(nb, "markdown-magic")))["data"]!["text/markdown"]));
    }

    [Fact]
    public void Updated_displays_are_collapsed_to_their_final_state()
    {
        var outputs = Outputs(CellById(run.Written("basics.ipynb"), "updated"));
        Assert.Equal("frame 5", Text(Assert.Single(outputs)["data"]!["text/plain"]));
        // A package restore updates its "Installing packages" display many times: one output must remain at most.
        Assert.True(Outputs(CellById(run.Written("nuget.ipynb"), "restore")).Count(o => (string?)o["output_type"] == "display_data") <= 1);
    }

    [Fact]
    public void Execution_counts_ids_and_metadata_are_kept()
    {
        var source = ReadJson(Fixture("basics.ipynb"));
        var written = run.Written("basics.ipynb");
        Assert.Equal(source["metadata"]!.ToJsonString(), written["metadata"]!.ToJsonString());
        Assert.Equal(4, (int)written["nbformat"]!);
        Assert.Equal(5, (int)written["nbformat_minor"]!);
        var sourceCells = source["cells"]!.AsArray().OfType<JsonObject>().ToArray();
        var writtenCells = written["cells"]!.AsArray().OfType<JsonObject>().ToArray();
        Assert.Equal(sourceCells.Select(c => (string?)c["id"]), writtenCells.Select(c => (string?)c["id"]));
        Assert.Equal(sourceCells.Select(c => c["metadata"]!.ToJsonString()), writtenCells.Select(c => c["metadata"]!.ToJsonString()));
        var counts = writtenCells.Where(c => (string?)c["cell_type"] == "code").Select(c => (int?)c["execution_count"]).ToArray();
        Assert.Equal(Enumerable.Range(1, counts.Length).Select(i => (int?)i), counts);
        Assert.False(writtenCells[0].ContainsKey("outputs")); // markdown cells carry no outputs
        Assert.True(run["basics.ipynb"].Succeeded);
    }

    [Fact]
    public void Compile_and_runtime_errors_name_the_cell_and_cause()
    {
        var result = run["errors.ipynb"];
        var compile = Cell(result, "compile-error");
        Assert.Equal(CellStatus.Failed, compile.Status);
        Assert.Equal("CompilationError", compile.ErrorName);
        Assert.Equal("(1,9): error CS0029: Cannot implicitly convert type 'string' to 'int'", compile.ErrorMessage);
        var runtime = Cell(result, "runtime-error");
        Assert.Equal("System.InvalidOperationException", runtime.ErrorName);
        Assert.StartsWith("System.InvalidOperationException: boom from the notebook", runtime.ErrorMessage);
        Assert.Equal("after the errors\n", Cell(result, "after").Text); // --continue-on-error
        // Compile diagnostics speak for themselves: no type name before them.
        Assert.Equal($"{result.Path}: cell 1 (id compile-error) (1,9): error CS0029: Cannot implicitly convert type 'string' to 'int'", result.FailureSummary);

        var nb = run.Written("errors.ipynb");
        var error = Assert.Single(Outputs(CellById(nb, "compile-error")));
        Assert.Equal("error", (string?)error["output_type"]);
        Assert.Equal("Error", (string?)error["ename"]);
        Assert.Equal(compile.ErrorMessage, (string?)error["evalue"]);
        // The failure is marked: a red banner cell first, and the failed cell's metadata.
        var banner = nb["cells"]!.AsArray()[0]!.AsObject();
        Assert.Equal("courseware-run-error", (string?)banner["id"]);
        Assert.Contains("cell 1 (id compile-error) failed", Text(banner["source"]));
        Assert.Equal("failed", (string?)CellById(nb, "compile-error")["metadata"]!["courseware_run"]!["status"]);
    }

    [Fact]
    public void A_cell_for_a_kernel_we_do_not_host_fails_naming_the_kernel()
    {
        var result = run["errors.ipynb"];
        foreach (var id in new[] { "python-magic", "python-metadata" })
        {
            var cell = Cell(result, id);
            Assert.Equal(CellStatus.Failed, cell.Status);
            Assert.Equal("UnknownKernel", cell.ErrorName);
            Assert.Contains("'python' kernel", cell.ErrorMessage);
        }
        Assert.Equal(CellStatus.Succeeded, Cell(result, "after").Status);
    }

    [Fact]
    public void Nuget_references_and_sources_are_restored()
    {
        var result = run["nuget.ipynb"];
        Assert.True(result.Succeeded, result.FailureSummary);
        Assert.Contains("notebook runner works", Cell(result, "use").Text);
    }

    [Fact]
    public void A_package_kernel_extension_is_loaded_so_a_DataFrame_displays_as_an_html_table()
    {
        // Microsoft.Data.Analysis ships its formatter in interactive-extensions/dotnet, as VS Code and dotnet-repl load it.
        var result = run["dataframe.ipynb"];
        Assert.True(result.Succeeded, result.FailureSummary);
        var html = CellResult.Join(Assert.Single(Cell(result, "frame").Outputs)!["data"]!["text/html"]);
        Assert.Contains("<table", html);
        Assert.Contains("<th>epoch</th>", html);
        Assert.DoesNotContain("<details", html); // the default formatter's object tree
    }

    [Fact]
    public void The_library_loads_with_the_labs_relative_line_and_the_notebook_folder_is_the_working_directory()
    {
        var result = run["lab/library.ipynb"];
        Assert.True(result.Succeeded, result.FailureSummary);
        Assert.Contains("&lt;b&gt;R&amp;D&lt;/b&gt;", Cell(result, "use").Text);
        Assert.Equal("lab\n", Cell(result, "cwd").Text);
        // Library types display as rich HTML through the convention-based formatter (no kernel reference in the library).
        var chart = Cell(result, "chart").Outputs.ToJsonString();
        Assert.Contains("text/html", chart);
        Assert.Contains("Plotly.newPlot", chart);
        Assert.Contains("plotly.js v", chart); // the first chart of the kernel session carries plotly.js itself
        Assert.Contains("lines chart 'rich display' with 1 trace(s)", Cell(result, "chart").Text);
        // A result type carries only the formatter attribute; its table comes from HtmlRenderers, its text from ToString.
        var summary = Cell(result, "result").Outputs.ToJsonString();
        Assert.Contains("cw-table", summary);
        Assert.Contains("acc: 0.81", Cell(result, "result").Text);
        // Values of other types keep the kernel's own formatting.
        Assert.DoesNotContain("cw-table", Cell(result, "plain").Outputs.ToJsonString());
        Assert.Contains("3", Cell(result, "plain").Text);
        // Tensors are created and multiplied in a notebook cell.
        Assert.Contains("10", Cell(result, "torch").Text);
    }

    [Fact]
    public void A_dib_notebook_runs_and_is_written_as_ipynb()
    {
        var result = run["sample.dib"];
        Assert.True(result.Succeeded, result.FailureSummary);
        Assert.EndsWith("sample.ipynb", result.OutputPath);
        var cells = run.Written("sample.dib")["cells"]!.AsArray().OfType<JsonObject>().ToArray();
        Assert.Equal(["markdown", "code", "code"], cells.Select(c => (string)c["cell_type"]!));
        Assert.Equal("1,4,9,16\n", result.Cells[0].Text);
        Assert.Contains("<pre>30</pre>", result.Cells[1].Text);
    }

    [Theory]
    [InlineData("broken.ipynb", "not valid JSON at line 4, column 2: ']' is invalid without a matching open.")]
    [InlineData("nbformat3.ipynb", "nbformat 3 is not supported (expected nbformat 4")]
    [InlineData("missing.ipynb", "file not found")]
    public void Bad_input_is_reported_with_file_and_cause_and_nothing_is_written(string name, string cause)
    {
        var result = run[name];
        Assert.False(result.Succeeded);
        Assert.StartsWith(Fixture(name), result.Error);
        Assert.Contains(cause, result.Error);
        Assert.DoesNotContain("LineNumber", result.Error); // one position, 1-based, ours
        Assert.Null(result.OutputPath);
        Assert.False(File.Exists(Path.Combine(run.OutDir, name)));
    }

    [Fact]
    public void Every_written_notebook_passes_nbformat_validate_and_sources_are_untouched()
    {
        var written = run.Results.Where(r => r.OutputPath is not null).ToArray();
        Assert.Equal(6, written.Length);
        foreach (var r in written)
            Assert.Null(NbformatErrors(r.OutputPath!));
        foreach (var (name, hash) in run.SourceHashes)
            Assert.Equal(hash, RunnerFixture.Hash(Fixture(name)));
        Assert.Empty(Directory.EnumerateFiles(run.OutDir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_notebooks_time_does_not_include_waiting_for_a_free_worker()
    {
        // Two lanes: the notebooks' own times add up to at most twice the run's wall time.
        var total = TimeSpan.FromTicks(run.Results.Sum(r => r.Duration.Ticks));
        Assert.True(total <= run.Wall * 2, $"sum of notebook times {total} > 2 × wall time {run.Wall}");
    }

    [Fact]
    public void JUnit_report_has_a_suite_per_notebook_and_a_failure_per_failed_cell()
    {
        var xml = XDocument.Parse(RunReports.JUnit(run.Results));
        var suites = xml.Root!.Elements("testsuite").ToArray();
        Assert.Equal(RunnerFixture.Notebooks.Length, suites.Length);
        var errors = suites[Array.IndexOf(RunnerFixture.Notebooks, "errors.ipynb")];
        Assert.Equal("4", (string?)errors.Attribute("failures"));
        Assert.Equal(["CompilationError", "System.InvalidOperationException", "UnknownKernel", "UnknownKernel"],
            errors.Elements("testcase").Elements("failure").Select(f => (string)f.Attribute("type")!));
        Assert.Single(suites[Array.IndexOf(RunnerFixture.Notebooks, "broken.ipynb")].Elements("testcase").Elements("failure"));
    }
}
