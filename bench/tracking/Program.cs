// Courseware.Tracking against a named peer in the same process, in interleaved rounds (min and median of each; the load
// average is printed with every section). See README.md.
//   dotnet run -c Release --project bench/tracking [-- points=200000 runs=100000 history=1000000 rounds=5 pg="Host=..."]
using System.Diagnostics;
using System.Globalization;
using Courseware.Bench;
using Courseware.Tracking;
using Microsoft.Data.Sqlite;

var postgres = args.FirstOrDefault(a => a.StartsWith("pg=", StringComparison.Ordinal))?[3..];
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] != "pg").ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
var points = settings.GetValueOrDefault("points", 200_000);
var runCount = settings.GetValueOrDefault("runs", 100_000);
var historyPoints = settings.GetValueOrDefault("history", 1_000_000);
var rounds = settings.GetValueOrDefault("rounds", 5);

var root = Path.Combine(Path.GetTempPath(), "cw-bench-tracking-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(root);
Console.WriteLine($"# {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
                  $"{Environment.ProcessorCount} cores, {rounds} interleaved rounds per row, load average {Load()}");
try
{
    if (points > 0)
    {
        // 1. Logging: Tracker.LogMetric + Flush (validation, background batches of 1,000 per transaction, latest values)
        //    against a raw prepared INSERT of the same rows into the same history table in one transaction.
        var tracked = new List<double>();
        var raw = new List<double>();
        var enqueue = new List<double>();
        var batched = new List<double>();
        var rawCommits = new List<double>();
        var rawC = new List<double>();
        long trackedBytes = 0, rawBytes = 0;
        for (var r = 0; r < rounds; r++)
        {
            var folder = Path.Combine(root, $"log-{r}");
            using (var tracker = Tracker.Open(folder))
            {
                using var run = tracker.StartRun("bench");
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < points; i++) run.LogMetric(i % 2 == 0 ? "loss" : "acc", 1.0 / (i + 1), step: i / 2);
                run.Flush();
                tracked.Add(points / clock.Elapsed.TotalSeconds);
                const int Calls = 50_000; // fewer than the queue holds, so no call waits for the writer
                clock.Restart();
                for (var i = 0; i < Calls; i++) run.LogMetric("lr", 1e-3, step: i);
                enqueue.Add(clock.Elapsed.TotalMicroseconds / Calls);
                run.Flush();
            }
            trackedBytes = StoreBytes(folder);
            // The store alone: the same rows through LogBatchAsync, 1,000 per call (MLflow's batch limit), one transaction each.
            await using (var store = SqliteTrackingStore.Open(Path.Combine(root, $"batch-{r}")))
            {
                batched.Add(await Seed.LogInBatchesAsync(store, points));
            }
            Directory.Delete(Path.Combine(root, $"batch-{r}"), recursive: true);
            var rawFile = Path.Combine(root, $"raw-{r}.db");
            raw.Add(points / RawInsert(rawFile, points).TotalSeconds);
            rawBytes = new FileInfo(rawFile).Length;
            File.Delete(rawFile);
            rawCommits.Add(points / RawInsert(rawFile, points, commitEvery: 1000).TotalSeconds);
            File.Delete(rawFile);
            rawC.Add(points / RawInsert(rawFile, points, cApi: true).TotalSeconds);
            Directory.Delete(folder, recursive: true);
            File.Delete(rawFile);
        }
        Section($"logging {points:N0} points (2 keys)");
        Row("Tracker.LogMetric + Flush (points/s)", tracked, "raw SQLite, same rows and table", raw, higherIsBetter: true);
        Row("SqliteTrackingStore.LogBatchAsync, 1,000 per call (points/s)", batched, "raw SQLite, same rows and table", raw, higherIsBetter: true);
        Row("raw SQLite, a commit every 1,000 rows (points/s)", rawCommits, "raw SQLite, one transaction", raw, higherIsBetter: true);
        Row("Tracker.LogMetric + Flush (points/s)", tracked, "raw SQLite C API (sqlite3_step), one transaction", rawC, higherIsBetter: true);
        Row("SqliteTrackingStore.LogBatchAsync, 1,000 per call (points/s)", batched, "raw SQLite C API (sqlite3_step), one transaction", rawC, higherIsBetter: true);
        Console.WriteLine($"LogMetric call alone: min {enqueue.Min():N2} µs, median {Median(enqueue):N2} µs (validate + queue, 50,000 calls)");
        Console.WriteLine($"bytes per point: store {(double)trackedBytes / (points + 50_000):N1} (whole tracking.db incl. runs, latest values, registry tables; {trackedBytes:N0} B), raw table {(double)rawBytes / points:N1}");
    }

    // 2. Search over many runs, first page of 1,000. Peer: the same search forced down the sorting plan (the query of
    //    schema 1: join, full sort, limit), by naming a second, empty experiment.
    if (runCount > 0)
    {
        var folder = Path.Combine(root, "search");
        var seedClock = Stopwatch.StartNew();
        var experimentId = await SyntheticRuns.SeedSqliteAsync(folder, "many", runCount);
        Console.WriteLine($"\nseeded {runCount:N0} runs (3 metrics, 4 params, 2 tags each) in {seedClock.Elapsed.TotalSeconds:N1} s");
        await using var store = SqliteTrackingStore.Open(folder);
        await SearchBench.RunAsync(store, experimentId, runCount, rounds, "", Section, Row);
    }

    // 3. Metric history of one key: the store's read (Metric objects) against a raw reader of the same rows
    //    (three columns into arrays), and the sampled read of get-history-bulk-interval.
    if (historyPoints > 0)
    {
        var folder = Path.Combine(root, "history");
        string runId;
        await using (var store = SqliteTrackingStore.Open(folder))
        {
            var run = await store.CreateRunAsync("0", "long", 0, "bench");
            runId = run.RunId;
            var rng = new Random(2);
            var clock = Stopwatch.StartNew();
            for (var b = 0; b < historyPoints / 1000; b++)
                await store.LogBatchAsync(runId, Enumerable.Range(b * 1000, 1000).Select(i => new Metric("loss", rng.NextDouble() + (i == historyPoints / 3 ? 50 : 0), 1_700_000_000_000 + i, i)).ToList(), [], []);
            Console.WriteLine($"\nlogged {historyPoints:N0} points through LogBatchAsync in {clock.Elapsed.TotalSeconds:N1} s ({historyPoints / clock.Elapsed.TotalSeconds:N0} points/s)");
        }
        Console.WriteLine($"tracking.db after close: {StoreBytes(folder) / (double)historyPoints:N1} bytes per point");
        await using (var store = SqliteTrackingStore.Open(folder))
        {
            Section($"metric history of {historyPoints:N0} points (ms)");
            var full = new List<double>();
            var rawRead = new List<double>();
            var sampled = new List<double>();
            var sampled320 = new List<double>();
            var count = 0;
            for (var r = 0; r < rounds; r++)
            {
                full.Add(await TimeAsync(async () => count = (await store.GetMetricHistoryAsync(runId, "loss")).Count));
                rawRead.Add(Time(() => RawHistory(Path.Combine(folder, SqliteTrackingStore.DatabaseFileName))));
                sampled.Add(await TimeAsync(() => store.GetMetricHistorySampledAsync([runId], "loss")));
                sampled320.Add(await TimeAsync(() => store.GetMetricHistorySampledAsync([runId], "loss", maxResults: 320)));
            }
            if (count != historyPoints) throw new InvalidOperationException($"history has {count} points");
            Row("GetMetricHistoryAsync (every point)", full, "raw SQLite reader, same rows", rawRead, higherIsBetter: false);
            Row("GetMetricHistorySampledAsync, 2,500 points", sampled, "full history read", full, higherIsBetter: false);
            Row("GetMetricHistorySampledAsync, 320 points", sampled320, "full history read", full, higherIsBetter: false);
        }
    }

    // 4. The same figures on PostgreSQL, when a server is given: pg="Host=...;Username=...;Database=..."
    if (postgres is not null)
        await PostgresBench.RunAsync(postgres, Path.Combine(root, "pg-artifacts"), points, historyPoints, runCount, rounds, Section, Row);
}
finally
{
    Directory.Delete(root, recursive: true);
}

