using System.CommandLine;
using Courseware.Cli.Commands;
using Courseware.Cli.Server;
using Courseware.Tracking;

namespace Courseware.Cli;

/// <summary><c>courseware server</c>: the MLflow-compatible tracking server and web UI over a tracking store.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var location = new TrackingLocationOptions("Tracking store served");
        var host = new Option<string>("--host") { Description = "Address to bind. Anything but loopback needs --token (or $" + ServerOptions.TokenVariable + ") or --insecure.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port; 0 picks a free one.", DefaultValueFactory = _ => 5000 };
        var token = new Option<string?>("--token") { Description = "Bearer token required on every request (default: $" + ServerOptions.TokenVariable + ")." };
        var insecure = new Option<bool>("--insecure") { Description = "Allow a non-loopback bind without a token." };
        var monitors = new Option<string?>("--monitors") { Description = "Drift monitoring YAML (reference, current data, windows): served as Prometheus gauges at /metrics." };
        var maxArtifact = new Option<long>("--max-artifact-mb")
        {
            Description = "Largest artifact upload accepted, in MiB; bigger ones get 413 (uploads stream to disk).",
            DefaultValueFactory = _ => ServerOptions.DefaultMaxArtifactBytes >> 20,
        };
        var staleAfter = new Option<int>("--stale-after")
        {
            Description = "Seconds without a heartbeat after which the server marks a RUNNING run FAILED.",
            DefaultValueFactory = _ => (int)new ServerOptions().StaleAfter.TotalSeconds,
        };
        var command = new Command("server", "Serve a tracking store over MLflow's REST API, with the web UI.")
            { host, port, token, insecure, monitors, maxArtifact, staleAfter };
        location.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var options = new ServerOptions(parse.GetValue(host)!, parse.GetValue(port),
                parse.GetValue(token) ?? NullIfEmpty(Environment.GetEnvironmentVariable(ServerOptions.TokenVariable)), parse.GetValue(insecure))
            {
                MaxArtifactBytes = parse.GetValue(maxArtifact) << 20,
                StaleAfter = TimeSpan.FromSeconds(parse.GetValue(staleAfter)),
            };
            try
            {
                options.Validate();
                // Monitors are scored before listening: a wrong path, field or column stops the server with its name.
                if (parse.GetValue(monitors) is { } yaml) options = options with { Monitors = await Drift.DriftExporter.LoadAsync(yaml, ct) };
            }
            catch (Exception e) when (e is ArgumentException or FormatException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            ITrackingStore tracking;
            TrackingLocation where;
            try
            {
                where = location.Get(parse);
                tracking = OpenStore(where);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or TrackingException or System.Data.Common.DbException)
            {
                Console.Error.WriteLine($"Cannot open the tracking store: {e.Message}");
                return 1;
            }
            await using var owned = tracking;
            TrackingServerHost server;
            try
            {
                server = await TrackingServerHost.StartAsync(tracking, options, ct);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"Cannot listen on {options.Host}:{options.Port}: {e.Message} Pick another --port, or --port 0 for a free one.");
                return 1;
            }
            await using var hosted = server;
            foreach (var warning in options.Warnings()) Console.Error.WriteLine(warning);
            // The first line is what launchers (TrackingServer.Start) wait for.
            Console.WriteLine($"Listening on {server.Url}");
            Console.WriteLine($"Store: {where}");
            if (options.Token is not null) Console.WriteLine($"Open the UI once with: {server.Url}/?token={Uri.EscapeDataString(options.Token)}");
            if (options.Monitors is { } exporter) Console.WriteLine($"Drift monitors at {server.Url}/metrics: {string.Join(", ", exporter.Config.Monitors.Select(m => m.Name))}");
            Console.Out.Flush();
            try
            {
                // Ctrl+C or SIGTERM reach us through either token, depending on who handles the signal first.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, server.Stopping);
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            return 0;
        });
        return command;
    }

    /// <summary>Opens the store to serve: a folder or a PostgreSQL database, not another server.</summary>
    internal static ITrackingStore OpenStore(TrackingLocation location) => location.Kind == TrackingStoreKind.Server
        ? throw new TrackingException(TrackingErrorCode.InvalidParameterValue,
            $"--store '{location}': the server serves a store folder or a PostgreSQL database, not another server.", "--store")
        : location.Open();

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
