using System.Text.Json.Nodes;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Grading;

/// <summary>
/// The cheat catalogue: ways a learner's cells could fool checks that run in the same kernel after them, each graded
/// for real on a small fixture lab (a <c>Check</c> helper in a read-only cell, a check that reads a data file). Every
/// cheat must score 0 on the exercises it targets and, where the grader can name it, be reported by name. All
/// submissions are graded once, concurrently, by the fixture; each test reads its own report. Add new cheats here.
/// </summary>
public sealed class GraderAttackTests(GraderAttackTests.Catalogue graded) : IClassFixture<GraderAttackTests.Catalogue>
{
    private static readonly string Solution = Fixture("guarded/solutions/guarded.ipynb");

    private const string RightMean = "double Mean(double[] values) => values.Sum() / values.Length;";

    private const long DiskLimit = 64L << 20;
    private const string RightLargest = "double Largest(double[] values) => values.Max();";

    /// <summary>Each cheat: the cells the learner wrote, by id (new ids are added cells).</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> Cheats = new()
    {
        ["honest"] = new() { ["ex1"] = RightMean, ["ex2"] = RightLargest },
        // The reported cheat: no work, and a no-op Check that shadows the lab's.
        ["noop-check"] = new()
        {
            ["ex1"] = "void Check(bool condition, string message) { }\ndouble Mean(double[] values) { return default!; }",
            ["ex2"] = "double Largest(double[] values) { return default!; }",
        },
        // A type that shadows System.Math for the hidden check's Math.Abs.
        ["shadow-type"] = new() { ["ex1"] = "class Math { public static double Abs(double x) => 0; }\ndouble Mean(double[] values) => values.Sum() / 4;", ["ex2"] = RightLargest },
        ["shadow-alias"] = new()
        {
            ["ex1"] = "using Math = Lenient;\nstatic class Lenient { public static double Abs(double x) => 0; }\ndouble Mean(double[] values) => values.Sum() / 4;",
            ["ex2"] = RightLargest,
        },
        // Redefining the lab's data so the visible check holds.
        ["shadow-data"] = new() { ["ex1"] = "var numbers = new[] { 2.5 };\ndouble Mean(double[] values) => 2.5;", ["ex2"] = RightLargest },
        // Changing the lab's data in place rather than redefining it.
        ["mutate-data"] = new() { ["ex1"] = "numbers[0] = 1.0;\nnumbers[3] = 5.0;\ndouble Mean(double[] values) => 2.75;", ["ex2"] = RightLargest },
        // Static state a check reads: the tolerance the course's setup keeps in a static class, loosened from the learner's cell.
        ["static-state"] = new()
        {
            ["ex1"] = "Tolerance.Value = 1e9;\ndouble Mean(double[] values) => values.Sum() / 4;",
            ["ex2"] = RightLargest,
        },
        // A grade file of its own making, where the grader might write one.
        ["fake-grade"] = new()
        {
            ["ex1"] = "Directory.CreateDirectory(\"../out/grade\");\nFile.WriteAllText(\"../out/grade/guarded.grade.json\", \"{\\\"points\\\": 3, \\\"maxPoints\\\": 3}\");\ndouble Mean(double[] values) => 0;",
            ["ex2"] = "double Largest(double[] values) => 0;",
        },
        // Reading the solution and deleting the course's data by absolute path (a sandbox hides the course).
        ["absolute-paths"] = new()
        {
            ["ex1"] = $"var answer = File.ReadAllText(@\"{Solution}\");\n" + RightMean,
            ["ex2"] = RightLargest + $"\nFile.Delete(@\"{Fixture("guarded/datasets/numbers.txt")}\");",
        },
        // Filling the disk (up to 640 MiB here, were it not stopped).
        ["fill-disk"] = new()
        {
            ["ex1"] = RightMean,
            ["ex2"] = RightLargest + "\nfor (var i = 0; i < 20; i++) File.WriteAllBytes($\"../out/fill{i}.bin\", new byte[32 << 20]);",
        },
        // Reaching into the kernel (a middleware could turn failed checks into passed ones).
        ["kernel"] = new() { ["ex1"] = RightMean + "\nvar root = Microsoft.DotNet.Interactive.Kernel.Root;", ["ex2"] = RightLargest },
        ["reflection"] = new()
        {
            ["ex1"] = RightMean + "\nvar t = Type.GetType(\"System.Console\")!.GetMethod(\"Beep\", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static);",
            ["ex2"] = RightLargest,
        },
        ["exit"] = new() { ["ex1"] = RightMean + "\nEnvironment.Exit(0);", ["ex2"] = RightLargest },
        // Editing the read-only setup cell into a no-op Check: the lab's setup runs instead.
        ["edit-locked"] = new()
        {
            ["setup"] = "using System.IO;\nvar numbers = new[] { 1.0, 2.0, 3.0, 4.0 };\nvoid Check(bool condition, string message) { }",
            ["ex1"] = "double Mean(double[] values) => 0;",
            ["ex2"] = "double Largest(double[] values) => 0;",
        },
        // Deleting and rewriting check cells: the solution's come back.
        ["edit-checks"] = new() { ["ex1"] = "double Mean(double[] values) => 0;", ["ex1-check"] = "Console.WriteLine(\"ex1 ok\");", ["ex2"] = RightLargest, ["-ex2-check"] = "" },
        // A data file of its own and a changed working directory, so the check that reads the data reads the fake.
        ["working-directory"] = new()
        {
            ["ex1"] = RightMean,
            ["ex2"] = """
                double Largest(double[] values) => 9;
                var fake = Path.Combine(Path.GetTempPath(), "cw-fake-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(Path.Combine(fake, "datasets"));
                Directory.CreateDirectory(Path.Combine(fake, "labs"));
                File.WriteAllText(Path.Combine(fake, "datasets", "numbers.txt"), "9");
                Directory.SetCurrentDirectory(Path.Combine(fake, "labs"));
                """,
        },
        // A value cell's text is not C#, but a #!csharp line inside it starts C# that runs: here a no-op Check, after an
        // unclosed "{" that would make a parser reading the whole cell as C# nest it out of sight.
        ["value-smuggle"] = new()
        {
            ["ex1"] = "#!value --name plan\nplan: { steps: [\n#!csharp\nvoid Check(bool condition, string message) { }\ndouble Mean(double[] values) { return default!; }",
            ["ex2"] = "double Largest(double[] values) { return default!; }",
        },
        // #!set declares a C# variable like `var numbers = …` does: the lab's data, replaced by a directive.
        ["set-directive"] = new() { ["ex1"] = "#!set --name numbers --value 2.5\n" + RightMean, ["ex2"] = RightLargest },
        // #!import runs another notebook's cells, which the grader never reads.
        ["import"] = new() { ["ex1"] = "#!import helpers.dib\n" + RightMean, ["ex2"] = RightLargest },
        // Reading the solution from where it sits in the course, and deleting the data for everyone after.
        ["read-solution"] = new()
        {
            ["ex1"] = "var answer = File.ReadAllText(\"../solutions/guarded.ipynb\");\n" + RightMean,
            ["ex2"] = RightLargest + "\nFile.Delete(\"../datasets/numbers.txt\");",
        },
    };