// The peer insert: a prepared Microsoft.Data.Sqlite command (typed parameters), or with cApi the same statement stepped
// through SQLite's C API (SQLitePCL.raw), as the store itself writes a batch.
static TimeSpan RawInsert(string file, int points, int commitEvery = int.MaxValue, bool cApi = false)
{
    using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
    connection.Open();
    using (var setup = connection.CreateCommand())
    {
        // The tracking store's history table (schema 2) and durability settings.
        setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; " +
                            "CREATE TABLE metrics (run_key INTEGER NOT NULL, key_id INTEGER NOT NULL, step INTEGER NOT NULL, timestamp INTEGER NOT NULL, " +
                            "seq INTEGER NOT NULL, value REAL, PRIMARY KEY (run_key, key_id, step, timestamp, seq)) WITHOUT ROWID;";
        setup.ExecuteNonQuery();
    }
    var clock = Stopwatch.StartNew();
    if (cApi)
    {
        var db = connection.Handle!;
        using var tx1 = connection.BeginTransaction();
        SQLitePCL.raw.sqlite3_prepare_v2(db, "INSERT INTO metrics VALUES (1, ?1, ?2, ?3, 0, ?4)", out var stmt);
        using (stmt)
        {
            var now1 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (var i = 0; i < points; i++)
            {
                SQLitePCL.raw.sqlite3_bind_int64(stmt, 1, i % 2 == 0 ? 1L : 2L);
                SQLitePCL.raw.sqlite3_bind_int64(stmt, 2, i / 2);
                SQLitePCL.raw.sqlite3_bind_int64(stmt, 3, now1);
                SQLitePCL.raw.sqlite3_bind_double(stmt, 4, 1.0 / (i + 1));
                if (SQLitePCL.raw.sqlite3_step(stmt) != SQLitePCL.raw.SQLITE_DONE) throw new InvalidOperationException("raw insert failed");
                SQLitePCL.raw.sqlite3_reset(stmt);
            }
        }
        tx1.Commit();
        return clock.Elapsed;
    }
    var tx = connection.BeginTransaction();
    using (var insert = connection.CreateCommand())
    {
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO metrics VALUES (1, @k, @s, @t, 0, @v)";
        var (pk, ps, pt, pv) = (insert.Parameters.Add("@k", SqliteType.Integer), insert.Parameters.Add("@s", SqliteType.Integer),
            insert.Parameters.Add("@t", SqliteType.Integer), insert.Parameters.Add("@v", SqliteType.Real));
        insert.Prepare();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < points; i++)
        {
            pk.Value = i % 2 == 0 ? 1L : 2L;
            ps.Value = (long)(i / 2);
            pt.Value = now;
            pv.Value = 1.0 / (i + 1);
            insert.ExecuteNonQuery();
            if ((i + 1) % commitEvery == 0 && i + 1 < points)
            {
                tx.Commit();
                tx.Dispose();
                tx = connection.BeginTransaction();
                insert.Transaction = tx;
            }
        }
        tx.Commit();
        tx.Dispose();
    }
    var elapsed = clock.Elapsed;
    using (var checkpoint = connection.CreateCommand())
    {
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        checkpoint.ExecuteNonQuery();
    }
    return elapsed;
}

