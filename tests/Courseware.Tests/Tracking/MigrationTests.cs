using System.Data.Common;
using Courseware.Tracking;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Courseware.Tests.Tracking;

/// <summary>
/// A store written by the schema-1 code (fixtures/store-v1.db, see fixtures/README.md) opens and migrates in place:
/// every experiment, run, param, tag, metric point and latest value survives; the version is recorded; a second open
/// changes nothing; a migration that fails leaves the old store as it was.
/// </summary>
public sealed class SqliteMigrationTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Database => Path.Combine(_folder.Path, SqliteTrackingStore.DatabaseFileName);

    private SqliteConnection CopyFixture()
    {
        File.Copy(V1Snapshot.FixturePath, Database);
        var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        return connection;
    }

    [Fact]
    public async Task A_schema_1_store_migrates_in_place_keeping_every_row_and_a_second_open_is_a_no_op()
    {
        V1Snapshot before;
        using (var connection = CopyFixture()) before = V1Snapshot.Read(connection);
        Assert.Equal((13, 308), (before.Runs.Count, before.History.Values.Sum(h => h.Count)));

        await using (var store = SqliteTrackingStore.Open(_folder.Path)) await before.AssertSameAsync(store);
        BlockSummaries.AssertMatchHistory(Database);
        var (version, schema, rows) = Describe();
        Assert.Equal(2L, version);
        Assert.Contains(", metrics: 308,", rows);
        Assert.DoesNotContain("metrics_v1", schema);

        await using (var store = SqliteTrackingStore.Open(_folder.Path)) await before.AssertSameAsync(store);
        Assert.Equal((version, schema, rows), Describe());
    }

    [Fact]
    public async Task A_migration_that_fails_half_way_leaves_the_schema_1_store_untouched()
    {
        using (var connection = CopyFixture())
        using (var cmd = connection.CreateCommand())
        {
            // An object in the way of a late step (the history index), after the history was already copied.
            cmd.CommandText = "CREATE TABLE ix_latest_asc (x)";
            cmd.ExecuteNonQuery();
        }
        var (version, schema, rows) = Describe();
        Assert.ThrowsAny<Exception>(() => SqliteTrackingStore.Open(_folder.Path));
        Assert.Equal((version, schema, rows), Describe());
        Assert.Equal(1L, version);

        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        using (var cmd = connection.CreateCommand())
        {
            connection.Open();
            cmd.CommandText = "DROP TABLE ix_latest_asc";
            cmd.ExecuteNonQuery();
        }
        V1Snapshot before;
        using (var connection = new SqliteConnection($"Data Source={Database};Pooling=False"))
        {
            connection.Open();
            before = V1Snapshot.Read(connection);
        }
        await using var store = SqliteTrackingStore.Open(_folder.Path);
        await before.AssertSameAsync(store);
    }

    // user_version, every schema object's SQL, and each table's row count.
    private (long Version, string Schema, string Rows) Describe()
    {
        using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        long Scalar(string sql)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            return (long)cmd.ExecuteScalar()!;
        }
        var tables = new List<string>();
        var schema = new System.Text.StringBuilder();
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                schema.AppendLine($"{r.GetString(0)} {r.GetString(1)}: {(r.IsDBNull(2) ? "" : r.GetString(2))}");
                if (r.GetString(0) == "table") tables.Add(r.GetString(1));
            }
        }
        return (Scalar("PRAGMA user_version"), schema.ToString(), string.Join(", ", tables.Select(t => $"{t}: {Scalar($"SELECT COUNT(*) FROM \"{t}\"")}")));
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>The same fixture loaded into a schema-1 PostgreSQL database (the tables of that release), then opened.</summary>
[Trait("Category", "Postgres")]
public sealed class PostgresMigrationTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>, IDisposable
{
    private readonly TempFolder _artifacts = new();

    [Fact]
    public async Task A_schema_1_database_migrates_in_place_keeping_every_row_and_a_second_open_is_a_no_op()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        V1Snapshot before;
        await using (var pg = new NpgsqlConnection(connectionString))
        using (var sqlite = new SqliteConnection($"Data Source={V1Snapshot.FixturePath};Mode=ReadOnly;Pooling=False"))
        {
            await pg.OpenAsync();
            sqlite.Open();
            before = V1Snapshot.Read(sqlite);
            Execute(pg, SqlTrackingStore.SchemaV1(new PostgresTrackingStore.PostgresDialect()) + "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);");
            foreach (var (table, order) in new[] { ("experiments", "experiment_id"), ("experiment_tags", "experiment_id, key"), ("runs", "rowid"),
                         ("metrics", "rowid"), ("latest_metrics", "run_uuid, key"), ("params", "run_uuid, key"), ("tags", "run_uuid, key") })
                CopyTable(sqlite, pg, table, order);
        }

        await using (var store = PostgresTrackingStore.Open(connectionString, _artifacts.Path)) await before.AssertSameAsync(store);
        await using (var store = PostgresTrackingStore.Open(connectionString, _artifacts.Path)) await before.AssertSameAsync(store);
        await using var check = new NpgsqlConnection(connectionString);
        await check.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT (SELECT string_agg(version::text, ',') FROM schema_version), (SELECT COUNT(*) FROM metrics), to_regclass('metrics_v1') IS NULL", check);
        await using var r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal(("2", 308L, true), (r.GetString(0), r.GetInt64(1), r.GetBoolean(2)));
    }

    private static void Execute(NpgsqlConnection pg, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, pg);
        cmd.ExecuteNonQuery();
    }

    // Every row, in rowid order for runs and metrics (the order that numbers them), through one INSERT per row.
    private static void CopyTable(SqliteConnection from, NpgsqlConnection to, string table, string order)
    {
        using var read = from.CreateCommand();
        read.CommandText = $"SELECT * FROM {table} ORDER BY {order}";
        using var r = read.ExecuteReader();
        var columns = Enumerable.Range(0, r.FieldCount).Select(r.GetName).ToList();
        using var insert = new NpgsqlCommand($"INSERT INTO {table}({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => "@c" + i))})", to);
        while (r.Read())
        {
            insert.Parameters.Clear();
            for (var i = 0; i < columns.Count; i++) insert.Parameters.AddWithValue("c" + i, r.GetValue(i));
            insert.ExecuteNonQuery();
        }
    }

    public void Dispose() => _artifacts.Dispose();
}