    /// <summary>Grades every cheat once (concurrently), each saved in its own folder away from the course, as an instructor's submissions are.</summary>
    public sealed class Catalogue : IAsyncLifetime
    {
        public Dictionary<string, GradeReport> Reports { get; } = [];

        public async Task InitializeAsync()
        {
            var lab = JsonNode.Parse(LabMaker.MakeLab(NotebookDocument.Load(Solution)))!.AsObject();
            var submissions = NewOutputFolder();
            var options = new RunOptions { CellTimeout = TimeSpan.FromMinutes(3) };
            var grading = Cheats.Select(async cheat =>
            {
                var learner = (JsonObject)lab.DeepClone();
                foreach (var (id, source) in cheat.Value)
                {
                    if (id.StartsWith('-')) { learner["cells"]!.AsArray().Remove(CellById(learner, id[1..])); continue; }
                    CellById(learner, id)["source"] = NotebookDocument.SourceLines(source);
                }
                var path = Path.Combine(submissions, cheat.Key, "guarded.ipynb");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, learner.ToJsonString());
                return (cheat.Key, await Grader.GradeAsync(path, Solution, null, options, diskLimitBytes: DiskLimit));
            }).ToList();
            foreach (var (name, report) in await Task.WhenAll(grading)) Reports[name] = report;
        }

