using System.CommandLine;
using Courseware.Cli.Serving;
using Courseware.Registry;
using Courseware.Tracking;

namespace Courseware.Cli.Commands;

/// <summary><c>courseware serve models:/name@champion</c>: serves an ONNX registry model on 127.0.0.1 until Ctrl+C.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var uri = new Argument<string>("model-uri") { Description = "models:/name@alias, models:/name/3 or models:/name/latest (ONNX flavour)." };
        var store = new Option<string>("--store") { Description = "Tracking store folder (SQLite) or PostgreSQL connection string.", DefaultValueFactory = _ => Tracker.DefaultLocation };
        var artifacts = new Option<string>("--artifacts") { Description = "Artifact folder for a PostgreSQL store.", DefaultValueFactory = _ => "artifacts" };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0 = any free port).", DefaultValueFactory = _ => 5080 };
        var command = new Command("serve", "Serve a registry model: POST /predict, GET /health, GET /metrics, POST /reload.") { uri, store, artifacts, port };
        command.SetAction(async (r, ct) =>
        {
            try
            {
                await using var s = RegistryCommand.OpenStore(r.GetValue(store)!, r.GetValue(artifacts)!);
                await using var server = await ModelServer.StartAsync(new ModelRegistry(s), r.GetValue(uri)!, r.GetValue(port), ct);
                Console.WriteLine($"Serving {r.GetValue(uri)} on {server.Address} (POST /predict, GET /health, GET /metrics, POST /reload). Ctrl+C stops.");
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
