// Serving latency and throughput of an ONNX registry model (tinygpt-small, a [1, 16] token window):
// the same OnnxPredictor called in-process, through ModelService (routing to a challenger on 10 %, per-version log),
// and `courseware serve` over HTTP on 127.0.0.1 without and with the challenger split.
// Usage: dotnet run -c Release --project bench/serving [-- requests clients]  (build the CLI first: dotnet build Courseware.sln -c Release)
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Courseware.Registry;
using Courseware.Serving;
using Courseware.Tracking;

var requests = args.Length > 0 ? int.Parse(args[0]) : 2000;
var clients = args.Length > 1 ? int.Parse(args[1]) : 4;
var root = FindRoot();
var folder = Path.Combine(Path.GetTempPath(), "cw-serve-bench-" + Guid.NewGuid().ToString("N")[..8]);
var WarmUp = TimeSpan.FromSeconds(2);
try
{
    await using (var store = SqliteTrackingStore.Open(folder))
    {
        var registry = new ModelRegistry(store);
        var v = await registry.RegisterAsync("bench-gpt", Path.Combine(root, "datasets/models/tinygpt-small/model.onnx"), ModelFlavor.Onnx);
        await registry.SetAliasAsync("bench-gpt", "champion", v.Version);
        var v2 = await registry.RegisterAsync("bench-gpt", Path.Combine(root, "datasets/models/tinygpt-small/model.onnx"), ModelFlavor.Onnx);
        await registry.SetAliasAsync("bench-gpt", "challenger", v2.Version);
        var input = v.Signature.Inputs.Single().Name;
        var body = $"{{\"inputs\": {{\"{input}\": [[{string.Join(", ", Enumerable.Range(1, 16))}]]}}}}";

        using var predictor = await OnnxPredictor.LoadAsync(registry, "models:/bench-gpt@champion");
        void Predict()
        {
            using var doc = JsonDocument.Parse(body);
            _ = predictor.Predict(doc.RootElement).ToJsonString();
        }
        await using var split = await ModelService.StartAsync(registry, "models:/bench-gpt@champion",
            new ServingOptions { Challenger = "models:/bench-gpt@challenger", ChallengerShare = 0.1, WatchInterval = null });
        async Task Serve()
        {
            using var doc = JsonDocument.Parse(body);
            _ = (await split.PredictAsync(doc.RootElement)).Body.ToJsonString();
        }

        // Warm up for a fixed time, then measure both in-process paths twice and keep the second round: tiered JIT and
        // ONNX Runtime's first runs settle in the background, so whichever path went first looked ×1.3–2 slower.
        for (var warm = Stopwatch.StartNew(); warm.Elapsed < WarmUp;) { Predict(); await Serve(); }
        Result inProcess = default!, inProcessParallel = default!, service = default!, serviceParallel = default!;
        for (var round = 0; round < 2; round++)
        {
            inProcess = Measure(requests, 1, _ => { Predict(); return Task.CompletedTask; });
            inProcessParallel = Measure(requests, clients, _ => { Predict(); return Task.CompletedTask; });
            service = Measure(requests, 1, _ => Serve());
            serviceParallel = Measure(requests, clients, _ => Serve());
        }

        var (loopback, loopbackParallel) = await MeasureServerAsync([]);
        var (loopbackSplit, loopbackSplitParallel) = await MeasureServerAsync(["--challenger", "models:/bench-gpt@challenger", "--split", "0.1"]);
        async Task<(Result, Result)> MeasureServerAsync(string[] extra)
        {
            var port = FreePort();
            using var server = Process.Start(new ProcessStartInfo(Path.Combine(root, "build/cli/courseware"),
                ["serve", "models:/bench-gpt@champion", "--store", folder, "--port", port.ToString(), .. extra]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitForHealthAsync(http);
            async Task Post()
            {
                using var response = await http.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                await response.Content.ReadAsByteArrayAsync();
            }
            for (var warm = Stopwatch.StartNew(); warm.Elapsed < WarmUp;) await Post();
            var one = Measure(requests, 1, _ => Post());
            var many = Measure(requests, clients, _ => Post());
            server.Kill();
            return (one, many);
        }

        Console.WriteLine($"ONNX tinygpt-small, 16 tokens, {requests} requests; {Environment.ProcessorCount} logical CPUs");
        Console.WriteLine("| path | clients | p50 ms | p99 ms | requests/s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, c, r) in new[]
        {
            ("in-process predictor", 1, inProcess), ("in-process predictor", clients, inProcessParallel),
            ("in-process ModelService, 10 % challenger", 1, service), ("in-process ModelService, 10 % challenger", clients, serviceParallel),
            ("HTTP loopback", 1, loopback), ("HTTP loopback", clients, loopbackParallel),
            ("HTTP loopback, 10 % challenger", 1, loopbackSplit), ("HTTP loopback, 10 % challenger", clients, loopbackSplitParallel),
        })
            Console.WriteLine($"| {name} | {c} | {r.P50:0.000} | {r.P99:0.000} | {r.Throughput:0} |");
        Console.WriteLine($"serving overhead (1 client, p50): HTTP ×{loopback.P50 / inProcess.P50:0.00}, HTTP with split ×{loopbackSplit.P50 / inProcess.P50:0.00}, " +
                          $"ModelService ×{service.P50 / inProcess.P50:0.00} (routing + per-version log); " +
                          $"{clients} clients: throughput in-process / HTTP ×{inProcessParallel.Throughput / loopbackParallel.Throughput:0.00}");
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static Result Measure(int requests, int clients, Func<int, Task> call)
{
    var latencies = new double[requests];
    var next = -1;
    var wall = Stopwatch.StartNew();
    Task.WaitAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < requests)
        {
            var t = Stopwatch.GetTimestamp();
            await call(i);
            latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
    })).ToArray());
    wall.Stop();
    Array.Sort(latencies);
    return new Result(latencies[requests / 2], latencies[(int)(requests * 0.99)], requests / wall.Elapsed.TotalSeconds);
}

static async Task WaitForHealthAsync(HttpClient http)
{
    for (var i = 0; i < 300; i++)
    {
        try { if ((await http.GetAsync("/health")).IsSuccessStatusCode) return; }
        catch (HttpRequestException) { }
        await Task.Delay(100);
    }
    throw new TimeoutException("courseware serve did not answer /health within 30 s");
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "Courseware.sln"))) return d.FullName;
    throw new InvalidOperationException("run inside the repository");
}

internal sealed record Result(double P50, double P99, double Throughput);
