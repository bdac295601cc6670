using System.CommandLine;

namespace Courseware.Cli;

/// <summary>The list of subcommands. Each area adds its own line: one file per command under Commands/.</summary>
internal static class CliCommands
{
    public static IEnumerable<Command> All() =>
    [
        Commands.RunCommand.Create(),
        Commands.RunCommand.CreateWorker(),
        Commands.MakeLabsCommand.Create(),
        Commands.CheckCommand.Create(),
        Commands.GradeCommand.Create(),
        Commands.ReleaseCommand.Create(),
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
