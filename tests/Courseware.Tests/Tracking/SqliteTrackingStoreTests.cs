using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

/// <summary>The store contract against the embedded SQLite store in a fresh temp folder.</summary>
public sealed class SqliteTrackingStoreTests : TrackingStoreContract
{
    private readonly TempFolder _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() => Task.FromResult<ITrackingStore>(SqliteTrackingStore.Open(_folder.Path));

    protected override Task<ITrackingStore> OpenSameStoreAsync() => OpenStoreAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task Store_folder_holds_a_wal_database_and_reopens_with_its_data()
    {
        var run = await Store.CreateRunAsync("0", "persisted", 1, "u");
        await Store.LogBatchAsync(run.RunId, [new Metric("m", 2.5, 3, 1)], [new Param("p", "v")], []);
        await Store.DisposeAsync();
        Assert.True(File.Exists(System.IO.Path.Combine(_folder.Path, SqliteTrackingStore.DatabaseFileName)));
        Assert.True(Directory.Exists(System.IO.Path.Combine(_folder.Path, "artifacts")));

        await using var reopened = SqliteTrackingStore.Open(_folder.Path);
        var again = await reopened.GetRunAsync(run.RunId);
        Assert.Equal((2.5, "v"), (again.Metric("m"), again.Param("p")));
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={System.IO.Path.Combine(_folder.Path, SqliteTrackingStore.DatabaseFileName)}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
        // Reopen so the base class disposes a live store.
        await InitializeAsync();
    }

    [Fact]
    public async Task Like_is_case_sensitive_and_treats_glob_characters_literally()
    {
        var id = await Store.CreateExperimentAsync("glob");
        foreach (var value in new[] { "a*b", "axb", "A*B", "a?b", "a[b" })
        {
            var run = await Store.CreateRunAsync(id, value, 0, "u");
            await Store.LogBatchAsync(run.RunId, [], [new Param("p", value)], []);
        }
        async Task<string[]> Names(string filter) =>
            (await Store.SearchRunsAsync(new RunQuery([id], filter))).Select(r => r.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["a*b"], await Names("params.p LIKE 'a*b'"));
        Assert.Equal(["a?b"], await Names("params.p LIKE 'a?b'"));
        Assert.Equal(["a[b"], await Names("params.p LIKE 'a[b'"));
        Assert.Equal(["a*b", "a?b", "a[b", "axb"], await Names("params.p LIKE 'a_b'"));
        Assert.Equal(["A*B", "a*b"], await Names("params.p ILIKE 'a*b'"));
    }
}

/// <summary>A temp folder deleted with its contents on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cw-tracking-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
