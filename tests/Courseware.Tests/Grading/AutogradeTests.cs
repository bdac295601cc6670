using System.Text.Json.Nodes;
using Courseware.Cli.Commands;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Grading;

/// <summary>
/// `courseware autograde` on real worker processes: one batch over every layout (nbgrader, learner folders, Canvas,
/// Moodle recognised by metadata) with a broken, a hanging and a crashing submission; then a resume; then the
/// feedback pages and the gradebook's exports read back.
/// </summary>
public sealed class AutogradeTests
{
    private static readonly string Solution = Fixture("grading/solutions/stats.ipynb");
    private static readonly DateTimeOffset Due = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static JsonObject Lab() => JsonNode.Parse(LabMaker.MakeLab(NotebookDocument.Load(Solution)))!.AsObject();

    private static JsonObject With(params (string Id, string Source)[] sources)
    {
        var lab = Lab();
        foreach (var (id, source) in sources) CellById(lab, id)["source"] = NotebookDocument.SourceLines(source);
        return lab;
    }

    private const string Mean = "double Mean(double[] values) => values.Sum() / values.Length;";
    private const string Variance = "double Variance(double[] values) { var m = values.Average(); return values.Sum(v => (v - m) * (v - m)) / (values.Length - 1); } // <script>alert('cell')</script>";

