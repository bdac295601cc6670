using System.Text.Json.Nodes;
using Courseware.Cli;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using Courseware.Tests.Reproducibility;
using YamlDotNet.RepresentationModel;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Grading;

/// <summary>Running a class without a kernel: release, the learner's work copy, shards and merge, the exports, the Classroom workflow.</summary>
public sealed class ClassTests
{
    private static readonly string Solution = Fixture("grading/solutions/stats.ipynb");

    [Fact]
    public void The_release_is_complete_deterministic_and_holds_no_solution_text()
    {
        var root = NewOutputFolder();
        var first = Path.Combine(root, "a");
        var second = Path.Combine(root, "b");
        var files = Release.Write(RepoRoot, first, force: false);
        Assert.Equal(files, Release.Write(RepoRoot, second, force: false));
        var listed = Directory.EnumerateFiles(first, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(first, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files.Order(StringComparer.Ordinal), listed);
        Assert.Equal(listed, Directory.EnumerateFiles(second, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(second, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
        foreach (var file in listed)
            Assert.True(File.ReadAllBytes(Path.Combine(first, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(second, file))), $"{file} differs between two releases");
        Assert.DoesNotContain(Directory.GetFileSystemEntries(root), e => Path.GetFileName(e).StartsWith('.')); // no temp folder left

        foreach (var expected in new[] { "labs/lab-4.3.1-mlflow-setup.ipynb", "lib/Courseware/Courseware.csproj", "datasets/vega/penguins.json", "README.md", "QUICKSTART.md",
                     "LAB_PREP.md", "WORKFLOWS.md", ".config/dotnet-tools.json", "global.json", "Directory.Build.props", "Directory.Packages.props", "Courseware.sln", ".gitignore",
                     Release.ClassroomWorkflow })
            Assert.Contains(expected, listed);
        Assert.DoesNotContain(listed, f => f.StartsWith("solutions/", StringComparison.Ordinal) || f.StartsWith("tests/", StringComparison.Ordinal) || f.Contains("/obj/") || f.Contains("/bin/"));
        Assert.DoesNotContain(@"tests\", File.ReadAllText(Path.Combine(first, "Courseware.sln")));
        Assert.DoesNotContain("work/", File.ReadAllText(Path.Combine(first, ".gitignore")));
        foreach (var doc in new[] { "README.md", "WORKFLOWS.md", "QUICKSTART.md", "LAB_PREP.md" })
            Assert.DoesNotContain("INSTRUCTOR -->", File.ReadAllText(Path.Combine(first, doc)));
        Assert.DoesNotContain("### Instructor: run a class", File.ReadAllText(Path.Combine(first, "WORKFLOWS.md")));

        // Every hidden check line and distinctive solution line of every solution, searched in every file (raw and as JSON text).
        var secrets = Release.SecretLines(RepoRoot);
        var hiddenLines = Directory.GetFiles(Path.Combine(RepoRoot, "solutions"), "*.ipynb").Sum(f => File.ReadAllText(f).Split("BEGIN HIDDEN CHECKS").Length - 1);
        Assert.True(secrets.Count >= hiddenLines, $"only {secrets.Count} secret lines for {hiddenLines} hidden-check blocks");
        Assert.Empty(Release.Leaks(RepoRoot, first));
        foreach (var lab in Directory.GetFiles(Path.Combine(first, "labs")))
            Assert.DoesNotContain("BEGIN HIDDEN CHECKS", File.ReadAllText(lab));
        // The scan finds a leak when there is one.
        File.Copy(Path.Combine(RepoRoot, "solutions", "lab-4.3.1-mlflow-setup.ipynb"), Path.Combine(second, "datasets", "oops.ipynb"));
        Assert.NotEmpty(Release.Leaks(RepoRoot, second));

        var e = Assert.Throws<IOException>(() => Release.Write(RepoRoot, first, force: false));
        Assert.Equal($"{first}: folder is not empty (use --force to replace it)", e.Message);
        File.WriteAllText(Path.Combine(first, "stale.txt"), "x");
        Release.Write(RepoRoot, first, force: true);
        Assert.False(File.Exists(Path.Combine(first, "stale.txt")));
    }

    [Fact]
    public void Start_copies_a_lab_to_work_and_make_labs_never_touches_it()
    {
        var course = NewOutputFolder();
        var labs = Path.Combine(course, "labs");
        var solutions = Path.GetDirectoryName(Solution)!;
        LabMaker.MakeLabs(solutions, labs, checkOnly: false);
        File.Copy(Path.Combine(labs, "stats.ipynb"), Path.Combine(labs, "stats-extra.ipynb"));

        Assert.Contains("names several labs (stats, stats-extra)", Assert.Throws<ArgumentException>(() => LearnerWorkspace.Start(labs, "sta", null, false)).Message);
        Assert.Contains("no such lab", Assert.Throws<FileNotFoundException>(() => LearnerWorkspace.Start(labs, "4.3.9", null, false)).Message);
        var copy = LearnerWorkspace.Start(labs, "stats.ipynb", null, false);
        Assert.Equal(Path.Combine(course, "work", "stats.ipynb"), copy); // same depth as labs/: ../build and ../datasets resolve
        File.WriteAllText(copy, "my work");
        Assert.Contains("you already have a copy", Assert.Throws<IOException>(() => LearnerWorkspace.Start(labs, "stats", null, false)).Message);

        File.AppendAllText(Path.Combine(labs, "stats.ipynb"), " "); // stale: make-labs rewrites labs/ only
        Assert.Single(LabMaker.MakeLabs(solutions, labs, checkOnly: false));
        Assert.Equal("my work", File.ReadAllText(copy));
        LearnerWorkspace.Start(labs, "stats", null, force: true);
        Assert.Equal(File.ReadAllText(Path.Combine(labs, "stats.ipynb")), File.ReadAllText(copy));
        Assert.Contains("work/", File.ReadAllLines(Path.Combine(RepoRoot, ".gitignore")));
    }

    /// <summary>Points from the file itself (no kernel): a stand-in grader for sharding, merging and exports.</summary>
    private static Task<GradeReport> FakeGrade(string learner, string solution, string? output, RunOptions options, CancellationToken stop)
    {
        var text = File.ReadAllText(learner);
        var points = text.Length % 3;
        var run = new NotebookResult(learner, null, [], text.StartsWith('{') ? null : $"{learner}: not valid JSON", TimeSpan.Zero);
        return Task.FromResult(new GradeReport(learner, [new ExerciseScore("ex1", "One", points, 2, points == 2 ? [] : ["ex1-check: wrong"]), new ExerciseScore("ex2", "Two", 1, 1, [])], [], run));
    }

    private static (string Submissions, IReadOnlyList<LabInfo> Labs) TwoLabClass()
    {
        var root = NewOutputFolder();
        var solutions = Path.Combine(root, "solutions");
        Directory.CreateDirectory(solutions);
        File.Copy(Solution, Path.Combine(solutions, "stats.ipynb"));
        File.Copy(Solution, Path.Combine(solutions, "stats2.ipynb"));
        var subs = Path.Combine(root, "submitted");
        for (var i = 0; i < 12; i++)
        {
            Directory.CreateDirectory(Path.Combine(subs, $"learner{i:00}"));
            File.WriteAllText(Path.Combine(subs, $"learner{i:00}", "stats.ipynb"), "{" + new string(' ', i));
            if (i % 3 != 0) File.WriteAllText(Path.Combine(subs, $"learner{i:00}", "stats2.ipynb"), i == 4 ? "broken" : "{" + new string(' ', i + 1));
        }
        return (subs, LabInfo.FromSolutions(solutions));
    }

    private static string Rows(string db)
    {
        using var book = Gradebook.Open(db, create: false);
        return string.Join("\n", book.Entries().Select(e => $"{e.Learner} {e.Lab} {e.File} {e.Sha256} {e.Status} {e.Points}/{e.MaxPoints} " +
            string.Join(",", e.Exercises.Select(x => $"{x.Exercise}={x.Points}/{x.MaxPoints}[{string.Join("|", x.Failures)}]"))));
    }

    [Fact]
    public async Task Shards_merged_equal_the_unsharded_gradebook_and_the_exports_have_the_documented_headers()
    {
        var (subs, labs) = TwoLabClass();
        var (found, problems) = Submissions.Find(subs, labs, null);
        Assert.Empty(problems);
        Assert.Equal(20, found.Count);
        var outDir = NewOutputFolder();
        AutogradeOptions Options(string db, (int, int)? shard) => new() { OutDir = outDir, GradebookPath = Path.Combine(outDir, db), Shard = shard, Feedback = false };
        await Autograder.RunAsync(found, labs, Options("all.db", null), grade: FakeGrade);
        var a = await Autograder.RunAsync(found, labs, Options("a.db", (1, 2)), grade: FakeGrade);
        var b = await Autograder.RunAsync(found, labs, Options("b.db", (2, 2)), grade: FakeGrade);
        Assert.True(a.Count > 0 && b.Count > 0 && a.Count + b.Count == 20, $"{a.Count} + {b.Count}");
        Assert.Empty(a.Select(o => o.Submission.Relative).Intersect(b.Select(o => o.Submission.Relative)));
        Assert.Equal(a.Select(o => o.Submission.Relative), (await Autograder.RunAsync(found, labs, Options("a2.db", (1, 2)), grade: FakeGrade)).Select(o => o.Submission.Relative));
        Assert.Equal(0, await Cli.Commands.GradebookCommand.Create().Parse(["merge", Path.Combine(outDir, "a.db"), Path.Combine(outDir, "b.db"), "--into", Path.Combine(outDir, "merged.db")]).InvokeAsync());
        Assert.Equal(Rows(Path.Combine(outDir, "all.db")), Rows(Path.Combine(outDir, "merged.db")));

        List<GradebookEntry> entries;
        using (var book = Gradebook.Open(Path.Combine(outDir, "merged.db"), create: false)) entries = [.. book.Entries()];
        Assert.Equal(Gradebook.StatusUnreadable, entries.Single(e => e.Learner == "learner04" && e.Lab == "stats2").Status);

        async Task<string[]> Export(string format)
        {
            var file = Path.Combine(outDir, format + ".csv");
            Assert.Equal(0, await Cli.Commands.GradebookCommand.Create().Parse(["show", Path.Combine(outDir, "merged.db"), "--export", format, "--to", file, "--due", "2026-03-01 23:59:00"]).InvokeAsync());
            return File.ReadAllLines(file);
        }
        var nbgrader = await Export("nbgrader");
        Assert.Equal("assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,late_submission_penalty,score,max_score", nbgrader[0]);
        Assert.Equal(1 + 2 * 12, nbgrader.Length); // one row per lab × learner
        var missing = nbgrader.Single(l => l.StartsWith("stats2,", StringComparison.Ordinal) && l.Contains(",learner03,")).Split(',');
        Assert.Equal(["stats2", "2026-03-01 23:59:00", "", "learner03", "", "", "", "0.0", "0.0", "0.0", "3.0"], missing);
        Assert.All(nbgrader, l => Assert.Equal(11, l.Split(',').Length));

        var canvas = await Export("canvas");
        Assert.Equal("Student,ID,SIS User ID,SIS Login ID,Section,stats,stats2", canvas[0]);
        Assert.Equal("    Points Possible,,,,,3,3", canvas[1]);
        Assert.Equal("learner03,,,learner03,,2,", canvas.Single(l => l.StartsWith("learner03,", StringComparison.Ordinal)));
        Assert.Equal(2 + 12, canvas.Length);

        var moodle = await Export("moodle");
        Assert.Equal("User,stats,stats2", moodle[0]);
        Assert.Equal("learner03,2,-", moodle.Single(l => l.StartsWith("learner03,", StringComparison.Ordinal)));

        var csv = await Export("csv");
        Assert.Equal("learner,lab,lms_id,file,sha256,graded_at,submitted_at,late,status,points,max_points,error", csv[0]);
        Assert.Equal(1 + 20, csv.Length);

        var summary = GradebookExport.Exercises(entries);
        Assert.Equal(["stats/ex1", "stats/ex2", "stats2/ex1", "stats2/ex2"], summary.Select(s => $"{s.Lab}/{s.Exercise}"));
        Assert.Equal(1.0, summary[1].SuccessRate);
        Assert.Equal(12, GradebookExport.Labs(entries)[0].Submissions);
        // Each submission lands in the tenth of the points it scored; the bins add up to the submissions.
        foreach (var (lab, bins) in GradebookExport.ScoreDistribution(entries))
        {
            var of = entries.Where(e => e.Lab == lab).ToList();
            Assert.Equal(of.Count, bins.Sum());
            Assert.Equal(of.Count(e => e.MaxPoints > 0 && e.Points == e.MaxPoints), bins[9] - of.Count(e => e.Points < e.MaxPoints && e.Points >= 0.9 * e.MaxPoints));
            Assert.Equal(of.Count(e => e.Points < 0.1 * e.MaxPoints || e.MaxPoints == 0), bins[0]);
        }
    }

    [Fact]
    public async Task A_submission_past_its_timeout_or_an_infrastructure_failure_is_recorded_and_the_batch_goes_on()
    {
        var (subs, labs) = TwoLabClass();
        var found = Submissions.Find(subs, labs, null).Found.Where(s => s.Lab == "stats").Take(3).ToList();
        var outDir = NewOutputFolder();
        static async Task<GradeReport> Hang(CancellationToken stop)
        {
            await Task.Delay(Timeout.Infinite, stop); // as the grader does: runs until the submission timeout stops it
            throw new InvalidOperationException("unreachable");
        }
        Task<GradeReport> Grade(string learner, string solution, string? output, RunOptions options, CancellationToken stop) =>
            learner.Contains("learner00") ? Hang(stop)
            : learner.Contains("learner01") ? throw new IOException("disk full")                                 // not the learner's fault
            : FakeGrade(learner, solution, output, options, stop);
        var outcomes = await Autograder.RunAsync(found, labs, new AutogradeOptions { OutDir = outDir, SubmissionTimeout = TimeSpan.FromSeconds(1) }, grade: Grade);
        Assert.Equal(["timeout", "error", "graded"], outcomes.Select(o => o.Entry.Status));
        Assert.Equal((0.0, 3.0), (outcomes[0].Entry.Points, outcomes[0].Entry.MaxPoints));
        Assert.EndsWith("grading took longer than the submission timeout of 1 s and was stopped", outcomes[0].Entry.Error);
        Assert.True(outcomes[1].Entry.InfrastructureFailure);
        Assert.Contains("IOException: disk full", outcomes[1].Entry.Error);
        Assert.Contains("grading took longer than the submission timeout", File.ReadAllText(Path.Combine(outDir, "feedback", "learner00", "stats.html")));
    }

    [Fact]
    public void Bad_input_names_the_file_and_what_was_expected()
    {
        var root = NewOutputFolder();
        var (subs, labs) = TwoLabClass();
        File.WriteAllText(Path.Combine(subs, "loose.ipynb"), "{}");
        Assert.Contains(Submissions.Find(subs, labs, null).Problems, p => p.StartsWith(Path.Combine(subs, "loose.ipynb") + ": cannot tell the learner from the path (expected submitted/", StringComparison.Ordinal));
        Directory.CreateDirectory(Path.Combine(subs, "learner01", "stats2"));
        File.WriteAllText(Path.Combine(subs, "learner01", "stats2", "timestamp.txt"), "yesterday");
        File.WriteAllText(Path.Combine(subs, "learner01", "stats2", "stats2.ipynb"), "{}");
        Assert.Equal($"{Path.Combine(subs, "learner01", "stats2", "timestamp.txt")}: 'yesterday' is not a timestamp (expected nbgrader's form, e.g. 2026-03-01 14:05:00.000000 UTC)",
            Assert.Throws<FormatException>(() => Submissions.Find(subs, labs, null)).Message);
        Assert.Equal("--shard '3/2': expected i/n with 1 ≤ i ≤ n, e.g. 1/4", Assert.Throws<FormatException>(() => Submissions.ParseShard("3/2")).Message);
        var notDb = Path.Combine(root, "x.db");
        File.WriteAllText(notDb, "not sqlite");
        Assert.StartsWith($"{notDb}: not a gradebook", Assert.Throws<InvalidDataException>(() => Gradebook.Open(notDb, create: false)).Message);
        Assert.Equal(2, Cli.Commands.GradebookCommand.Create().Parse(["show", Path.Combine(root, "none.db")]).Invoke());
    }

    [Fact]
    public void The_classroom_workflow_grades_every_lab_and_reports_the_way_classroom_reads_it()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(RepoRoot, Release.ClassroomTemplate))));
        var workflow = (YamlMappingNode)stream.Documents.Single().RootNode;
        var job = (YamlMappingNode)((YamlMappingNode)workflow["jobs"]).Children.Values.Single();
        var steps = ((YamlSequenceNode)job["steps"]).Children.Cast<YamlMappingNode>().ToList();
        foreach (var step in steps)
            Assert.True(step.Children.ContainsKey("run") ^ step.Children.ContainsKey("uses"), $"step '{step}' needs exactly one of run / uses");

        var reporter = steps.Single(s => s.Children.ContainsKey("uses") && s["uses"].ToString().StartsWith("classroom-resources/autograding-grading-reporter@", StringComparison.Ordinal));
        var runners = ((YamlMappingNode)reporter["with"])["runners"].ToString().Split(',').Select(r => r.Trim()).ToList();
        var env = (YamlMappingNode)reporter["env"];
        var labs = Directory.GetFiles(Path.Combine(RepoRoot, "labs"), "*.ipynb").Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.Equal(labs.Count, runners.Count);
        foreach (var runner in runners)
        {
            Assert.Equal($"${{{{steps.{runner}.outputs.result}}}}", env[runner.ToUpperInvariant() + "_RESULTS"].ToString());
            var step = steps.Single(s => s.Children.TryGetValue("id", out var id) && id.ToString() == runner);
            Assert.Contains("--classroom-json", step["run"].ToString());
            Assert.Contains("result=", step["run"].ToString());
        }
        foreach (var lab in labs) Assert.Contains(steps, s => s.Children.ContainsKey("run") && s["run"].ToString().Contains($"{lab}.ipynb"));

        var commands = PipelineWorkflowTests.CommandLines(string.Join("\n", steps.Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString()))).ToList();
        Assert.True(commands.Count >= labs.Count, $"found only {commands.Count} courseware commands");
        var instructor = File.ReadAllText(Path.Combine(RepoRoot, "WORKFLOWS.md")).Split("### Instructor: run a class")[1].Split("<!-- END INSTRUCTOR -->")[0];
        var documented = PipelineWorkflowTests.CommandLines(instructor).ToList();
        Assert.True(documented.Count >= 9, $"found only {documented.Count} courseware commands in WORKFLOWS.md's instructor section");
        commands.AddRange(documented);
        var root = new System.CommandLine.RootCommand();
        foreach (var command in CliCommands.All()) root.Subcommands.Add(command);
        foreach (var line in commands)
        {
            var parse = root.Parse(PipelineWorkflowTests.Words(line)[1..]);
            Assert.True(parse.Errors.Count == 0, $"`{line}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }
    }

    [Fact]
    public void The_classroom_result_has_the_runner_shape()
    {
        var run = new NotebookResult("/w/stats.ipynb", null, [], null, TimeSpan.Zero);
        var report = new GradeReport("/w/stats.ipynb", [new ExerciseScore("ex1", "Mean", 1, 1, []), new ExerciseScore("ex2", "Variance", 0.5, 2, ["ex2-check: wrong"])], [], run);
        var json = JsonNode.Parse(ClassroomResult.Json(report))!;
        Assert.Equal(1, (int)json["version"]!);
        Assert.Equal("fail", (string?)json["status"]);
        Assert.Equal(3.0, (double)json["max_score"]!);
        var tests = json["tests"]!.AsArray();
        Assert.Equal(["pass", "fail"], tests.Select(t => (string?)t!["status"]));
        Assert.Equal(1.5, tests.Sum(t => (double)t!["score"]!));
        foreach (var key in new[] { "name", "status", "score", "message", "test_code", "filename", "line_no", "duration" })
            Assert.All(tests, t => Assert.NotNull(t!.AsObject()[key]));
        Assert.Equal("error", (string?)JsonNode.Parse(ClassroomResult.Json(report with { Run = run with { Error = "x: broken" } }))!["status"]);
    }
}
