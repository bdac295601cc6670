using Courseware.Cli.Server;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Server;

/// <summary>
/// A real tracking server (Kestrel on a free 127.0.0.1 port) over a fresh store: SQLite in a temp folder unless a
/// store is given.
/// </summary>
internal sealed class LiveServer : IAsyncDisposable
{
    private readonly TempFolder _folder;

    private LiveServer(TempFolder folder, ITrackingStore store, TrackingServerHost host)
    {
        _folder = folder;
        Store = store;
        Host = host;
    }

    public ITrackingStore Store { get; }

    public TrackingServerHost Host { get; }

    public string Url => Host.Url;

    /// <summary>A temp folder owned by the server fixture (the SQLite store's folder when it made one).</summary>
    public string Folder => _folder.Path;

    public static async Task<LiveServer> StartAsync(ServerOptions? options = null, Func<string, ITrackingStore>? openStore = null)
    {
        var folder = new TempFolder();
        var store = openStore?.Invoke(folder.Path) ?? SqliteTrackingStore.Open(folder.Path);
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