/// <summary>Everything a schema-1 store holds, read with schema-1 SQL, and the check that a store still returns it all.</summary>
internal sealed record V1Snapshot(
    List<(string Id, string Name, string Stage, Dictionary<string, string> Tags)> Experiments,
    Dictionary<string, RunInfo> Runs,
    Dictionary<string, Dictionary<string, string>> Params,
    Dictionary<string, Dictionary<string, string>> Tags,
    Dictionary<string, Dictionary<string, Metric>> Latest,
    Dictionary<(string Run, string Key), List<Metric>> History)
{
    public static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Tracking", "fixtures", "store-v1.db");

    public static V1Snapshot Read(DbConnection c)
    {
        IEnumerable<DbDataReader> Rows(string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            using var r = cmd.ExecuteReader();
            while (r.Read()) yield return r;
        }
        static Dictionary<string, T> Bucket<T>(Dictionary<string, Dictionary<string, T>> all, string id) =>
            all.TryGetValue(id, out var d) ? d : all[id] = [];
        var experimentTags = new Dictionary<string, Dictionary<string, string>>();
        foreach (var r in Rows("SELECT experiment_id, key, value FROM experiment_tags")) Bucket(experimentTags, r.GetInt64(0).ToString())[r.GetString(1)] = r.GetString(2);
        var experiments = Rows("SELECT experiment_id, name, lifecycle_stage FROM experiments ORDER BY experiment_id")
            .Select(r => (r.GetInt64(0).ToString(), r.GetString(1), r.GetString(2), experimentTags.GetValueOrDefault(r.GetInt64(0).ToString()) ?? [])).ToList();
        var runs = Rows("SELECT run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage FROM runs").ToDictionary(
            r => r.GetString(0),
            r => new RunInfo(r.GetString(0), r.GetInt64(1).ToString(), r.GetString(2), r.GetString(3), TrackingNames.ParseRunStatus(r.GetString(4)),
                r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6), r.GetString(7), TrackingNames.ParseLifecycleStage(r.GetString(8))));
        var @params = new Dictionary<string, Dictionary<string, string>>();
        foreach (var r in Rows("SELECT run_uuid, key, value FROM params")) Bucket(@params, r.GetString(0))[r.GetString(1)] = r.GetString(2);
        var tags = new Dictionary<string, Dictionary<string, string>>();
        foreach (var r in Rows("SELECT run_uuid, key, value FROM tags")) Bucket(tags, r.GetString(0))[r.GetString(1)] = r.GetString(2);
        static Metric Point(DbDataReader r) => new(r.GetString(1), r.GetInt64(3) == 1 ? double.NaN : r.GetDouble(2), r.GetInt64(4), r.GetInt64(5));
        var latest = new Dictionary<string, Dictionary<string, Metric>>();
        foreach (var r in Rows("SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics")) Bucket(latest, r.GetString(0))[r.GetString(1)] = Point(r);
        var history = new Dictionary<(string, string), List<Metric>>();
        foreach (var r in Rows("SELECT run_uuid, key, value, is_nan, timestamp, step FROM metrics ORDER BY run_uuid, key, step, timestamp, rowid"))
        {
            var key = (r.GetString(0), r.GetString(1));
            (history.TryGetValue(key, out var list) ? list : history[key] = []).Add(Point(r));
        }
        return new V1Snapshot(experiments, runs, @params, tags, latest, history);
    }

    public async Task AssertSameAsync(ITrackingStore store)
    {
        var experiments = await store.SearchExperimentsAsync(ViewType.All);
        Assert.Equal(Experiments.Select(e => (e.Id, e.Name, e.Stage, Sorted(e.Tags))).OrderBy(e => e.Id),
            experiments.Select(e => (e.ExperimentId, e.Name, e.LifecycleStage.ToWire(), Sorted(e.Tags))).OrderBy(e => e.ExperimentId));
        foreach (var (id, info) in Runs)
        {
            var run = await store.GetRunAsync(id);
            Assert.Equal(info, run.Info);
            Assert.Equal(Sorted(Params.GetValueOrDefault(id) ?? []), Sorted(run.Data.Params));
            Assert.Equal(Sorted(Tags.GetValueOrDefault(id) ?? []), Sorted(run.Data.Tags));
            Assert.Equal((Latest.GetValueOrDefault(id) ?? []).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value),
                run.Data.Metrics.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value));
        }
        foreach (var ((run, key), points) in History)
            Assert.Equal(points, await store.GetMetricHistoryAsync(run, key));
        // Search by a metric reads the migrated latest values: same order as computed from the old rows.
        foreach (var experiment in Experiments)
        {
            var runs = Runs.Values.Where(r => r.ExperimentId == experiment.Id).ToList();
            double? Loss(RunInfo r) => Latest.GetValueOrDefault(r.RunId)?.GetValueOrDefault("loss") is { Value: var v } && !double.IsNaN(v) ? v : null;
            var expected = runs.Where(r => Loss(r) is not null).OrderByDescending(Loss).ThenByDescending(r => r.StartTime).ThenBy(r => r.RunId, StringComparer.Ordinal)
                .Concat(runs.Where(r => Loss(r) is null).OrderByDescending(r => r.StartTime).ThenBy(r => r.RunId, StringComparer.Ordinal));
            var page = await store.SearchRunsAsync(new RunQuery([experiment.Id], OrderBy: ["metrics.loss DESC"], ViewType: ViewType.All));
            Assert.Equal(expected.Select(r => r.RunId), page.Select(r => r.RunId));
        }
    }

    private static string Sorted(IReadOnlyDictionary<string, string> d) => string.Join("\n", d.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}

