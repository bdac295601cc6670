using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Courseware.Tracking;
using Npgsql;

namespace Courseware.Tests.Tracking;

/// <summary>The store contract against PostgreSQL: a throwaway cluster per test class, a fresh schema per test.</summary>
[Trait("Category", "Postgres")]
public sealed class PostgresTrackingStoreTests(PostgresCluster cluster) : TrackingStoreContract, IClassFixture<PostgresCluster>
{
    private readonly PostgresStores _stores = new(cluster);

    protected override Task<ITrackingStore> OpenStoreAsync() => _stores.OpenNewAsync();

    protected override Task<ITrackingStore> OpenSameStoreAsync() => Task.FromResult(_stores.OpenSame());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _stores.Dispose();
    }
}

/// <summary>Fresh PostgreSQL stores for a contract test: a new database per test, a second connection to the same one on demand.</summary>
public sealed class PostgresStores(PostgresCluster cluster) : IDisposable
{
    private readonly TempFolder _artifacts = new();
    private string? _connectionString;

    /// <summary>A store over a new, empty database.</summary>
    public async Task<ITrackingStore> OpenNewAsync()
    {
        _connectionString = await cluster.CreateDatabaseAsync();
        return OpenSame();
    }

    /// <summary>Another store over the database of the last <see cref="OpenNewAsync"/>.</summary>
    public ITrackingStore OpenSame() => PostgresTrackingStore.Open(_connectionString!, _artifacts.Path);

    public void Dispose() => _artifacts.Dispose();
}

/// <summary>
/// A private PostgreSQL 15 cluster (initdb + pg_ctl) in a temp folder on a free port, stopped and deleted afterwards.
/// PostgreSQL refuses to run as root, so under root the server runs as the <c>postgres</c> user via <c>runuser</c>.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "cw-pg-" + Guid.NewGuid().ToString("N")[..10]);
    private int _port;
    private bool _started;

    private string DataDirectory => Path.Combine(_root, "data");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "initdb")))
            throw new InvalidOperationException(
                $"PostgreSQL server binaries are not installed ({BinDirectory}/initdb is missing; Debian package postgresql-15). " +
                "Install them, or leave these tests out with --filter \"Category!=Postgres\".");
        Directory.CreateDirectory(_root);
        if (IsRoot) await RunAsync("chown", "postgres:postgres", _root);
        await RunAsPostgresAsync("initdb", "-D", DataDirectory, "-A", "trust", "-U", "postgres", "--locale=C", "-E", "UTF8", "--no-sync");
        _port = FreePort();
        await RunAsPostgresAsync("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60",
            "-o", $"-p {_port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off", "start");
        _started = true;
    }

    /// <summary>Creates an empty schema (much faster than a database) and returns a connection string that uses it.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE SCHEMA {schema}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        return ConnectionString("postgres") + $";Search Path={schema}";
    }

    private string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={_port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=8";

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_started) await RunAsPostgresAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "stop");
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static Task RunAsPostgresAsync(string tool, params string[] args) =>
        IsRoot
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(BinDirectory, tool), .. args])
            : RunAsync(Path.Combine(BinDirectory, tool), args);

    private static async Task RunAsync(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr} {await stdout}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
