using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Courseware.Registry;
using Courseware.Serving;
using Courseware.Tracking;
using Courseware.Tracking.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Courseware.Cli.Serving;

/// <summary>
/// HTTP over a <see cref="ModelService"/> (all serving logic is in the library): <c>POST /predict</c> (JSON in and out,
/// checked against the answering version's signature; a bad request is a 400 naming the field; header
/// <c>X-Routing-Key</c> keeps a user on one arm), <c>POST /feedback</c> (<c>{"request_id", "outcome"}</c>),
/// <c>GET /ab</c> (the A/B report with its significance test), <c>GET /schema</c> (JSON Schema of the request),
/// <c>GET /health</c>, Prometheus <c>GET /metrics</c> and <c>POST /reload</c> (re-resolve the aliases now instead of
/// at the next watch tick).
/// </summary>
internal sealed class ModelServer : IAsyncDisposable
{
    /// <summary>The request header whose value routes a request to the same arm every time.</summary>
    public const string RoutingKeyHeader = "X-Routing-Key";

    private readonly WebApplication _app;
    private readonly ServingMetrics _metrics = new();

    private ModelServer(ModelService service, WebApplication app)
    {
        Service = service;
        _app = app;
        app.MapGet("/health", () => Results.Json(new
        {
            status = "ok",
            model = service.Champion.Uri,
            challenger = service.Challenger?.Uri,
            challenger_share = service.Split?.ChallengerShare,
            refresh_error = service.RefreshError,
        }));
        app.MapGet("/metrics", () =>
        {
            var metrics = new PrometheusMetrics();
            _metrics.AddTo(metrics);
            service.Log.AddTo(metrics);
            return Results.Text(metrics.ToString(), PrometheusMetrics.ContentType);
        });
        app.MapGet("/schema", () => Results.Json(service.RequestSchema));
        app.MapGet("/ab", () => Results.Json(service.Report().ToJson()));
        // Explicit RequestDelegates: a method group returning Task<IResult> would bind as one and drop the result.
        app.MapPost("/predict", async context => await (await PredictAsync(context)).ExecuteAsync(context));
        app.MapPost("/feedback", async context => await (await FeedbackAsync(context)).ExecuteAsync(context));
        app.MapPost("/reload", async (CancellationToken ct) =>
        {
            try
            {
                var changed = await service.RefreshAsync(ct);
                return Results.Json(new { model = service.Champion.Uri, challenger = service.Challenger?.Uri, changed = changed.Select(AbReport.ArmName) });
            }
            catch (TrackingException e)
            {
                // The alias no longer resolves or the new version fails its signature check: the loaded versions keep serving.
                return Results.Json(new { error_code = e.ErrorCode, field = e.Field, message = e.Message, model = service.Champion.Uri }, statusCode: 409);
            }
        });
    }

    /// <summary>The model service behind the endpoints.</summary>
    public ModelService Service { get; }

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:5123.</summary>
    public string Address => _app.Urls.First();

    /// <summary>Loads the model(s) and starts listening on 127.0.0.1 (port 0 = any free port).</summary>
    public static async Task<ModelServer> StartAsync(ModelRegistry registry, string modelUri, ServingOptions? options = null, int port = 0, CancellationToken cancellationToken = default)
    {
        var service = await ModelService.StartAsync(registry, modelUri, options, cancellationToken);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var server = new ModelServer(service, builder.Build());
            await server._app.StartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    private async Task<IResult> PredictAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var (status, result) = await HandleAsync(context, async body =>
        {
            var key = context.Request.Headers[RoutingKeyHeader].FirstOrDefault();
            var answer = await Service.PredictAsync(body, key, context.RequestAborted);
            context.Response.Headers["X-Model-Version"] = answer.Version.Uri;
            return Results.Json(answer.Body);
        });
        _metrics.Observe(status, Stopwatch.GetElapsedTime(started).TotalSeconds);
        return result;
    }

    private async Task<IResult> FeedbackAsync(HttpContext context) => (await HandleAsync(context, body =>
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("request_id", out var id) || id.ValueKind != JsonValueKind.String)
            throw new RegistryException(RegistryError.InvalidParameter, "request_id", "request_id: missing; expected {\"request_id\": <from /predict>, \"outcome\": <number>}.");
        if (!body.TryGetProperty("outcome", out var outcome) || outcome.ValueKind is not (JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
            throw new RegistryException(RegistryError.InvalidParameter, "outcome", "outcome: expected a number (1 = success, 0 = failure) or true/false.");
        Service.RecordOutcome(id.GetString()!, outcome.ValueKind switch { JsonValueKind.True => 1, JsonValueKind.False => 0, _ => outcome.GetDouble() });
        return Task.FromResult(Results.Json(new { recorded = true }));
    })).Result;

    // Parses the body and maps errors onto status codes as the tracking server does (one mapping, no internals in
    // messages): the server never crashes on input. The status is returned too, for the serving log.
    private static async Task<(int Status, IResult Result)> HandleAsync(HttpContext context, Func<JsonElement, Task<IResult>> handle)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            return (200, await handle(body.RootElement));
        }
        catch (Exception e) when (Server.MlflowApi.ToTrackingError(e) is { } error)
        {
            return (error.HttpStatus, Results.Json(MlflowEndpoints.ErrorBody(error), statusCode: error.HttpStatus));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Service.DisposeAsync();
    }
}

/// <summary>Prometheus counters and a latency histogram for the HTTP prediction endpoint (all versions together; per-version series come from <see cref="ServingLog"/>) (text exposition format 0.0.4).</summary>
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

    /// <summary>Adds the requests by status, the error count and the latency histogram to <paramref name="metrics"/>.</summary>
    public void AddTo(PrometheusMetrics metrics)
    {
        lock (_lock)
        {
            const string requestsHelp = "Prediction requests by HTTP status.";
            foreach (var (status, n) in _byStatus.OrderBy(kv => kv.Key))
                metrics.Counter("courseware_predict_requests_total", requestsHelp, n, ("code", status.ToString(CultureInfo.InvariantCulture)));
            metrics.Counter("courseware_predict_errors_total", "Prediction requests answered with 4xx or 5xx.", _byStatus.Where(kv => kv.Key >= 400).Sum(kv => kv.Value));
            metrics.Histogram("courseware_predict_latency_seconds", "Time to answer /predict.", [.. Buckets.Select((bound, i) => (bound, _bucketCounts[i]))], _count, _sum);
        }
    }
}
