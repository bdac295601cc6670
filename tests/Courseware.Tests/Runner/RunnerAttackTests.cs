using System.Xml.Linq;
using Courseware.Cli.Commands;
using Courseware.Cli.Runner;
using Spectre.Console;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Runner;

/// <summary>
/// Attacks on the runner's surfaces, one per test: outputs that land on inputs (every spelling of the same file),
/// hostile text in failure messages (control characters, ANSI colours, Spectre markup), stale outputs.
/// Each is refused or neutralised before anything reaches the disk or the console.
/// </summary>
public sealed class RunnerAttackTests
{
    /// <summary>Ways to name the folder that holds the input notebook as the --out folder.</summary>
    public static TheoryData<string> SameFolderSpellings => new() { "{0}", "{0}/", "{0}/./", "{0}/../{1}", "{link}" };

    [Theory]
    [MemberData(nameof(SameFolderSpellings))]
    public void Output_folder_that_holds_the_input_is_refused_and_the_source_is_untouched(string spelling)
    {
        var root = NewOutputFolder();
        var source = CopyFixture("tiny.ipynb", Path.Combine(root, "solutions"));
        var before = RunnerFixture.Hash(source);
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), Path.Combine(root, "solutions"));
        var outDir = spelling.Replace("{link}", "link").Replace("{0}", "solutions").Replace("{1}", "solutions");

        var (code, output) = RunCourseware(["run", "solutions", "--out", outDir], root);

        Assert.Equal(2, code);
        Assert.Contains("solutions/tiny.ipynb", output);
        Assert.Contains("is an input notebook", output);
        Assert.Equal(before, RunnerFixture.Hash(source));
        Assert.Equal(["tiny.ipynb"], Directory.GetFiles(Path.Combine(root, "solutions")).Select(Path.GetFileName));
    }

    [Fact]
    public void A_junit_report_over_an_input_notebook_is_refused()
    {
        var root = NewOutputFolder();
        var source = CopyFixture("tiny.ipynb", root);
        var before = RunnerFixture.Hash(source);

        var (code, output) = RunCourseware(["run", "tiny.ipynb", "--out", "out", "--junit", "./tiny.ipynb"], root);

        Assert.Equal(2, code);
        Assert.Contains("is an input notebook", output);
        Assert.Equal(before, RunnerFixture.Hash(source));
    }

    [Fact]
    public async Task The_runner_refuses_a_job_whose_output_is_an_input_unless_it_runs_in_place_and_starts_no_worker_for_it()
    {
        var root = NewOutputFolder();
        var first = CopyFixture("tiny.ipynb", Path.Combine(root, "a"));
        var second = CopyFixture("broken.ipynb", Path.Combine(root, "b"));
        var hashes = new[] { RunnerFixture.Hash(first), RunnerFixture.Hash(second) };
        var starts = 0;
        var options = new RunOptions { StartWorker = () => { Interlocked.Increment(ref starts); return WorkerClient.Start(); } };

        // The second job writes over the first's input (through a symlinked folder); the first over its own input without saying so.
        Directory.CreateSymbolicLink(Path.Combine(root, "a-link"), Path.Combine(root, "a"));
        var results = await NotebookRunner.RunAsync(
            [new NotebookJob(first, first), new NotebookJob(second, Path.Combine(root, "a-link", "tiny.ipynb"))], options);

        Assert.All(results, r => Assert.Contains("is an input notebook", r.Error));
        Assert.All(results, r => Assert.Null(r.OutputPath));
        Assert.Equal<string>(hashes, [RunnerFixture.Hash(first), RunnerFixture.Hash(second)]);
        Assert.Equal(0, starts);
    }

    [Fact]
    public void Control_characters_and_markup_in_failure_messages_keep_junit_valid_and_the_console_readable()
    {
        var hostile = "\u001b[31mred text\u001b[0m [bold]not markup[/] nul\0 bell\u0007 lone\ud800 end";
        var cell = new CellResult(0, "c0", "csharp", CellStatus.Failed, [], "System.Exception", "System.Exception: " + hostile + "\n   at Submission#0", TimeSpan.Zero);
        var results = new[]
        {
            new NotebookResult("/nb/[x].ipynb", null, [cell], null, TimeSpan.Zero),
            new NotebookResult("/nb/load.ipynb", null, [], "/nb/load.ipynb: " + hostile, TimeSpan.Zero),
        };

        var xml = XDocument.Parse(RunReports.JUnit(results));
        var failures = xml.Descendants("failure").ToArray();
        Assert.Equal(2, failures.Length);
        foreach (var failure in failures)
        {
            var text = (string)failure.Attribute("message")! + failure.Value;
            Assert.Contains("red text", text);
            Assert.DoesNotContain('\u001b', text); // a char: culture-aware string search ignores control characters
            Assert.DoesNotContain("[31m", text);
            Assert.Contains("nul\\u0000 bell\\u0007 lone\\ud800 end", text);
        }

        var console = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        RunCommand.Render(ansi, results, "/out");
        var shown = console.ToString();
        Assert.Contains("[bold]not markup[/]", shown);
        Assert.Contains("[x].ipynb", shown);
        Assert.DoesNotContain('\u001b', shown);
        Assert.DoesNotContain('\0', shown);
    }

    [Fact]
    public async Task An_unreadable_notebook_leaves_no_executed_copy_of_an_earlier_run_in_the_output_folder()
    {
        var outDir = NewOutputFolder();
        var stale = Path.Combine(outDir, "broken.ipynb");
        File.Copy(Fixture("tiny.ipynb"), stale); // what an earlier, successful run wrote

        var result = (await NotebookRunner.RunAsync([new NotebookJob(Fixture("broken.ipynb"), stale)], new RunOptions()))[0];

        Assert.Contains("not valid JSON", result.Error);
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public async Task A_memory_limit_fails_the_cell_that_allocates_past_it_and_nothing_else()
    {
        var job = new NotebookJob(Fixture("memory.ipynb"), null);
        var limited = (await NotebookRunner.RunAsync([job], new RunOptions { MemoryLimitBytes = 400L << 20, ContinueOnError = true }))[0];
        var free = (await NotebookRunner.RunAsync([job], new RunOptions()))[0];

        Assert.Equal((CellStatus.Failed, "System.OutOfMemoryException"), (Cell(limited, "allocate").Status, Cell(limited, "allocate").ErrorName));
        Assert.Equal(CellStatus.Succeeded, Cell(limited, "after").Status); // the kernel survives its own limit
        Assert.True(free.Succeeded, "without a limit the same gigabyte is fine: " + Cell(free, "allocate").ErrorMessage);
    }

    [Fact]
    public async Task Cancelling_a_run_kills_the_running_cell_at_once_and_keeps_what_it_printed()
    {
        // Stopped two seconds into the hanging cell (the first cell done), with a cell timeout far away.
        using var stop = new CancellationTokenSource();
        var progress = new Progress<RunProgress>(p => { if (p.CellsDone == 1 && p.Result is null) stop.CancelAfter(TimeSpan.FromSeconds(2)); });
        var result = (await NotebookRunner.RunAsync([new NotebookJob(Fixture("hang.ipynb"), null)], new RunOptions { CellTimeout = TimeSpan.FromMinutes(10) }, progress, stop.Token))[0];

        Assert.True(result.Duration < TimeSpan.FromMinutes(2), $"took {result.Duration}");
        var hangs = Cell(result, "hangs");
        Assert.Equal(CellStatus.TimedOut, hangs.Status);
        Assert.Contains("the run was stopped while this cell ran", hangs.ErrorMessage);
        Assert.Contains("printed before the hang", hangs.Outputs.ToJsonString());
        Assert.Equal(CellStatus.NotRun, Cell(result, "never").Status);
    }

    [Fact]
    public void The_sandbox_hides_the_course_even_under_tmp_and_keeps_what_the_worker_needs()
    {
        Assert.Null(Sandbox.Unavailable);
        // A course cloned under /tmp (as a CI job may do), with the worker's program inside it and a second hidden
        // folder inside the program folder (a fixture course inside the test output).
        var root = Path.Combine("/tmp", "cw-sandbox-" + Guid.NewGuid().ToString("N")[..8]);
        string Make(string relative, string text)
        {
            var file = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, text + "\n");
            return file;
        }
        try
        {
            var secret = Make("course/solutions/lab.ipynb", "answers");
            var build = Make("course/build/lib.txt", "library");
            var program = Make("course/bin/worker.txt", "worker");
            var nested = Make("course/bin/fixtures/guarded/solutions/s.txt", "fixture answers");
            var work = Path.Combine(root, "grading");
            Directory.CreateDirectory(work);
            var sandbox = new Sandbox([Path.Combine(root, "course"), Path.Combine(root, "course/bin/fixtures/guarded")],
                [Path.Combine(root, "course/build"), Path.Combine(root, "course/bin")], [work]);
            var script = string.Join("; ", new[] { secret, build, program, nested }.Select(f => $"cat {f} 2>/dev/null || echo missing")) + $"; echo written > {work}/out.txt; (echo x > {root}/course/bin/w) 2>/dev/null || echo read-only";
            var (file, args) = sandbox.Wrap("/bin/sh", ["-c", script]);
            var (code, output) = Run(file, args, "/", TimeSpan.FromMinutes(1));

            Assert.Equal(0, code);
            Assert.Equal(["missing", "library", "worker", "missing", "read-only"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("written\n", File.ReadAllText(Path.Combine(work, "out.txt")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
