// Throughput and latency of Courseware.Tracking against raw SQLite, with a plain Stopwatch (each figure is the median
// of several repetitions; the machine and its load are printed with the numbers).
//   dotnet run -c Release --project bench/tracking [-- points=200000 runs=100000]
using System.Diagnostics;
using System.Globalization;
using Courseware.Tracking;
using Microsoft.Data.Sqlite;

var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
var points = settings.GetValueOrDefault("points", 200_000);
var runCount = settings.GetValueOrDefault("runs", 100_000);
const int Repeats = 3;

var root = Path.Combine(Path.GetTempPath(), "cw-bench-tracking-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(root);
Console.WriteLine($"# {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
                  $"{Environment.ProcessorCount} cores, load average {LoadAverage()}");
try
{
    // 1. Logging points: the tracker's batched path vs a raw prepared INSERT of the same rows in one transaction.
    var tracked = new List<double>();
    var raw = new List<double>();
    var enqueueMicros = new List<double>();
    for (var r = 0; r < Repeats; r++)
    {
        var folder = Path.Combine(root, $"log-{r}");
        using (var tracker = Tracker.Open(folder))
        {
            using var run = tracker.StartRun("bench");
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < points; i++) run.LogMetric(i % 2 == 0 ? "loss" : "acc", 1.0 / (i + 1), step: i / 2);
            run.Flush();
            clock.Stop();
            tracked.Add(points / clock.Elapsed.TotalSeconds);

            // The call alone: fewer points than the queue holds (100,000), so no call waits for the writer.
            const int Calls = 50_000;
            clock.Restart();
            for (var i = 0; i < Calls; i++) run.LogMetric("lr", 1e-3, step: i);
            enqueueMicros.Add(clock.Elapsed.TotalMicroseconds / Calls);
            run.Flush();
        }
        raw.Add(points / RawInsert(Path.Combine(root, $"raw-{r}.db"), points).TotalSeconds);
    }
    var trackedRate = Median(tracked);
    var rawRate = Median(raw);
    Console.WriteLine($"batched LogMetric + Flush: {trackedRate:N0} points/s (median of {Repeats})");
    Console.WriteLine($"raw SQLite bulk insert:    {rawRate:N0} points/s");
    Console.WriteLine($"ratio tracked/raw:         {trackedRate / rawRate:P0}");
    Console.WriteLine($"LogMetric call:            {Median(enqueueMicros):N2} µs amortised (validate + queue, 50,000 calls); end to end {1e6 / trackedRate:N2} µs per point");

    // 2. Search over many runs: seed runCount runs through the store API, then filter on a metric + param and order.
    var searchFolder = Path.Combine(root, "search");
    if (runCount > 0)
    await using (var store = SqliteTrackingStore.Open(searchFolder))
    {
        var seed = Stopwatch.StartNew();
        var experimentId = await store.CreateExperimentAsync("many");
        var rng = new Random(1);
        string[] optimizers = ["adam", "sgd", "rmsprop"];
        for (var i = 0; i < runCount; i++)
        {
            var run = await store.CreateRunAsync(experimentId, $"run-{i}", i, "bench");
            await store.LogBatchAsync(run.RunId,
                [new Metric("acc", rng.NextDouble(), i, 0), new Metric("loss", rng.NextDouble(), i, 0)],
                [new Param("optimizer", optimizers[i % 3]), new Param("lr", (0.001 * (i % 10 + 1)).ToString(CultureInfo.InvariantCulture))], []);
        }
        seed.Stop();
        Console.WriteLine($"seeded {runCount:N0} runs (2 metrics, 2 params each) in {seed.Elapsed.TotalSeconds:N1} s through the store API");

        foreach (var (filter, order) in new (string, string)[]
                 {
                     ("metrics.acc > 0.9 and params.optimizer = 'adam'", "metrics.acc DESC"),
                     ("metrics.acc > 0.99", "metrics.loss ASC"),
                     ("(metrics.acc > 0.95 or metrics.loss < 0.05) and params.lr IN ('0.001', '0.002')", "attributes.start_time DESC"),
                 })
        {
            var times = new List<double>();
            var count = 0;
            for (var r = 0; r < 5; r++)
            {
                var clock = Stopwatch.StartNew();
                var page = await store.SearchRunsAsync(new RunQuery([experimentId], filter, [order], MaxResults: 100));
                clock.Stop();
                count = page.Count;
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine($"search {runCount:N0} runs: `{filter}` order by `{order}`, first 100 ({count} returned): {Median(times):N1} ms (median of 5)");
        }
    }
}
finally
{
    Directory.Delete(root, recursive: true);
}

static TimeSpan RawInsert(string file, int points)
{
    using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
    connection.Open();
    using (var setup = connection.CreateCommand())
    {
        // Same table, index and durability settings as the tracking store's history table.
        setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; " +
                            "CREATE TABLE metrics (run_uuid TEXT NOT NULL, key TEXT NOT NULL, value REAL, is_nan INTEGER NOT NULL, timestamp INTEGER NOT NULL, step INTEGER NOT NULL); " +
                            "CREATE INDEX ix_metrics_run_key ON metrics(run_uuid, key, step);";
        setup.ExecuteNonQuery();
    }
    var runId = Guid.NewGuid().ToString("N");
    var clock = Stopwatch.StartNew();
    using var tx = connection.BeginTransaction();
    using var insert = connection.CreateCommand();
    insert.Transaction = tx;
    insert.CommandText = "INSERT INTO metrics VALUES (@r, @k, @v, 0, @t, @s)";
    var (pr, pk, pv, pt, ps) = (insert.Parameters.Add("@r", SqliteType.Text), insert.Parameters.Add("@k", SqliteType.Text),
        insert.Parameters.Add("@v", SqliteType.Real), insert.Parameters.Add("@t", SqliteType.Integer), insert.Parameters.Add("@s", SqliteType.Integer));
    insert.Prepare();
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    for (var i = 0; i < points; i++)
    {
        pr.Value = runId;
        pk.Value = i % 2 == 0 ? "loss" : "acc";
        pv.Value = 1.0 / (i + 1);
        pt.Value = now;
        ps.Value = i / 2;
        insert.ExecuteNonQuery();
    }
    tx.Commit();
    return clock.Elapsed;
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