static int RawHistory(string file)
{
    using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
    connection.Open();
    using var cmd = connection.CreateCommand();
    cmd.CommandText = "SELECT step, timestamp, value FROM metrics WHERE run_key = (SELECT MAX(run_key) FROM runs) AND key_id = (SELECT key_id FROM metric_keys WHERE key = 'loss') ORDER BY step, timestamp, seq";
    using var r = cmd.ExecuteReader();
    var steps = new List<long>();
    var times = new List<long>();
    var values = new List<double>();
    while (r.Read())
    {
        steps.Add(r.GetInt64(0));
        times.Add(r.GetInt64(1));
        values.Add(r.IsDBNull(2) ? double.NaN : r.GetDouble(2));
    }
    return steps.Count;
}

// The database file after a checkpoint (the store checkpoints its WAL when it closes).
static long StoreBytes(string folder) =>
    Directory.GetFiles(folder, SqliteTrackingStore.DatabaseFileName + "*").Sum(f => new FileInfo(f).Length);

static async Task<double> TimeAsync<T>(Func<Task<T>> action)
{
    var clock = Stopwatch.StartNew();
    await action();
    return clock.Elapsed.TotalMilliseconds;
}

static double Time(Func<int> action)
{
    var clock = Stopwatch.StartNew();
    action();
    return clock.Elapsed.TotalMilliseconds;
}

static void Section(string title) => Console.WriteLine($"\n## {title} — load average {Load()}\n| measure | best | median | peer | peer best | peer median | ratio of medians |\n|---|---:|---:|---|---:|---:|---:|");

static void Row(string label, List<double> ours, string peerLabel, List<double> peer, bool higherIsBetter)
{
    var (best, peerBest) = higherIsBetter ? (ours.Max(), peer.Max()) : (ours.Min(), peer.Min());
    Console.WriteLine($"| {label} | {best:N1} | {Median(ours):N1} | {peerLabel} | {peerBest:N1} | {Median(peer):N1} | {Median(ours) / Median(peer):N2}× |");
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
