using System.Diagnostics;
using Courseware.Tracking;
using Npgsql;
using NpgsqlTypes;

namespace Courseware.Bench;

/// <summary>
/// The PostgreSQL figures (`pg=&lt;connection string&gt;`): logging through the store against a raw binary COPY of the
/// same rows into the same table, bytes per point, and the history and sampled reads. Each round uses a fresh schema.
/// </summary>
public static class PostgresBench
{
    public static async Task RunAsync(string connectionString, string artifacts, int points, int historyPoints, int runCount, int rounds,
        Action<string> section, Action<string, List<double>, string, List<double>, bool> row)
    {
        if (runCount > 0)
        {
            // The search figures of the SQLite section, over the same generated runs copied into a fresh schema.
            var searchSchema = await NewSchemaAsync(connectionString);
            var seedClock = Stopwatch.StartNew();
            var experimentId = await SyntheticRuns.SeedPostgresAsync(searchSchema, artifacts, "many", runCount);
            Console.WriteLine($"\nPostgreSQL: seeded {runCount:N0} runs (3 metrics, 4 params, 2 tags each) in {seedClock.Elapsed.TotalSeconds:N1} s");
            await using var store = PostgresTrackingStore.Open(searchSchema, artifacts);
            await SearchBench.RunAsync(store, experimentId, runCount, rounds, "PostgreSQL: ", section, row);
        }
        if (points > 0)
        {
            var (ours, raw, rawCommits, bytes) = (new List<double>(), new List<double>(), new List<double>(), 0.0);
            for (var r = 0; r < rounds; r++)
            {
                var schema = await NewSchemaAsync(connectionString);
                await using (var store = PostgresTrackingStore.Open(schema, artifacts))
                {
                    ours.Add(await Seed.LogInBatchesAsync(store, points));
                }
                await using (var c = new NpgsqlConnection(schema))
                {
                    await c.OpenAsync();
                    bytes = Convert.ToDouble(await new NpgsqlCommand("SELECT pg_total_relation_size('metrics') + pg_total_relation_size('metric_blocks')", c).ExecuteScalarAsync()) / points;
                    await new NpgsqlCommand("CREATE TABLE raw_points (LIKE metrics INCLUDING ALL)", c).ExecuteNonQueryAsync();
                    raw.Add(points / (await CopyAsync(c, "raw_points", points, points)).TotalSeconds);
                    await new NpgsqlCommand("CREATE TABLE raw_points_1k (LIKE metrics INCLUDING ALL)", c).ExecuteNonQueryAsync();
                    rawCommits.Add(points / (await CopyAsync(c, "raw_points_1k", points, 1000)).TotalSeconds);
                }
            }
            section($"PostgreSQL: logging {points:N0} points (2 keys)");
            row("PostgresTrackingStore.LogBatchAsync, 1,000 per call (points/s)", ours, "raw binary COPY, same rows and table, one transaction", raw, true);
            row("PostgresTrackingStore.LogBatchAsync, 1,000 per call (points/s)", ours, "raw binary COPY, same rows and table, a transaction per 1,000 rows", rawCommits, true);
            Console.WriteLine($"bytes per point (metrics + metric_blocks, with indexes): {bytes:N1}");
        }

        if (historyPoints <= 0) return;
        var historySchema = await NewSchemaAsync(connectionString);
        await using var history = PostgresTrackingStore.Open(historySchema, artifacts);
        var longRun = await history.CreateRunAsync("0", "long", 0, "bench");
        var rng = new Random(2);
        for (var b = 0; b < historyPoints / 1000; b++)
            await history.LogBatchAsync(longRun.RunId, Enumerable.Range(b * 1000, 1000).Select(i => new Metric("loss", rng.NextDouble() + (i == historyPoints / 3 ? 50 : 0), 1_700_000_000_000 + i, i)).ToList(), [], []);
        var (full, rawRead, sampled, sampled320) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        await using var reader = new NpgsqlConnection(historySchema);
        await reader.OpenAsync();
        for (var r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            await history.GetMetricHistoryAsync(longRun.RunId, "loss");
            full.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            // The peer: a bare Npgsql reader of the same rows into three lists.
            await using (var cmd = new NpgsqlCommand("SELECT step, timestamp, value FROM metrics WHERE run_key = (SELECT MAX(run_key) FROM runs) " +
                                                     "AND key_id = (SELECT key_id FROM metric_keys WHERE key = 'loss') ORDER BY step, timestamp, seq", reader))
            await using (var rows = await cmd.ExecuteReaderAsync())
            {
                var (steps, times, values) = (new List<long>(), new List<long>(), new List<double>());
                while (await rows.ReadAsync())
                {
                    steps.Add(rows.GetInt64(0));
                    times.Add(rows.GetInt64(1));
                    values.Add(rows.IsDBNull(2) ? double.NaN : rows.GetDouble(2));
                }
            }
            rawRead.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await history.GetMetricHistorySampledAsync([longRun.RunId], "loss");
            sampled.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await history.GetMetricHistorySampledAsync([longRun.RunId], "loss", maxResults: 320);
            sampled320.Add(clock.Elapsed.TotalMilliseconds);
        }
        section($"PostgreSQL: metric history of {historyPoints:N0} points (ms)");
        row("GetMetricHistoryAsync (every point)", full, "raw Npgsql reader, same rows", rawRead, false);
        row("GetMetricHistorySampledAsync, 2,500 points", sampled, "full history read", full, false);
        row("GetMetricHistorySampledAsync, 320 points", sampled320, "full history read", full, false);
    }

    // A raw binary COPY of the bench's rows into table, committing every commitEvery rows.
    private static async Task<TimeSpan> CopyAsync(NpgsqlConnection c, string table, int points, int commitEvery)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < points; start += commitEvery)
        {
            await using var tx = await c.BeginTransactionAsync();
            await using (var copy = await c.BeginBinaryImportAsync($"COPY {table} (run_key, key_id, step, timestamp, seq, value) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = start; i < Math.Min(points, start + commitEvery); i++)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(1L, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(i % 2 == 0 ? 1L : 2L, NpgsqlDbType.Bigint);
                    await copy.WriteAsync((long)(i / 2), NpgsqlDbType.Bigint);
                    await copy.WriteAsync(now, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(0, NpgsqlDbType.Integer);
                    await copy.WriteAsync(1.0 / (i + 1), NpgsqlDbType.Double);
                }
                await copy.CompleteAsync();
            }
            await tx.CommitAsync();
        }
        return clock.Elapsed;
    }

    private static async Task<string> NewSchemaAsync(string connectionString)
    {
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..10];
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await new NpgsqlCommand($"CREATE SCHEMA {schema}", c).ExecuteNonQueryAsync();
        return connectionString + $";Search Path={schema}";
    }
}
