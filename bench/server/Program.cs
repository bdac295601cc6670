using System.Diagnostics;
using System.Globalization;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

// REST log-batch ingest (courseware server process on 127.0.0.1, JSON over HTTP) against direct SQLite store logging of
// the same batches in the same run, and the runs-table query of the web UI over 10,000 runs.
// Usage: dotnet run -c Release --project bench/server [-- --points 200000 --runs 10000]
var points = Arg("--points", 200_000);
var runCount = Arg("--runs", 10_000);
const int batchSize = TrackingLimits.MaxMetricsPerBatch;
var repo = FindRepo();
var cli = Path.Combine(repo, "build", "cli", OperatingSystem.IsWindows() ? "courseware.exe" : "courseware");
var work = Path.Combine(Path.GetTempPath(), "cw-server-bench-" + Guid.NewGuid().ToString("N")[..8]);
Console.WriteLine($"{points:N0} metric points in batches of {batchSize}; {Environment.ProcessorCount} cores; {RuntimeInfo()}");

try
{
    var batches = Enumerable.Range(0, points / batchSize)
        .Select(b => (IReadOnlyCollection<Metric>)Enumerable.Range(0, batchSize)
            .Select(i => new Metric("train/loss", 1.0 / (1 + b * batchSize + i), 1_700_000_000_000 + b * batchSize + i, b * batchSize + i)).ToArray())
        .ToList();

    // Direct: the embedded store in-process.
    await using var direct = SqliteTrackingStore.Open(Path.Combine(work, "direct"));
    var directRate = await IngestAsync(direct, batches);

    // REST: the same store type behind `courseware server`, in its own process.
    using var server = TrackingServer.Start(Path.Combine(work, "served"), cli);
    await using var rest = await RestTrackingStore.ConnectAsync(server.Url);
    var restRate = await IngestAsync(rest, batches);
    var parallelRate = await IngestParallelAsync(rest, batches, clients: 4);
    // One point per request, MLflow's log_metric pattern (its users report ~90 s for 1,000 calls, mlflow#5269).
    var singles = batches[0].Take(2_000).Select(m => (IReadOnlyCollection<Metric>)[m]).ToList();
    var directSingle = await IngestAsync(direct, singles);
    var restSingle = await IngestAsync(rest, singles);

    Console.WriteLine();
    Console.WriteLine("| path | metrics/s | ratio to direct |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine($"| direct SqliteTrackingStore.LogBatchAsync | {directRate:N0} | 1.00 |");
    Console.WriteLine($"| REST runs/log-batch, 1 client | {restRate:N0} | {restRate / directRate:0.00} |");
    Console.WriteLine($"| REST runs/log-batch, 4 clients (4 runs) | {parallelRate:N0} | {parallelRate / directRate:0.00} |");
    Console.WriteLine();
    Console.WriteLine($"| one point per call ({singles.Count:N0} calls) | calls/s | µs per call |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine($"| direct LogBatchAsync with 1 metric | {directSingle:N0} | {1e6 / directSingle:0} |");
    Console.WriteLine($"| REST runs/log-batch with 1 metric | {restSingle:N0} | {1e6 / restSingle:0} |");

    // The UI's runs table over many runs: one page of 100, filtered and ordered by a metric, through the server.
    var experimentId = await rest.CreateExperimentAsync("ten-thousand");
    await SeedAsync(Path.Combine(work, "served"), experimentId, runCount);
    Console.WriteLine();
    Console.WriteLine($"| runs/search over {runCount:N0} runs (page of 100, via REST) | median ms | p90 ms |");
    Console.WriteLine("|---|---:|---:|");
    foreach (var (label, filter, order) in new (string, string?, string[])[]
    {
        ("newest first", null, []),
        ("order by metrics.val/acc DESC", null, ["metrics.`val/acc` DESC"]),
        ("filter metrics + params, order by metric", "metrics.`val/acc` > 0.5 and params.optimizer = 'adam'", ["metrics.`val/acc` DESC"]),
        ("page 50 (offset 4,900)", null, ["attributes.start_time DESC"]),
    })
    {
        // The token of page 50 is whatever the server hands out after 4,900 runs.
        var token = label.StartsWith("page 50", StringComparison.Ordinal)
            ? (await rest.SearchRunsAsync(new RunQuery([experimentId], filter, order, 4_900))).NextPageToken
            : null;
        var times = new List<double>();
        for (var i = 0; i < 12; i++)
        {
            var sw = Stopwatch.StartNew();
            var page = await rest.SearchRunsAsync(new RunQuery([experimentId], filter, order, 100, token));
            sw.Stop();
            if (page.Count != 100) throw new InvalidOperationException($"expected a full page for '{label}', got {page.Count}");
            if (i >= 2) times.Add(sw.Elapsed.TotalMilliseconds); // two warm-up queries
        }
        times.Sort();
        Console.WriteLine($"| {label} | {times[times.Count / 2]:0.0} | {times[(int)(times.Count * 0.9)]:0.0} |");
    }
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}

static async Task<double> IngestAsync(ITrackingStore store, List<IReadOnlyCollection<Metric>> batches)
{
    var warm = await store.CreateRunAsync("0", "warm-up", 0, "bench");
    for (var i = 0; i < 3; i++) await store.LogBatchAsync(warm.RunId, batches[i], [], []);
    var run = await store.CreateRunAsync("0", "ingest", 0, "bench");
    var sw = Stopwatch.StartNew();
    foreach (var batch in batches) await store.LogBatchAsync(run.RunId, batch, [], []);
    sw.Stop();
    var count = (await store.GetMetricHistoryAsync(run.RunId, "train/loss")).Count;
    if (count != batches.Sum(b => b.Count)) throw new InvalidOperationException($"lost points: {count}");
    return count / sw.Elapsed.TotalSeconds;
}

static async Task<double> IngestParallelAsync(ITrackingStore store, List<IReadOnlyCollection<Metric>> batches, int clients)
{
    var runs = new List<string>();
    for (var c = 0; c < clients; c++) runs.Add((await store.CreateRunAsync("0", $"parallel-{c}", 0, "bench")).RunId);
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(runs.Select((runId, c) => Task.Run(async () =>
    {
        for (var b = c; b < batches.Count; b += clients) await store.LogBatchAsync(runId, batches[b], [], []);
    })));
    sw.Stop();
    return batches.Sum(b => b.Count) / sw.Elapsed.TotalSeconds;
}

// Seeds runs straight into the served folder (SQLite takes a second writer): a sweep's worth of params and metrics each.
static async Task SeedAsync(string folder, string experimentId, int count)
{
    await using var store = SqliteTrackingStore.Open(folder);
    var rng = new Random(42);
    string[] optimizers = ["adam", "sgd", "rmsprop", "adamw"];
    for (var i = 0; i < count; i++)
    {
        var run = await store.CreateRunAsync(experimentId, $"run-{i:D5}", 1_700_000_000_000 + i, "bench");
        await store.LogBatchAsync(run.RunId,
            [new Metric("val/acc", rng.NextDouble(), 1, 9), new Metric("val/loss", rng.NextDouble() * 2, 1, 9), new Metric("train/loss", rng.NextDouble(), 1, 9)],
            [new Param("optimizer", optimizers[i % 4]), new Param("lr", (0.0001 * (1 + i % 10)).ToString(CultureInfo.InvariantCulture)), new Param("batch", (16 << (i % 4)).ToString(CultureInfo.InvariantCulture))],
            []);
    }
}

static int Arg(string name, int fallback)
{
    var args = Environment.GetCommandLineArgs();
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static string FindRepo()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("Run from inside the repository.");
}

static string RuntimeInfo() => $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
