using System.CommandLine;
using Courseware.Cli.Grading;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware make-labs`: writes labs/ from solutions/ (or, with --check, fails when labs/ are out of date).</summary>
internal static class MakeLabsCommand
{
    public static Command Create()
    {
        var solutions = new Option<string>("--solutions") { Description = "Folder of solution notebooks (the source of truth)", DefaultValueFactory = _ => "solutions" };
        var labs = new Option<string>("--labs") { Description = "Folder the learner labs are written to", DefaultValueFactory = _ => "labs" };
        var check = new Option<bool>("--check") { Description = "Write nothing; exit 1 when a lab is missing or out of date" };
        var command = new Command("make-labs", "Generate the learner labs from the solutions (stubs for solutions, hidden checks removed)") { solutions, labs, check };
        command.SetAction(parse =>
        {
            var checkOnly = parse.GetValue(check);
            try
            {
                var changed = LabMaker.MakeLabs(parse.GetValue(solutions)!, parse.GetValue(labs)!, checkOnly);
                foreach (var path in changed)
                    AnsiConsole.MarkupLine((checkOnly ? "[red]out of date:[/] " : "[green]wrote[/] ") + Markup.Escape(path));
                if (changed.Count == 0) AnsiConsole.MarkupLine("[green]labs are up to date[/]");
                return checkOnly && changed.Count > 0 ? 1 : 0;
            }
            catch (Exception e) when (e is FormatException or Runner.NotebookException or IOException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
