using System.Diagnostics;
using System.Globalization;
using Courseware.Bench;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

// REST log-batch ingest (courseware server process on 127.0.0.1, JSON over HTTP) against direct SQLite store logging of
// the same batches in the same run, and the runs-table query of the web UI over 10,000 runs.
// Usage: dotnet run -c Release --project bench/server [-- --points 100000 --runs 100000 --rounds 3 --cli path/to/courseware --pg "Host=..."]
// (--cli: another build of the server, e.g. a copy of build/cli made before a change, to compare in the same session)
var points = Arg("--points", 100_000);
var runCount = Arg("--runs", 100_000);
var rounds = Arg("--rounds", 3);
const int batchSize = TrackingLimits.MaxMetricsPerBatch;
var repo = FindRepo();
var cli = StringArg("--cli") is { } other ? Path.GetFullPath(other) : Path.Combine(repo, "build", "cli", OperatingSystem.IsWindows() ? "courseware.exe" : "courseware");
var work = Path.Combine(Path.GetTempPath(), "cw-server-bench-" + Guid.NewGuid().ToString("N")[..8]);
Console.WriteLine($"{points:N0} metric points in batches of {batchSize}; {Environment.ProcessorCount} cores; {RuntimeInfo()}; server {cli}; load average {Load()}");

