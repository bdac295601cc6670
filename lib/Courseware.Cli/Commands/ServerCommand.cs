using System.CommandLine;
using Courseware.Cli.Server;
using Courseware.Tracking;

namespace Courseware.Cli;

/// <summary><c>courseware server</c>: the MLflow-compatible tracking server and web UI over a tracking store.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var store = new Option<string>("--store") { Description = "Tracking store: a folder (SQLite + artifacts, created if missing).", DefaultValueFactory = _ => Tracker.DefaultLocation };
        var host = new Option<string>("--host") { Description = "Address to bind. Anything but loopback needs --token (or $" + ServerOptions.TokenVariable + ") or --insecure.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port; 0 picks a free one.", DefaultValueFactory = _ => 5000 };
        var token = new Option<string?>("--token") { Description = "Bearer token required on every request (default: $" + ServerOptions.TokenVariable + ")." };
        var insecure = new Option<bool>("--insecure") { Description = "Allow a non-loopback bind without a token." };
        var command = new Command("server", "Serve a tracking store over MLflow's REST API, with the web UI.") { store, host, port, token, insecure };
        command.SetAction(async (parse, ct) =>
        {
            var options = new ServerOptions(parse.GetValue(host)!, parse.GetValue(port),
                parse.GetValue(token) ?? NullIfEmpty(Environment.GetEnvironmentVariable(ServerOptions.TokenVariable)), parse.GetValue(insecure));
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            SqliteTrackingStore tracking;
            try
            {
                tracking = SqliteTrackingStore.Open(parse.GetValue(store)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or TrackingException or Microsoft.Data.Sqlite.SqliteException)
            {
                Console.Error.WriteLine($"Cannot open the tracking store '{parse.GetValue(store)}': {e.Message}");
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
            // The first line is what launchers (TrackingServer.Start) wait for.
            Console.WriteLine($"Listening on {server.Url}");
            Console.WriteLine($"Store: {tracking.Folder}");
            if (options.Token is not null) Console.WriteLine($"Open the UI once with: {server.Url}/?token={Uri.EscapeDataString(options.Token)}");
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

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
