using System.CommandLine;
using System.CommandLine.Help;

namespace Courseware.Cli;

/// <summary>The list of subcommands. Each area adds its own line: one file per command under Commands/.</summary>
internal static class CliCommands
{
    /// <summary>
    /// The root command, named `courseware` in every usage line. A RootCommand takes its name from the executable, and
    /// the executable is Courseware.Cli (see the project file), so the root is a plain command with help and version.
    /// </summary>
    public static Command Root()
    {
        var root = new Command("courseware", "Courseware: run, check and grade the course notebooks, and the MLOps tools the labs teach.")
        {
            new HelpOption(), new VersionOption(),
        };
        foreach (var command in All()) root.Subcommands.Add(command);
        return root;
    }

    public static IEnumerable<Command> All() =>
    [
        Commands.RunCommand.Create(),
        Commands.RunCommand.CreateWorker(),
        Commands.MakeLabsCommand.Create(),
        Commands.CheckCommand.Create(),
        Commands.GradeCommand.Create(),
        Commands.ReleaseCommand.Create(),
        Commands.RenderCommand.Create(),
        Commands.StartCommand.Create(),
        Commands.AutogradeCommand.Create(),
        Commands.GradebookCommand.Create(),
        ServerCommand.Create(),
        Commands.ModelsCommand.Create(),
        Commands.EvalCommand.Create(),
        Commands.DriftCommand.Create(),
        Commands.SweepCommand.Create(),
        Commands.AgentCommand.Create(),
        Commands.AuditCommand.Create(),
        Commands.RegistryCommand.Create(),
        Commands.ServeCommand.Create(),
    ];
}
