using Courseware.Cli.Server;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Server;

/// <summary>A real tracking server (Kestrel on a free 127.0.0.1 port) over a fresh SQLite store in a temp folder.</summary>
internal sealed class LiveServer : IAsyncDisposable
{
    private readonly TempFolder _folder;

    private LiveServer(TempFolder folder, SqliteTrackingStore store, TrackingServerHost host)
    {
        _folder = folder;
        Store = store;
        Host = host;
    }

    public SqliteTrackingStore Store { get; }

    public TrackingServerHost Host { get; }

    public string Url => Host.Url;

    public string Folder => _folder.Path;

    public static async Task<LiveServer> StartAsync(ServerOptions? options = null)
    {
        var folder = new TempFolder();
        var store = SqliteTrackingStore.Open(folder.Path);
        var host = await TrackingServerHost.StartAsync(store, options ?? new ServerOptions(Port: 0));
        return new LiveServer(folder, store, host);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Store.DisposeAsync();
        _folder.Dispose();
    }
}
