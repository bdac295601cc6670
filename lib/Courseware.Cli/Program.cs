using System.CommandLine;
using Courseware.Cli;

// The `courseware` command. Each subcommand lives in Commands/ and calls library code; no logic here.
var root = new RootCommand("Courseware: run, check and grade the course notebooks, and the MLOps tools the labs teach.");
foreach (var command in CliCommands.All())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