/// <summary>Checks metric_blocks against the history it summarises, computed here from the raw rows.</summary>
internal static class BlockSummaries
{
    public static void AssertMatchHistory(string database)
    {
        using var c = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        c.Open();
        var expected = new List<string>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT run_key, key_id, step, timestamp, seq, value FROM metrics WHERE value IS NOT NULL ORDER BY run_key, key_id, step, timestamp, seq";
            var rows = new List<(long Run, long Key, long Step, long Ts, long Seq, double Value)>();
            using (var r = cmd.ExecuteReader())
                while (r.Read()) rows.Add((r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetDouble(5)));
            foreach (var g in rows.GroupBy(x => (x.Run, x.Key, Block: MetricSampling.Block(x.Step))))
            {
                var lo = g.First(x => x.Value == g.Min(y => y.Value)); // rows are in history order: the first lowest
                var hi = g.First(x => x.Value == g.Max(y => y.Value));
                expected.Add($"{g.Key.Run} {g.Key.Key} {g.Key.Block}: {lo.Step} {lo.Ts} {lo.Seq} {lo.Value:R} / {hi.Step} {hi.Ts} {hi.Seq} {hi.Value:R}");
            }
        }
        var actual = new List<string>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT run_key, key_id, block, lo_step, lo_ts, lo_seq, lo_value, hi_step, hi_ts, hi_seq, hi_value FROM metric_blocks ORDER BY run_key, key_id, block";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                actual.Add($"{r.GetInt64(0)} {r.GetInt64(1)} {r.GetInt64(2)}: {r.GetInt64(3)} {r.GetInt64(4)} {r.GetInt64(5)} {r.GetDouble(6):R} / {r.GetInt64(7)} {r.GetInt64(8)} {r.GetInt64(9)} {r.GetDouble(10):R}");
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }
}