try
{
    var batches = Enumerable.Range(0, points / batchSize)
        .Select(b => (IReadOnlyCollection<Metric>)Enumerable.Range(0, batchSize)
            .Select(i => new Metric("train/loss", 1.0 / (1 + b * batchSize + i), 1_700_000_000_000 + b * batchSize + i, b * batchSize + i)).ToArray())
        .ToList();

    // 1. Ingest, in interleaved rounds: direct store, REST with one client, REST with four clients (each its own run).
    await using var direct = SqliteTrackingStore.Open(Path.Combine(work, "direct"));
    using var server = TrackingServer.Start(Path.Combine(work, "served"), cli);
    await using var rest = await RestTrackingStore.ConnectAsync(server.Url);
    await IngestSectionAsync("SqliteTrackingStore", direct, rest, server.ProcessId, batches, rounds);
    // The same over PostgreSQL (--pg "Host=...;Username=...;Database=..."), each in a fresh schema: the store a course
    // server shares among many writers, where every batch's commit waits for the disk.
    if (StringArg("--pg") is { } pg)
    {
        await using var pgDirect = PostgresTrackingStore.Open(await FreshSchemaAsync(pg), Path.Combine(work, "pg-direct-artifacts"));
        using var pgServer = TrackingServer.Start(await FreshSchemaAsync(pg), cli, artifacts: Path.Combine(work, "pg-served-artifacts"));
        await using var pgRest = await RestTrackingStore.ConnectAsync(pgServer.Url);
        await IngestSectionAsync("PostgresTrackingStore", pgDirect, pgRest, pgServer.ProcessId, batches, rounds);
    }
    // One point per request, MLflow's log_metric pattern (its users report ~90 s for 1,000 calls, mlflow#5269).
    var singles = batches[0].Take(2_000).Select(m => (IReadOnlyCollection<Metric>)[m]).ToList();
    var directSingle = await IngestAsync(direct, singles);
    var restSingle = await IngestAsync(rest, singles);
    Console.WriteLine();
    Console.WriteLine($"| one point per call ({singles.Count:N0} calls) | calls/s | µs per call |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine($"| direct LogBatchAsync with 1 metric | {directSingle:N0} | {1e6 / directSingle:0} |");
    Console.WriteLine($"| REST runs/log-batch with 1 metric | {restSingle:N0} | {1e6 / restSingle:0} |");

    // 2. The UI's runs table over many runs, through the server: runs seeded straight into the served folder.
    var seedClock = Stopwatch.StartNew();
    var experimentId = await SyntheticRuns.SeedSqliteAsync(Path.Combine(work, "served"), "many", runCount);
    Console.WriteLine($"\nseeded {runCount:N0} runs in {seedClock.Elapsed.TotalSeconds:N1} s");
    Console.WriteLine($"\n## runs/search over {runCount:N0} runs via REST — load average {Load()}");
    Console.WriteLine("| query | page | median ms | p90 ms |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var (label, filter, order, size) in new (string, string?, string[], int)[]
    {
        ("newest first", null, [], 100),
        ("order by metrics.acc DESC", null, ["metrics.acc DESC"], 100),
        ("order by metrics.acc DESC", null, ["metrics.acc DESC"], 1000),
        ("filter metrics + params, order by metric", "metrics.acc > 0.5 and params.optimizer = 'adam'", ["metrics.loss ASC"], 1000),
        ("page 50 by metric (keyset token after 4,900 runs)", null, ["metrics.acc DESC"], 100),
    })
    {
        var token = label.StartsWith("page 50", StringComparison.Ordinal)
            ? (await rest.SearchRunsAsync(new RunQuery([experimentId], filter, order, 4_900))).NextPageToken
            : null;
        var times = new List<double>();
        for (var i = 0; i < 12; i++)
        {
            var sw = Stopwatch.StartNew();
            var page = await rest.SearchRunsAsync(new RunQuery([experimentId], filter, order, size, token));
            sw.Stop();
            // A filtered query over a small --runs may find fewer than a page; an unfiltered one fills it.
            if (filter is null ? page.Count != size : page.Count == 0) throw new InvalidOperationException($"expected a full page for '{label}', got {page.Count}");
            if (i >= 2) times.Add(sw.Elapsed.TotalMilliseconds); // two warm-up queries
        }
        times.Sort();
        Console.WriteLine($"| {label} | {size} | {times[times.Count / 2]:0.0} | {times[(int)(times.Count * 0.9)]:0.0} |");
    }

    // 3. Paging through every run by a metric over REST: keyset tokens (all pages) against MLflow offset tokens
    //    (the old behaviour: each page sorts again; timed on 5 pages deep in the list, then extrapolated).
    var pages = (runCount + 999) / 1000;
    var (keysetTimes, offsetTimes) = (new List<double>(), new List<double>());
    for (var r = 0; r < Math.Min(rounds, 3); r++)
    {
        var sw = Stopwatch.StartNew();
        var seen = await Seed.PageThroughAsync(rest, experimentId, "metrics.acc DESC");
        keysetTimes.Add(sw.Elapsed.TotalSeconds);
        if (seen != runCount) throw new InvalidOperationException($"paging saw {seen} runs");
        sw.Restart();
        for (var p = 0; p < 5; p++)
            await rest.SearchRunsAsync(new RunQuery([experimentId], null, ["metrics.acc DESC"], 1000, Seed.OffsetToken((runCount / 2) + p * 1000)));
        offsetTimes.Add(sw.Elapsed.TotalSeconds / 5);
    }
    Console.WriteLine($"\n## paging through {runCount:N0} runs by metrics.acc DESC via REST, pages of 1,000 — load average {Load()}");
    Console.WriteLine("| tokens | best | median |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine($"| keyset (all {pages} pages) | {keysetTimes.Min():0.00} s | {Median(keysetTimes):0.00} s |");
    Console.WriteLine($"| MLflow offset tokens: per page at offset {runCount / 2:N0} | {offsetTimes.Min() * 1000:0} ms | {Median(offsetTimes) * 1000:0} ms (≈ {Median(offsetTimes) * pages:0} s for all pages) |");
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}

static async Task IngestSectionAsync(string storeName, ITrackingStore direct, ITrackingStore rest, int serverProcessId, List<IReadOnlyCollection<Metric>> batches, int rounds)
{
    var (directRates, restRates, parallelRates) = (new List<double>(), new List<double>(), new List<double>());
    for (var r = 0; r < rounds; r++)
    {
        directRates.Add(await IngestAsync(direct, batches));
        restRates.Add(await IngestAsync(rest, batches));
        parallelRates.Add(await IngestParallelAsync(rest, batches, clients: 4));
    }
    var points = batches.Sum(b => b.Count);
    Console.WriteLine($"\n## REST log-batch ingest into {storeName}, {points:N0} points in batches of {batches[0].Count} ({rounds} interleaved rounds) — load average {Load()}");
    Console.WriteLine("| path | best metrics/s | median metrics/s | median ratio to direct | median ratio to 1 client |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    Console.WriteLine($"| direct {storeName}.LogBatchAsync | {directRates.Max():N0} | {Median(directRates):N0} | 1.00 | |");
    Console.WriteLine($"| REST runs/log-batch, 1 client | {restRates.Max():N0} | {Median(restRates):N0} | {Median(restRates) / Median(directRates):0.00} | 1.00 |");
    Console.WriteLine($"| REST runs/log-batch, 4 clients (4 runs) | {parallelRates.Max():N0} | {Median(parallelRates):N0} | {Median(parallelRates) / Median(directRates):0.00} | {Median(parallelRates) / Median(restRates):0.00} |");
    if (File.Exists($"/proc/{serverProcessId}/status"))
        Console.WriteLine($"server process: {string.Join(", ", File.ReadLines($"/proc/{serverProcessId}/status").Where(l => l.StartsWith("VmHWM", StringComparison.Ordinal) || l.StartsWith("VmRSS", StringComparison.Ordinal)).Select(l => string.Join(" ", l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))))}; server GC {Environment.GetEnvironmentVariable("DOTNET_gcServer") ?? "1 (TrackingServer.Start's default)"}");
}

static async Task<string> FreshSchemaAsync(string connectionString)
{
    var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
    await using (var connection = new Npgsql.NpgsqlConnection(connectionString))
    {
        await connection.OpenAsync();
        await using var create = new Npgsql.NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
        await create.ExecuteNonQueryAsync();
    }
    return connectionString + $";Search Path={schema}";
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

static double Median(List<double> xs)
{
    var s = xs.Order().ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static int Arg(string name, int fallback) => StringArg(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

static string? StringArg(string name)
{
    var args = Environment.GetCommandLineArgs();
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

static string FindRepo()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("Run from inside the repository.");
}

static string RuntimeInfo() => $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
