using System.CommandLine;
using Courseware.Cli.Grading;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware release &lt;out&gt;`: writes the learner distribution (labs, library, datasets, learner docs; no solutions).</summary>
internal static class ReleaseCommand
{
    public static Command Create()
    {
        var output = new Argument<string>("out") { Description = "Folder to write the learner distribution to (must be empty or absent)" };
        var repo = new Option<string>("--repo") { Description = "The course repository (holding Courseware.sln and solutions/)", DefaultValueFactory = _ => "." };
        var force = new Option<bool>("--force") { Description = "Replace a non-empty output folder" };
        var command = new Command("release", "Write the learner distribution: generated labs, library sources, datasets, learner docs; no solutions or hidden checks") { output, repo, force };
        command.SetAction(parse =>
        {
            try
            {
                var files = Release.Write(parse.GetValue(repo)!, parse.GetValue(output)!, parse.GetValue(force));
                AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {files.Count} files to {Path.GetFullPath(parse.GetValue(output)!)} ({files.Count(f => f.StartsWith("labs/", StringComparison.Ordinal))} labs)");
                return 0;
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidDataException or UnauthorizedAccessException or Runner.NotebookException)
            {
                return CommandErrors.Report(e);
            }
        });
        return command;
    }
}
