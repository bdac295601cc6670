using Courseware.Cli;

// The `courseware` command. Each subcommand lives in Commands/ and calls library code; no logic here.
return await CliCommands.Root().Parse(args).InvokeAsync();
