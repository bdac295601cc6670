using System.Text.Json.Nodes;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Grading;

/// <summary>make-labs, check and grade on a two-exercise solution (closed-form answers in its checks).</summary>
public sealed class GradingTests
{
    private static readonly string Solution = Fixture("grading/solutions/stats.ipynb");

    private static JsonObject Lab() => JsonNode.Parse(LabMaker.MakeLab(NotebookDocument.Load(Solution)))!.AsObject();

    private static string Source(JsonObject notebook, string id) => NotebookDocument.SourceOf(CellById(notebook, id));

    private static void SetSource(JsonObject notebook, string id, string source) => CellById(notebook, id)["source"] = NotebookDocument.SourceLines(source);

    private static string WriteLearner(JsonObject lab)
    {
        var path = Path.Combine(NewOutputFolder(), "stats.ipynb");
        File.WriteAllText(path, lab.ToJsonString());
        return path;
    }

    [Fact]
    public void The_lab_has_stubs_no_hidden_checks_no_model_answers_and_checksums()
    {
        var lab = Lab();
        Assert.Equal("double Mean(double[] values)\n{\n    throw new NotImplementedException(\"Exercise not done yet: Mean of a sample\");\n}", Source(lab, "ex1"));
        Assert.Equal("double Variance(double[] values)\n{\n    throw new NotImplementedException(\"Exercise not done yet: Sample variance\");\n}", Source(lab, "ex2"));
        Assert.Equal("if (Mean(xs) != 2.5) throw new Exception($\"Mean(xs) should be 2.5, got {Mean(xs)}\");\nConsole.WriteLine(\"ex1 ok\");", Source(lab, "ex1-check"));
        Assert.DoesNotContain("HIDDEN", lab.ToJsonString());
        Assert.DoesNotContain("SOLUTION", lab.ToJsonString());
        Assert.DoesNotContain(lab["cells"]!.AsArray(), c => (string?)c!["id"] == "ex1-answer");
        Assert.Equal(LabMaker.Checksum("var xs = new[] { 1.0, 2.0, 3.0, 4.0 };"), (string?)CellById(lab, "setup")["metadata"]!["courseware"]!["checksum"]);
        Assert.NotNull(CellById(lab, "ex2-check")["metadata"]!["courseware"]!["checksum"]); // check cells are always locked
        Assert.Null(CellById(lab, "ex1")["metadata"]!["courseware"]!["checksum"]);
        Assert.Equal(LabMaker.MakeLab(NotebookDocument.Load(Solution)), LabMaker.MakeLab(NotebookDocument.Load(Solution))); // deterministic
        // SHA-256 of "" is the well-known e3b0c442…b855.
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", LabMaker.Checksum(""));
    }

    [Theory]
    [InlineData("// BEGIN SOLUTION\nx", "line 1: '// BEGIN SOLUTION' is never closed")]
    [InlineData("x\n// END SOLUTION", "line 2: '// END SOLUTION' without a matching '// BEGIN SOLUTION'")]
    [InlineData("// BEGIN SOLUTION\n// BEGIN HIDDEN CHECKS", "line 2: '// BEGIN HIDDEN CHECKS' inside the '// BEGIN SOLUTION' opened at line 1")]
    public void Malformed_markers_are_reported_with_cell_and_line(string source, string expected)
    {
        var e = Assert.Throws<FormatException>(() => LabMaker.LearnerSource(source, "t", "nb.ipynb: cell 3 (id ex1)"));
        Assert.Equal($"nb.ipynb: cell 3 (id ex1): {expected}", e.Message);
    }

    [Theory]
    [InlineData("value", "#!value --name policy\n// BEGIN SOLUTION\nalpha: 0.05\n// END SOLUTION")]
    [InlineData("csharp", "#!value --name policy\n// BEGIN SOLUTION\nalpha: 0.05\n// END SOLUTION")] // a #!value first line makes it a value cell
    [InlineData("html", "<p>\n// BEGIN HIDDEN CHECKS\nsecret\n// END HIDDEN CHECKS\n</p>")]
    public void Solution_markers_outside_CSharp_are_refused_rather_than_stubbed_into_the_document(string kernel, string source)
    {
        // The stub is a C# throw: in a value cell it would become text of the learner's file, and the check would not see an exercise left to do.
        var cell = new JsonObject
        {
            ["cell_type"] = "code", ["id"] = "policy", ["source"] = source, ["outputs"] = new JsonArray(), ["execution_count"] = null,
            ["metadata"] = NotebookDocument.CodeCellMetadata(kernel),
        };
        var solution = NotebookDocument.FromIpynb("/course/solutions/s.ipynb",
            new JsonObject { ["cells"] = new JsonArray(cell), ["metadata"] = NotebookDocument.VsCodeNotebookMetadata(), ["nbformat"] = 4, ["nbformat_minor"] = 5 }.ToJsonString());
        var e = Assert.Throws<FormatException>(() => LabMaker.MakeLab(solution));
        Assert.Contains("cell 0 (id policy): solution and hidden-check markers work in C# cells only", e.Message);
    }

