using System.CommandLine;
using Courseware.Cli.Serving;
using Courseware.Registry;
using Courseware.Serving;
using Courseware.Tracking;

namespace Courseware.Cli.Commands;

/// <summary>
/// <c>courseware serve models:/name@champion [--challenger models:/name@challenger --split 0.1]</c>: serves a registry
/// model of any flavour on 127.0.0.1 until Ctrl+C, following its aliases.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var uri = new Argument<string>("model-uri") { Description = "models:/name@alias, models:/name/3 or models:/name/latest (ONNX, TinyGpt or ML.NET flavour)." };
        var location = new TrackingLocationOptions("Tracking store holding the registry");
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 = any free port).", DefaultValueFactory = _ => 5080 };
        var challenger = new Option<string?>("--challenger") { Description = "A second model URI (e.g. models:/name@challenger) that gets --split of the traffic." };
        var split = new Option<double>("--split") { Description = "Share of requests routed to the challenger (0 to 1).", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the traffic split.", DefaultValueFactory = _ => 0 };
        var watch = new Option<double>("--watch") { Description = "Seconds between alias checks (a moved alias is hot-swapped in); 0 = only on POST /reload.", DefaultValueFactory = _ => 5 };
        var experiment = new Option<string?>("--experiment") { Description = "Log latencies and outcomes to a run in this tracking experiment (e.g. serving)." };
        var command = new Command("serve", "Serve a registry model: POST /predict, POST /feedback, GET /ab, GET /schema, GET /health, GET /metrics, POST /reload.")
            { uri, port, challenger, split, seed, watch, experiment };
        location.AddTo(command);
        command.SetAction(async (r, ct) =>
        {
            try
            {
                var options = new ServingOptions
                {
                    Challenger = r.GetValue(challenger),
                    ChallengerShare = r.GetValue(split),
                    Seed = r.GetValue(seed),
                    WatchInterval = r.GetValue(watch) > 0 ? TimeSpan.FromSeconds(r.GetValue(watch)) : null,
                    Experiment = r.GetValue(experiment),
                };
                await using var s = location.Get(r).Open();
                await using var server = await ModelServer.StartAsync(new ModelRegistry(s), r.GetValue(uri)!, options, r.GetValue(port), ct);
                var service = server.Service;
                static string Describe(string uri, ModelVersion v) => uri == v.Uri ? $"{uri} ({v.Flavor})" : $"{uri} ({v.Uri}, {v.Flavor})";
                Console.WriteLine($"Serving {Describe(service.ChampionUri, service.Champion)}"
                    + (service.Challenger is { } c ? $" and {Describe(service.ChallengerUri!, c)} on {options.ChallengerShare:0.##%} of requests" : "")
                    + $" on {server.Address}" + (service.Log.RunId is { } run ? $"; logging to run {run}" : "") + ". Ctrl+C stops.");
                await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, CancellationToken.None);
                return 0;
            }
            catch (TrackingException e)
            {
                Console.Error.WriteLine($"error ({e.ErrorCode}{(e.Field is null ? "" : ", " + e.Field)}): {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
