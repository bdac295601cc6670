using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Courseware.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Courseware.Cli.Serving;

/// <summary>
/// Serves a registry model over HTTP: <c>POST /predict</c> (JSON in and out, checked against the version's
/// signature; a bad request is a 400 naming the field), <c>GET /health</c>, Prometheus <c>GET /metrics</c> (latency
/// histogram, request and error counts) and <c>POST /reload</c>, which re-resolves the URI (e.g. after the champion
/// alias moved) and swaps the model in without dropping a request: requests hold a lease on the model they started
/// with, and the old model is disposed when its last lease ends.
/// </summary>
internal sealed class ModelServer : IAsyncDisposable
{
    private readonly ModelRegistry _registry;
    private readonly WebApplication _app;
    private readonly ServingMetrics _metrics = new();
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private Lease _current;

    private ModelServer(ModelRegistry registry, string modelUri, OnnxPredictor predictor, WebApplication app)
    {
        _registry = registry;
        ModelUri = modelUri;
        _current = new Lease(predictor);
        _app = app;
        app.MapGet("/health", () => Results.Json(new { status = "ok", model = Volatile.Read(ref _current).Predictor.Version.Uri }));
        app.MapGet("/metrics", () => Results.Text(_metrics.Render(), "text/plain; version=0.0.4"));
        // An explicit RequestDelegate: a method group returning Task<IResult> would bind as one and drop the result.
        app.MapPost("/predict", async context => await (await PredictAsync(context)).ExecuteAsync(context));
        app.MapPost("/reload", async (CancellationToken ct) => Results.Json(new { model = (await ReloadAsync(ct)).Uri }));
    }

    /// <summary>The URI being served (an alias URI follows its alias on <see cref="ReloadAsync"/>).</summary>
    public string ModelUri { get; }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:5123.</summary>
    public string Address => _app.Urls.First();

    /// <summary>Loads the model and starts listening on 127.0.0.1 (port 0 = any free port).</summary>
    public static async Task<ModelServer> StartAsync(ModelRegistry registry, string modelUri, int port = 0, CancellationToken cancellationToken = default)
    {
        var predictor = await OnnxPredictor.LoadAsync(registry, modelUri, cancellationToken);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var server = new ModelServer(registry, modelUri, predictor, builder.Build());
        await server._app.StartAsync(cancellationToken);
        return server;
    }

    /// <summary>Re-resolves the URI and swaps the new version in; in-flight requests finish on the old one.</summary>
    public async Task<ModelVersion> ReloadAsync(CancellationToken cancellationToken = default)
    {
        await _reloadGate.WaitAsync(cancellationToken);
        try
        {
            var next = new Lease(await OnnxPredictor.LoadAsync(_registry, ModelUri, cancellationToken));
            Interlocked.Exchange(ref _current, next).Retire();
            return next.Predictor.Version;
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    private async Task<IResult> PredictAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var lease = Acquire();
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var result = lease.Predictor.Predict(body.RootElement);
            _metrics.Observe(200, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return Results.Json(result);
        }
        catch (JsonException e)
        {
            _metrics.Observe(400, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return Results.Json(new { error_code = "BAD_REQUEST", field = "body", message = $"body: not valid JSON ({e.Message})" }, statusCode: 400);
        }
        catch (RegistryException e) when (e.HttpStatus == 400)
        {
            _metrics.Observe(400, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return Results.Json(new { error_code = e.ErrorCode, field = e.Field, message = e.Message }, statusCode: 400);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The server never crashes on input: anything else is a 500 with the reason, and counted.
            _metrics.Observe(500, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return Results.Json(new { error_code = "INTERNAL_ERROR", message = e.Message }, statusCode: 500);
        }
        finally
        {
            lease.Release();
        }
    }

    private Lease Acquire()
    {
        while (true)
        {
            var lease = Volatile.Read(ref _current);
            if (lease.TryAcquire()) return lease;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _current.Retire();
        _reloadGate.Dispose();
    }

    /// <summary>A reference count on one predictor: disposed once retired and no request holds it.</summary>
    private sealed class Lease(OnnxPredictor predictor)
    {
        // Count of holders plus one for "still current"; 0 means disposed.
        private int _count = 1;

        public OnnxPredictor Predictor { get; } = predictor;

        public bool TryAcquire()
        {
            while (true)
            {
                var c = Volatile.Read(ref _count);
                if (c == 0) return false;
                if (Interlocked.CompareExchange(ref _count, c + 1, c) == c) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _count) == 0) Predictor.Dispose();
        }

        public void Retire() => Release();
    }
}

/// <summary>Prometheus counters and a latency histogram for the prediction endpoint (text exposition format 0.0.4).</summary>
internal sealed class ServingMetrics
{
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private readonly long[] _bucketCounts = new long[Buckets.Length];
    private readonly Dictionary<int, long> _byStatus = [];
    private readonly Lock _lock = new();
    private long _count;
    private double _sum;

    public void Observe(int status, double seconds)
    {
        lock (_lock)
        {
            _count++;
            _sum += seconds;
            for (var i = 0; i < Buckets.Length; i++)
                if (seconds <= Buckets[i]) _bucketCounts[i]++;
            _byStatus[status] = _byStatus.GetValueOrDefault(status) + 1;
        }
    }

    public string Render()
    {
        var sb = new StringBuilder();
        lock (_lock)
        {
            sb.Append("# HELP courseware_predict_requests_total Prediction requests by HTTP status.\n# TYPE courseware_predict_requests_total counter\n");
            foreach (var (status, n) in _byStatus.OrderBy(kv => kv.Key))
                sb.Append(CultureInfo.InvariantCulture, $"courseware_predict_requests_total{{code=\"{status}\"}} {n}\n");
            sb.Append("# HELP courseware_predict_errors_total Prediction requests answered with 4xx or 5xx.\n# TYPE courseware_predict_errors_total counter\n");
            sb.Append(CultureInfo.InvariantCulture, $"courseware_predict_errors_total {_byStatus.Where(kv => kv.Key >= 400).Sum(kv => kv.Value)}\n");
            sb.Append("# HELP courseware_predict_latency_seconds Time to answer /predict.\n# TYPE courseware_predict_latency_seconds histogram\n");
            for (var i = 0; i < Buckets.Length; i++)
                sb.Append(CultureInfo.InvariantCulture, $"courseware_predict_latency_seconds_bucket{{le=\"{Buckets[i]}\"}} {_bucketCounts[i]}\n");
            sb.Append(CultureInfo.InvariantCulture, $"courseware_predict_latency_seconds_bucket{{le=\"+Inf\"}} {_count}\n");
            sb.Append(CultureInfo.InvariantCulture, $"courseware_predict_latency_seconds_sum {_sum}\ncourseware_predict_latency_seconds_count {_count}\n");
        }
        return sb.ToString();
    }
}