        public Task DisposeAsync() => Task.CompletedTask;
    }

    private (double Ex1, double Ex2) Points(string cheat) => (graded.Reports[cheat].Exercises[0].Points, graded.Reports[cheat].Exercises[1].Points);

    private IEnumerable<string> Named(string cheat) => (graded.Reports[cheat].Tampering ?? []).Select(t => t.Name);

    [Fact]
    public void Honest_work_saved_anywhere_gets_full_marks_and_no_findings()
    {
        var report = graded.Reports["honest"];
        Assert.True(report.FullMarks, string.Join("; ", report.Exercises.SelectMany(e => e.Failures)) + report.Run.Error);
        Assert.Equal(3, report.Points);
        Assert.Empty(report.Tampering!);
        Assert.EndsWith(Path.Combine("honest", "guarded.ipynb"), report.Notebook);
    }

    [Fact]
    public void A_noop_check_helper_scores_zero_and_is_named()
    {
        Assert.Equal((0.0, 0.0), Points("noop-check"));
        var finding = Assert.Single(graded.Reports["noop-check"].Tampering!);
        Assert.Equal(("ex1", "Check"), (finding.CellId, finding.Name));
        Assert.Equal(["ex1", "ex2"], finding.Exercises);
        Assert.Contains("redefines 'Check' (method)", graded.Reports["noop-check"].Exercises[1].Failures[0]);
    }

    [Theory]
    [InlineData("shadow-type", "Math", 1.0)]
    [InlineData("shadow-alias", "Math", 1.0)]
    [InlineData("shadow-data", "numbers", 0.0)] // the lab's own data: every check relies on it
    public void Shadowing_what_the_checks_use_zeroes_the_exercises_that_use_it(string cheat, string name, double ex2)
    {
        Assert.Equal((0.0, ex2), Points(cheat));
        Assert.Contains(name, Named(cheat));
    }

    [Fact]
    public void Changing_the_labs_data_in_place_is_named_and_scores_nothing()
    {
        Assert.Equal((0.0, 0.0), Points("mutate-data"));
        Assert.Equal(["numbers"], Named("mutate-data"));
    }

    [Fact]
    public void Filling_the_disk_stops_the_cell_at_the_limit_and_keeps_the_points_earned_before()
    {
        var report = graded.Reports["fill-disk"];
        var ex2 = Cell(report.Run, "ex2");
        Assert.Equal("DiskLimit", ex2.ErrorName);
        Assert.Contains("more than 64 MiB", ex2.ErrorMessage);
        Assert.Equal(CellStatus.NotRun, Cell(report.Run, "ex2-check").Status);
        Assert.Equal((2.0, 0.0), Points("fill-disk"));
    }

    [Fact]
    public void Loosening_static_state_a_check_reads_is_named_and_scores_nothing()
    {
        Assert.Equal((0.0, 0.0), Points("static-state"));
        Assert.Equal(["Tolerance"], Named("static-state"));
    }

    [Fact]
    public void Changing_a_library_types_static_state_zeroes_the_exercises_whose_checks_use_it()
    {
        // Limits is no cell's: a type from a referenced library, as DriftStats or DriftOptions are in the labs.
        static JsonObject Code(string id, string source, JsonObject? courseware = null) => new()
        {
            ["cell_type"] = "code", ["id"] = id, ["source"] = source, ["outputs"] = new JsonArray(), ["execution_count"] = null,
            ["metadata"] = courseware is null ? new JsonObject() : new JsonObject { ["courseware"] = courseware },
        };
        var cells = new JsonArray(
            Code("ex1", "double Mean(double[] v)\n{\n    // BEGIN SOLUTION\n    return v.Average();\n    // END SOLUTION\n}", new JsonObject { ["exercise"] = "ex1" }),
            Code("ex1-check", "if (Math.Abs(Mean([1.0, 2.0]) - 1.5) > Limits.Tolerance) throw new Exception(\"mean\");", new JsonObject { ["exercise"] = "ex1", ["points"] = 1 }),
            Code("ex2", "double Max(double[] v)\n{\n    // BEGIN SOLUTION\n    return v.Max();\n    // END SOLUTION\n}", new JsonObject { ["exercise"] = "ex2" }),
            Code("ex2-check", "if (Max([1.0, 2.0]) != 2) throw new Exception(\"max\");", new JsonObject { ["exercise"] = "ex2", ["points"] = 1 }));
        var solution = NotebookDocument.FromIpynb("/course/solutions/s.ipynb", new JsonObject { ["cells"] = cells, ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5 }.ToJsonString());
        var lab = NotebookDocument.FromIpynb(solution.Path, LabMaker.MakeLab(solution));
        var learner = lab.Clone();
        ((JsonObject)learner.Cells[0]!)["source"] = "Limits.Tolerance = 1e9;\ndouble Mean(double[] v) => 0;";

        var finding = Assert.Single(Tampering.Find(solution, lab, learner));
        Assert.Equal(("ex1", "Limits", "changes state of 'Limits', which the checks use"), (finding.CellId, finding.Name, finding.Description));
        Assert.Equal(["ex1"], finding.Exercises);
    }

    [Theory]
    [InlineData("value-smuggle", "Check")]
    [InlineData("set-directive", "numbers")]
    [InlineData("import", "#!import")]
    public void Kernel_directives_and_value_cells_cannot_smuggle_code_or_shadow_what_the_checks_use(string cheat, string name)
    {
        Assert.Equal((0.0, 0.0), Points(cheat));
        var finding = Assert.Single(graded.Reports[cheat].Tampering!, t => t.Name == name);
        Assert.Equal("ex1", finding.CellId);
        Assert.Equal(["ex1", "ex2"], finding.Exercises);
    }

    [Fact]
    public void A_value_the_course_shares_into_CSharp_is_the_courses_and_a_learners_own_value_cell_is_not_code()
    {
        static JsonObject Code(string id, string kernel, string source, JsonObject? courseware = null)
        {
            var metadata = NotebookDocument.CodeCellMetadata(kernel);
            if (courseware is not null) metadata["courseware"] = courseware;
            return new() { ["cell_type"] = "code", ["id"] = id, ["source"] = source, ["outputs"] = new JsonArray(), ["execution_count"] = null, ["metadata"] = metadata };
        }
        // As lab 4.3.6: the course's policy file is a value cell, shared into C# by a read-only cell; the exercise reads it.
        var cells = new JsonArray(
            Code("policy-file", "value", "#!value --name policyYaml\nalpha: 0.05", new JsonObject { ["locked"] = true }),
            Code("policy", "csharp", "#!share --from value policyYaml\nvar alpha = double.Parse(policyYaml.Split(':')[1]);", new JsonObject { ["locked"] = true }),
            Code("ex1", "csharp", "double Twice(double x)\n{\n    // BEGIN SOLUTION\n    return 2 * x;\n    // END SOLUTION\n}", new JsonObject { ["exercise"] = "ex1" }),
            Code("ex1-check", "csharp", "if (Twice(alpha) != 0.1) throw new Exception(\"twice\");", new JsonObject { ["exercise"] = "ex1", ["points"] = 1 }));
        var solution = NotebookDocument.FromIpynb("/course/solutions/s.ipynb", new JsonObject { ["cells"] = cells, ["metadata"] = NotebookDocument.VsCodeNotebookMetadata(), ["nbformat"] = 4, ["nbformat_minor"] = 5 }.ToJsonString());
        var lab = NotebookDocument.FromIpynb(solution.Path, LabMaker.MakeLab(solution));

        // A learner's value cell of notes whose words are forbidden C# names is text, not a reach into the kernel.
        var notes = lab.Clone();
        notes.Cells.Add(Code("my-notes", "value", "#!value --name myNotes\nKernel: AppDomain.Exit(Reflection)\nalpha: 0.05"));
        Assert.Empty(Tampering.Find(solution, lab, notes));

        // A value cell of the learner's that redefines the course's policy file before a later share; and #!share into the course's variable.
        var shadow = lab.Clone();
        shadow.Cells.Add(Code("lax", "value", "#!value --name policyYaml\nalpha: 0.5"));
        shadow.Cells.Add(Code("reshare", "csharp", "#!share --from value myPolicy --as alpha"));
        var findings = Tampering.Find(solution, lab, shadow);
        Assert.Equal([("lax", "policyYaml"), ("reshare", "alpha")], findings.Select(f => (f.CellId, f.Name)));
        Assert.Contains("redefines the value 'policyYaml' (#!value)", findings[0].Description);
        Assert.Contains("redefines 'alpha' (variable (#!share))", findings[1].Description);
    }

    [Fact]
    public void An_experiment_in_an_unlocked_course_cell_is_restored_not_punished_and_a_markdown_cell_turned_code_is_still_read()
    {
        static JsonObject Cell(string id, string type, string kernel, string source, JsonObject? courseware = null)
        {
            var metadata = type == "code" ? NotebookDocument.CodeCellMetadata(kernel) : new JsonObject();
            if (courseware is not null) metadata["courseware"] = courseware;
            var cell = new JsonObject { ["cell_type"] = type, ["id"] = id, ["source"] = source, ["metadata"] = metadata };
            if (type == "code") { cell["outputs"] = new JsonArray(); cell["execution_count"] = null; }
            return cell;
        }
        // As lab 4.3.2: unlocked course cells the prose invites the learner to change and rerun (a sweep file, the data).
        var cells = new JsonArray(
            Cell("grid", "code", "value", "#!value --name gridYaml\nmethod: grid"),
            Cell("data", "code", "csharp", "var numbers = new[] { 1.0, 2.0, 3.0, 4.0 };"),
            Cell("notes", "markdown", "", "Try another sweep file above."),
            Cell("ex1", "code", "csharp", "double Mean(double[] v)\n{\n    // BEGIN SOLUTION\n    return v.Average();\n    // END SOLUTION\n}", new JsonObject { ["exercise"] = "ex1" }),
            Cell("ex1-check", "code", "csharp", "if (Mean(numbers) != 2.5) throw new Exception(gridYaml);", new JsonObject { ["exercise"] = "ex1", ["points"] = 1 }));
        var solution = NotebookDocument.FromIpynb("/course/solutions/s.ipynb", new JsonObject { ["cells"] = cells, ["metadata"] = NotebookDocument.VsCodeNotebookMetadata(), ["nbformat"] = 4, ["nbformat_minor"] = 5 }.ToJsonString());
        var lab = NotebookDocument.FromIpynb(solution.Path, LabMaker.MakeLab(solution));

        var learner = lab.Clone();
        JsonObject Mine(string id) => learner.Cells.OfType<JsonObject>().Single(c => (string?)c["id"] == id);
        Mine("grid")["source"] = "#!value --name gridYaml\nmethod: random";
        Mine("data")["source"] = "var numbers = new[] { 10.0, 20.0 };";
        // The markdown cell's id reused for code: not a course code cell, so it is read like any cell of the learner's.
        Mine("notes")["cell_type"] = "code";
        Mine("notes")["metadata"] = NotebookDocument.CodeCellMetadata("csharp");
        Mine("notes")["source"] = "var numbers = new[] { 2.5 };";

        var findings = Tampering.Find(solution, lab, learner);
        Assert.Equal([("notes", "numbers")], findings.Select(f => (f.CellId, f.Name)));
        Grader.RestoreCourseCells(solution, lab, learner);
        Assert.Equal("#!value --name gridYaml\nmethod: grid", NotebookDocument.SourceOf(Mine("grid")));
        Assert.Equal("var numbers = new[] { 1.0, 2.0, 3.0, 4.0 };", NotebookDocument.SourceOf(Mine("data")));
    }

    [Fact]
    public void A_grade_file_written_by_the_notebook_counts_for_nothing()
    {
        Assert.Equal((0.0, 0.0), Points("fake-grade"));
        Assert.Equal(CellStatus.Succeeded, Cell(graded.Reports["fake-grade"].Run, "ex1").Status); // it wrote its file, into its own folder
    }

    [Theory]
    [InlineData("kernel", "Interactive")]
    [InlineData("reflection", "Reflection")]
    [InlineData("exit", "Exit")]
    public void Reaching_into_the_kernel_runtime_or_process_scores_nothing(string cheat, string name)
    {
        Assert.Equal((0.0, 0.0), Points(cheat));
        Assert.Contains(name, Named(cheat));
    }

    [Fact]
    public void Edited_read_only_and_check_cells_run_as_the_lab_shipped_them()
    {
        Assert.Equal((0.0, 0.0), Points("edit-locked"));
        Assert.Contains("setup", graded.Reports["edit-locked"].EditedLockedCells);
        Assert.Contains("Check failed: Mean(numbers) should be 2.5, got 0", graded.Reports["edit-locked"].Exercises[0].Failures[0]);
        Assert.Equal((0.0, 1.0), Points("edit-checks"));
        Assert.Equal(["ex1-check", "ex2-check"], graded.Reports["edit-checks"].EditedLockedCells);
    }

    [Fact]
    public void A_changed_working_directory_does_not_reach_the_checks()
    {
        Assert.Equal((2.0, 0.0), Points("working-directory"));
        Assert.Contains("Largest should be 4, got 9", graded.Reports["working-directory"].Exercises[1].Failures[0]);
    }

    [Fact]
    public void Submissions_cannot_read_the_solutions_nor_touch_the_course_files()
    {
        var ex1 = Cell(graded.Reports["read-solution"].Run, "ex1");
        Assert.Equal(CellStatus.Failed, ex1.Status);
        Assert.Contains("solutions/guarded.ipynb", ex1.ErrorMessage);
        // The learner deleted its own copy of the data (so its data check fails); the course's file is still there.
        Assert.Equal(0, Points("read-solution").Ex2);
        Assert.True(File.Exists(Fixture("guarded/datasets/numbers.txt")));
        Assert.True(File.Exists(Fixture("guarded/solutions/guarded.ipynb")));
    }

    [Fact]
    public void In_the_sandbox_the_course_is_out_of_reach_even_by_absolute_path()
    {
        Assert.Null(Sandbox.Unavailable); // .ci/run installs bubblewrap; without it grading falls back to the folder alone
        var report = graded.Reports["absolute-paths"];
        Assert.Equal(CellStatus.Failed, Cell(report.Run, "ex1").Status);
        Assert.Contains("guarded.ipynb", Cell(report.Run, "ex1").ErrorMessage);
        Assert.Equal(CellStatus.Failed, Cell(report.Run, "ex2").Status); // nothing to delete there
        Assert.True(File.Exists(Fixture("guarded/datasets/numbers.txt")));
    }

    [Fact]
    public void The_course_cells_of_every_repository_lab_are_not_taken_for_tampering()
    {
        foreach (var path in Directory.EnumerateFiles(Path.Combine(RepoRoot, "solutions"), "*.ipynb"))
        {
            var solution = NotebookDocument.Load(path);
            var lab = NotebookDocument.FromIpynb(path, LabMaker.MakeLab(solution));
            Assert.Empty(Tampering.Find(solution, lab, lab));
            Assert.Empty(Tampering.Find(solution, lab, solution)); // the model answers are not cheats either
        }
    }
}
