using System.CommandLine;
using System.Text.RegularExpressions;
using Courseware.Cli;
using Courseware.Cli.Commands;
using Courseware.Cli.Runner;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Runner;

/// <summary>The `courseware run` command line: options, console output when redirected, report paths, help.</summary>
public sealed partial class RunnerCommandTests
{
    [Fact]
    public void A_redirected_run_prints_one_line_per_notebook_the_parameters_warning_and_relative_paths()
    {
        // One tiny notebook without a parameters cell, run from its parent folder with stdout redirected (as in CI).
        var root = NewOutputFolder();
        CopyFixture("tiny.ipynb", Path.Combine(root, "notebooks"));

        var (code, output) = RunCourseware(["run", "notebooks", "--out", "out", "-p", "x=7", "--timeout", "0"], root);

        Assert.True(code == 0, output);
        Assert.DoesNotContain("%", output);
        Assert.Single(ProgressLine().Matches(output));
        Assert.Matches(@"✓ notebooks/tiny\.ipynb", output);
        const string warning = "notebooks/tiny.ipynb: no cell tagged 'parameters'; the injected-parameters cell was inserted first";
        Assert.Contains(warning, output.ReplaceLineEndings(" ").Replace("  ", " "));
        var summaryMd = File.ReadAllText(Path.Combine(root, "out", "summary.md"));
        Assert.Contains(warning, summaryMd);
        var summary = ReadJson(Path.Combine(root, "out", "summary.json"));
        var notebook = summary["notebooks"]![0]!;
        Assert.Equal("notebooks/tiny.ipynb", (string?)notebook["path"]);
        Assert.Equal("out/tiny.ipynb", (string?)notebook["output"]);
        Assert.Equal(warning, (string?)notebook["warnings"]![0]);
        Assert.DoesNotContain(root, File.ReadAllText(Path.Combine(root, "out", "summary.json")));
        Assert.DoesNotContain(root, summaryMd);
        Assert.Contains("x is 7", ReadJson(Path.Combine(root, "out", "tiny.ipynb")).ToJsonString());
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("NaN")]
    public void A_negative_or_non_finite_timeout_is_an_option_error(string value)
    {
        var (code, output) = RunCourseware(["run", Fixture("tiny.ipynb"), "--out", NewOutputFolder(), "--timeout", value], NewOutputFolder());

        Assert.NotEqual(0, code);
        Assert.Contains($"--timeout: '{value}' is not valid: expected a number of seconds, or 0 for no limit", output);
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void Timeout_zero_means_no_limit()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, CellTimeoutOption.ToTimeSpan(0));
        Assert.Equal(TimeSpan.FromSeconds(2.5), CellTimeoutOption.ToTimeSpan(2.5));
        Assert.Contains("0 = no limit", HelpOf("run"));
    }

    [Fact]
    public void Every_help_names_the_command_courseware()
    {
        var root = CliCommands.Root();
        foreach (var path in Commands(root, []))
        {
            var help = HelpOf([.. path]);
            Assert.DoesNotContain("Courseware.Cli", help);
            Assert.Contains($"Usage:\n  {string.Join(' ', ["courseware", .. path])}", help.ReplaceLineEndings("\n"));
        }
    }

    [Theory]
    [InlineData("System.Exception", "System.Exception: expected 3 runs, found 2\n   at Submission#4", "expected 3 runs, found 2")]
    [InlineData("System.InvalidOperationException", "System.InvalidOperationException: boom", "System.InvalidOperationException: boom")]
    [InlineData("CompilationError", "Microsoft.CodeAnalysis.Scripting.CompilationErrorException: (1,9): error CS0029: Cannot convert", "(1,9): error CS0029: Cannot convert")]
    [InlineData("CompilationError", "(1,9): error CS0029: Cannot convert", "(1,9): error CS0029: Cannot convert")]
    [InlineData("Timeout", "cell timed out after 5 s", "Timeout: cell timed out after 5 s")]
    public void Failure_lines_drop_the_type_of_plain_failures_and_keep_meaningful_ones(string name, string message, string expected) =>
        Assert.Equal(expected, new CellResult(0, "c", "csharp", CellStatus.Failed, [], name, message, TimeSpan.Zero).ErrorLine);

    private static IEnumerable<string[]> Commands(Command command, string[] path)
    {
        yield return path;
        foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            foreach (var nested in Commands(sub, [.. path, sub.Name]))
                yield return nested;
    }

    private static string HelpOf(params string[] path)
    {
        var output = new StringWriter();
        CliCommands.Root().Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = output });
        return output.ToString();
    }

    [GeneratedRegex(@"^\[\d+/\d+\] ", RegexOptions.Multiline)]
    private static partial Regex ProgressLine();
}