    private static void Write(string root, string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public async Task A_batch_over_every_layout_survives_broken_hanging_and_crashing_submissions_and_resumes()
    {
        var root = NewOutputFolder();
        var subs = Path.Combine(root, "submissions");
        var solutions = Path.GetDirectoryName(Solution)!;
        var full = With(("ex1", Mean), ("ex2", Variance)).ToJsonString();
        Write(subs, "submitted/alice/stats/stats.ipynb", full);
        Write(subs, "submitted/alice/stats/timestamp.txt", "2030-01-02 10:00:00.000000 UTC\n"); // after the due date
        Write(subs, "bob/stats.ipynb", With(("ex1", "double Mean(double[] values) => throw new Exception(\"<script>alert('error')</script>\");"), ("ex2", Variance)).ToJsonString());
        Write(subs, "doejane_LATE_1234_5678_stats.ipynb", Lab().ToJsonString());            // Canvas, untouched
        Write(subs, "Jane Roe_42_assignsubmission_file/my-work.ipynb", full);              // Moodle; the name does not say which lab
        Write(subs, "eve/stats.ipynb", full[..(full.Length / 2)]);                         // broken JSON
        Write(subs, "mallory/stats.ipynb", With(("ex1", "double Mean(double[] values) { while (true) { } }\nMean(xs);")).ToJsonString()); // hangs
        Write(subs, "trudy/stats.ipynb", With(("ex1", "Environment.Exit(3);")).ToJsonString());                                            // kills its kernel
        Write(subs, "walt/stats.ipynb", With(("ex1", Mean), ("ex2", "for (var i = 0; i < 40; i++) System.IO.File.WriteAllBytes($\"../out/{i}.bin\", new byte[8 << 20]);"))
            .ToJsonString());                                                                                                                 // fills the disk
        Write(subs, "zed/notes.ipynb", """{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}""");                    // no lab

        var labs = LabInfo.FromSolutions(solutions);
        var (found, problems) = Submissions.Find(subs, labs, Due);
        Assert.Contains(problems, p => p.StartsWith(Path.Combine(subs, "zed", "notes.ipynb") + ": not recognised as a lab", StringComparison.Ordinal));
        Assert.Equal(8, found.Count);
        var moodle = found.Single(s => s.LmsId == "42");
        Assert.Equal(("Jane Roe", "stats"), (moodle.Learner, moodle.Lab));
        var canvas = found.Single(s => s.LmsId == "1234");
        Assert.Equal(("doejane", true), (canvas.Learner, canvas.Late));
        Assert.True(found.Single(s => s.Learner == "alice").Late);
        Assert.False(found.Single(s => s.Learner == "bob").Late);

        var outDir = Path.Combine(root, "out");
        var options = new AutogradeOptions { OutDir = outDir, Parallel = 2, CellTimeout = TimeSpan.FromSeconds(10), SubmissionTimeout = TimeSpan.FromMinutes(2), DiskLimitBytes = 32L << 20 };
        var outcomes = (await Autograder.RunAsync(found, labs, options)).ToDictionary(o => o.Submission.Learner);
        Assert.All(outcomes.Values, o => Assert.True(o.Graded));
        string Summary(string learner) => $"{outcomes[learner].Entry.Status} {outcomes[learner].Entry.Points}/{outcomes[learner].Entry.MaxPoints}";
        Assert.Equal("graded 3/3", Summary("alice"));
        Assert.Equal("graded 3/3", Summary("Jane Roe"));
        Assert.Equal("graded 2/3", Summary("bob"));
        Assert.Equal("graded 0/3", Summary("doejane"));
        Assert.Equal("unreadable 0/3", Summary("eve"));
        Assert.Contains(Path.Combine(subs, "eve", "stats.ipynb") + ": not valid JSON", outcomes["eve"].Entry.Error);
        Assert.Equal("timeout 0/3", Summary("mallory"));
        Assert.Contains("timed out after 10 s", outcomes["mallory"].Entry.Error);
        Assert.Equal("crashed 0/3", Summary("trudy"));
        Assert.Equal("graded 1/3", Summary("walt")); // stopped at 32 MiB in exercise 2; exercise 1's point stays
        Assert.Contains(outcomes["walt"].Entry.Exercises[1].Failures, f => f.Contains("not run"));
        Assert.DoesNotContain(outcomes.Values, o => o.Entry.InfrastructureFailure);

        // Feedback: everything the learner and the kernel wrote is escaped; the check cells carry the points and the failure.
        var page = File.ReadAllText(Path.Combine(outDir, "feedback", "bob", "stats.html"));
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;error&#39;)&lt;/script&gt;", page);
        Assert.Contains("&lt;script&gt;alert(&#39;cell&#39;)&lt;/script&gt;", page);
        Assert.Contains("Check for ex1: Mean of a sample</b> — exercise <span class=\"fail\">0 / 1 points", page);
        Assert.DoesNotContain("http", page.Replace("http-equiv", ""));
        Assert.Contains("The notebook could not be read", File.ReadAllText(Path.Combine(outDir, "feedback", "eve", "stats.html")));
        if (File.Exists("/usr/bin/chromium"))
        {
            var (code, dom) = Run("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + Path.Combine(outDir, "feedback", "bob", "stats.html")], root, TimeSpan.FromMinutes(1));
            Assert.Equal(0, code);
            Assert.Contains("Total: 2 / 3 points", dom);
            Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        }

        // Resume: nothing changed, nothing graded; a changed file is graded again. --fail-under 50 fails (doejane has 0%).
        var args = new[] { subs, "--solutions", solutions, "--out", outDir, "--timeout", "10", "--due", "2030-01-01T00:00:00Z", "--no-feedback", "--disk-mb", "32" };
        Assert.Equal(0, await AutogradeCommand.Create().Parse(args).InvokeAsync());
        Assert.All(await Autograder.RunAsync(found, labs, options), o => Assert.False(o.Graded));
        File.AppendAllText(Path.Combine(subs, "doejane_LATE_1234_5678_stats.ipynb"), "\n");
        Assert.Equal(1, await AutogradeCommand.Create().Parse([.. args, "--fail-under", "50"]).InvokeAsync());
        using (var book = Gradebook.Open(Path.Combine(outDir, "gradebook.db"), create: false))
        {
            var entries = book.Entries();
            Assert.Equal(8, entries.Count);
            Assert.Equal(Submissions.Sha256File(Path.Combine(subs, "doejane_LATE_1234_5678_stats.ipynb")), entries.Single(e => e.Learner == "doejane").Sha256);
            Assert.Equal(["ex1", "ex2"], entries.Single(e => e.Learner == "bob").Exercises.Select(e => e.Exercise));
            Assert.Contains("<script>alert('error')</script>", entries.Single(e => e.Learner == "bob").Exercises[0].Failures[0]);
        }
    }

    [Fact]
    public async Task A_batch_killed_part_way_resumes_where_it_stopped()
    {
        var root = NewOutputFolder();
        var subs = Path.Combine(root, "submissions");
        var full = With(("ex1", Mean), ("ex2", Variance)).ToJsonString();
        foreach (var learner in new[] { "ann", "ben", "cat" }) Write(subs, $"{learner}/stats.ipynb", full);
        string[] args = ["autograde", subs, "--solutions", Path.GetDirectoryName(Solution)!, "--out", Path.Combine(root, "out"), "--parallel", "1", "--no-feedback"];
        var db = Path.Combine(root, "out", "gradebook.db");
        int Stored()
        {
            if (!File.Exists(db)) return 0;
            try
            {
                using var book = Gradebook.Open(db, create: false);
                return book.Entries().Count;
            }
            catch (InvalidDataException)
            {
                return 0; // the batch has made the file but not yet its tables
            }
        }

        // The batch is killed (as a CI job is cancelled) once its first submission is in the gradebook.
        var info = new System.Diagnostics.ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Courseware.Cli")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using (var batch = System.Diagnostics.Process.Start(info)!)
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (Stored() == 0 && !batch.HasExited && DateTime.UtcNow < deadline) await Task.Delay(100);
            batch.Kill(entireProcessTree: true);
            await batch.WaitForExitAsync();
        }
        var before = Stored();
        Assert.InRange(before, 1, 2);

        var (code, output) = RunCourseware(args, root);
        Assert.Equal(0, code);
        Assert.Equal(before, output.Split('\n').Count(l => l.StartsWith("unchanged", StringComparison.Ordinal)));
        Assert.Equal(3 - before, output.Split('\n').Count(l => l.StartsWith("graded ", StringComparison.Ordinal)));
        using var book = Gradebook.Open(db, create: false);
        Assert.All(book.Entries(), e => Assert.Equal((Gradebook.StatusGraded, 3.0), (e.Status, e.Points)));
        Assert.Equal(["ann", "ben", "cat"], book.Entries().Select(e => e.Learner));
    }
}
