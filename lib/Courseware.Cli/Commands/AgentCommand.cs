using System.CommandLine;
using Courseware.Sweeps;
using Courseware.Tracking;

namespace Courseware.Cli.Commands;

/// <summary>
/// `courseware agent &lt;sweep-id&gt; --count N -- &lt;command&gt;`: runs the command once per claimed configuration with
/// <c>--name=value</c> arguments and environment variables (<see cref="SweepProgram"/>), as `wandb agent` does.
/// </summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("sweep-id") { Description = "The id `courseware sweep create` printed" };
        var program = new Argument<string[]>("command") { Description = "After --: the training program and its arguments; it prints `metric: name=value step=n` lines", Arity = ArgumentArity.OneOrMore };
        var count = new Option<int?>("--count") { Description = "Run at most this many trials (default: until the sweep is complete)" };
        var location = new TrackingLocationOptions("Tracking store holding the sweep");
        var heartbeat = new Option<double>("--heartbeat") { Description = "Seconds between heartbeats of a running trial", DefaultValueFactory = _ => 10 };
        var staleAfter = new Option<double>("--stale-after") { Description = "Seconds without heartbeat after which a trial counts as crashed and is taken over", DefaultValueFactory = _ => 120 };
        var command = new Command("agent", "Run trials of a sweep: claim a configuration, run the program with it, record the result") { id, program, count, heartbeat, staleAfter };
        location.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (location.TryGet(parse) is not { } where) return 2;
            var options = new TrackerOptions
            {
                HeartbeatInterval = TimeSpan.FromSeconds(parse.GetValue(heartbeat)),
                StaleAfter = TimeSpan.FromSeconds(parse.GetValue(staleAfter)),
            };
            await using var tracker = Tracker.Open(where, options);
            var sweep = await Sweep.OpenAsync(tracker, parse.GetValue(id)!, ct);
            var commandLine = parse.GetValue(program)!;
            try
            {
                var report = await sweep.RunAgentAsync(parse.GetValue(count), trial => SweepProgram.RunAsync(trial, commandLine, cancellationToken: ct),
                    new AgentOptions { TrialEnded = outcome => Console.Error.WriteLine(outcome) }, ct);
                await Console.Error.WriteLineAsync(report.ToString());
                return 0;
            }
            catch (SweepAgentException e)
            {
                await Console.Error.WriteLineAsync($"{e.Report}\n{e.Message}");
                return 1;
            }
        });
        return command;
    }
}
