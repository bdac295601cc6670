using System.CommandLine;
using Courseware.Sweeps;
using Courseware.Tracking;

namespace Courseware.Cli.Commands;

/// <summary>`courseware sweep create|stop|resume`: sweeps stored in a tracking store (the library's <see cref="Sweep"/>).</summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var command = new Command("sweep", "Hyperparameter sweeps (W&B sweep files) stored in the tracking store");
        command.Subcommands.Add(CreateCommand());
        command.Subcommands.Add(StateCommand("stop", "Stop handing out configurations; running trials finish", (s, ct) => s.StopAsync(ct)));
        command.Subcommands.Add(StateCommand("resume", "Hand out configurations again", (s, ct) => s.ResumeAsync(ct)));
        return command;
    }

    private static Command CreateCommand()
    {
        var file = new Argument<string>("file") { Description = "W&B sweep file (YAML)" };
        var location = new TrackingLocationOptions("Tracking store holding the sweep");
        var experiment = new Option<string?>("--experiment") { Description = "Experiment holding the sweep (default: the sweep's name, else 'sweeps')" };
        var seed = new Option<int>("--seed") { Description = "Seed of the search", DefaultValueFactory = _ => 0 };
        var warmStart = new Option<string?>("--warm-start")
        {
            Description = "Start the search from earlier finished runs matching this filter (MLflow grammar, e.g. \"params.optimizer = 'adam'\"; \"\" for every run)",
        };
        var warmStartExperiment = new Option<string?>("--warm-start-experiment") { Description = "Experiment the warm-start runs come from (default: the sweep's)" };
        var command = new Command("create", "Store a sweep and print its id (pass it to `courseware agent`)")
        {
            file, experiment, seed, warmStart, warmStartExperiment,
        };
        location.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"error: no sweep file at {path}");
                return 2;
            }
            if (location.TryGet(parse) is not { } where) return 2;
            // --warm-start "" takes every run of the experiment; --warm-start-experiment alone does too.
            var from = parse.GetValue(warmStart) is not null || parse.GetValue(warmStartExperiment) is not null
                ? WarmStart.From(parse.GetValue(warmStartExperiment), parse.GetValue(warmStart)) : null;
            try
            {
                SweepConfig.Load(path); // errors name this file, line and column
                await using var tracker = Tracker.Open(where);
                var sweep = await Sweep.CreateAsync(tracker, await File.ReadAllTextAsync(path, ct), parse.GetValue(experiment), parse.GetValue(seed), from, ct);
                // The id alone on stdout (scripts capture it); what the warm start used and skipped on stderr.
                if (sweep.WarmStart is { } report) await Console.Error.WriteLineAsync(report.ToString());
                Console.WriteLine(sweep.Id);
                return 0;
            }
            catch (SweepConfigException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
            catch (ArgumentException e) when (from is not null)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }
            catch (TrackingException e) when (from is not null && e.Code == TrackingErrorCode.InvalidParameterValue)
            {
                // A malformed --warm-start filter: the parser's message names the position.
                await Console.Error.WriteLineAsync($"error: --warm-start: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static Command StateCommand(string name, string description, Func<Sweep, CancellationToken, Task> change)
    {
        var id = new Argument<string>("sweep-id") { Description = "The id `courseware sweep create` printed" };
        var location = new TrackingLocationOptions("Tracking store holding the sweep");
        var command = new Command(name, description) { id };
        location.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (location.TryGet(parse) is not { } where) return 2;
            await using var tracker = Tracker.Open(where);
            await change(await Sweep.OpenAsync(tracker, parse.GetValue(id)!, ct), ct);
            return 0;
        });
        return command;
    }
}