    [Fact]
    public void Make_labs_writes_then_reports_up_to_date_and_detects_a_stale_lab()
    {
        var labs = NewOutputFolder();
        var solutions = Path.GetDirectoryName(Solution)!;
        Assert.Equal([Path.Combine(labs, "stats.ipynb")], LabMaker.MakeLabs(solutions, labs, checkOnly: false));
        Assert.Empty(LabMaker.MakeLabs(solutions, labs, checkOnly: true));
        File.AppendAllText(Path.Combine(labs, "stats.ipynb"), " ");
        Assert.Single(LabMaker.MakeLabs(solutions, labs, checkOnly: true));
    }

    [Fact]
    public void The_repository_labs_are_up_to_date_with_the_solutions()
    {
        var solutions = Path.Combine(RepoRoot, "solutions");
        if (!Directory.Exists(solutions)) return; // nothing to generate yet
        var stale = LabMaker.MakeLabs(solutions, Path.Combine(RepoRoot, "labs"), checkOnly: true);
        Assert.True(stale.Count == 0, "labs/ are out of date; run `courseware make-labs`: " + string.Join(", ", stale));
    }

    [Fact]
    public async Task Check_and_grade_award_points_per_exercise()
    {
        // Untouched lab: the stubs throw, the run goes to the end, 0 points.
        var untouched = Lab();
        // Partial: ex1 hard-codes the count (passes the visible check, fails the hidden one); ex2 is right; the setup cell was edited.
        var partial = Lab();
        SetSource(partial, "ex1", "double Mean(double[] values) => values.Sum() / 4;");
        SetSource(partial, "ex2", "double Variance(double[] values) { var m = values.Average(); return values.Sum(v => (v - m) * (v - m)) / (values.Length - 1); }");
        SetSource(partial, "setup", "var xs = new[] { 1.0, 2.0, 3.0, 4.0 }; // my note");
        // The learner deleted a check cell and wrote the visible check away: the grader puts the solution's back.
        partial["cells"]!.AsArray().Remove(CellById(partial, "ex2-check"));
        SetSource(partial, "ex1-check", "Console.WriteLine(\"ex1 ok\");");

        var options = new RunOptions { CellTimeout = TimeSpan.FromMinutes(3) };
        var outDir = NewOutputFolder();
        var tasks = new[]
        {
            Grader.GradeAsync(WriteLearner(untouched), Solution, Path.Combine(outDir, "untouched.ipynb"), options),
            Grader.GradeAsync(WriteLearner(partial), Solution, null, options),
        };
        var check = (await Grader.CheckAsync([Solution], null, options)).Single();
        var reports = await Task.WhenAll(tasks);

        Assert.True(check.FullMarks, string.Join("; ", check.Exercises.SelectMany(e => e.Failures)));
        Assert.Equal(3, check.Points);

        var zero = reports[0];
        Assert.Equal([0.0, 0.0], zero.Exercises.Select(e => e.Points));
        Assert.Equal([1.0, 2.0], zero.Exercises.Select(e => e.MaxPoints));
        Assert.Contains("System.NotImplementedException: Exercise not done yet: Mean of a sample", zero.Exercises[0].Failures[0]);
        Assert.Empty(zero.EditedLockedCells);
        Assert.Equal(CellStatus.Succeeded, zero.Run.Cells.Single(c => c.Id == "done").Status); // ran to the end
        Assert.Null(NbformatErrors(zero.Run.OutputPath!));

        var some = reports[1];
        Assert.Equal([0.0, 2.0], some.Exercises.Select(e => e.Points));
        Assert.Contains("Mean of -1, 1, 6 should be 2", some.Exercises[0].Failures[0]);
        Assert.Equal(["setup", "ex1-check", "ex2-check"], some.EditedLockedCells);
        Assert.False(some.FullMarks);
        var json = JsonNode.Parse(some.ToJson())!;
        Assert.Equal(2.0, (double)json["points"]!);
        Assert.Equal(3.0, (double)json["maxPoints"]!);
    }
}
