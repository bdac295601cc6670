using System.CommandLine;
using Courseware.Cli.Grading;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware start &lt;lab&gt;`: copies a lab into the learner's own work/ folder (which make-labs never touches).</summary>
internal static class StartCommand
{
    public static Command Create()
    {
        var lab = new Argument<string>("lab") { Description = "The lab: its name (lab-4.3.1-mlflow-setup) or a unique prefix (4.3.1)" };
        var labs = new Option<string>("--labs") { Description = "The generated labs folder", DefaultValueFactory = _ => "labs" };
        var work = new Option<string?>("--work") { Description = "Your work folder (default: work/ beside labs/, so ../build and ../datasets resolve)" };
        var force = new Option<bool>("--force") { Description = "Replace your existing copy with a fresh one (your work in it is lost)" };
        var command = new Command("start", "Copy a lab into your own work/ folder to work in; labs/ is generated and may be rewritten") { lab, labs, work, force };
        command.SetAction(parse =>
        {
            try
            {
                var copy = LearnerWorkspace.Start(parse.GetValue(labs)!, parse.GetValue(lab)!, parse.GetValue(work), parse.GetValue(force));
                AnsiConsole.MarkupLineInterpolated($"[green]your copy:[/] {Path.GetRelativePath(Environment.CurrentDirectory, copy)} — open it in VS Code; grade it with `courseware grade {Path.GetRelativePath(Environment.CurrentDirectory, copy)}`");
                return 0;
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
            {
                return CommandErrors.Report(e);
            }
        });
        return command;
    }
}
