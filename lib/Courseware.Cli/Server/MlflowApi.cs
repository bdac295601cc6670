using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Tracking;
using Courseware.Tracking.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Courseware.Cli.Server;

/// <summary>
/// MLflow's REST 2.0 tracking API (under <c>/api/2.0/mlflow/</c>, mirrored under <c>/ajax-api/2.0/mlflow/</c>) over an
/// <see cref="ITrackingStore"/>: each endpoint reads its arguments (query string for GET, JSON body for POST), makes
/// one store call and writes MLflow's JSON. Every rule (validation, limits, write-once params) lives in the store;
/// errors become MLflow's <c>{"error_code", "message"}</c> with its HTTP status. Two extra endpoints under
/// <c>/api/2.0/courseware/</c> carry what MLflow's API lacks (heartbeats, stale-run sweep, server info).
/// </summary>
internal static class MlflowApi
{
    /// <summary>MLflow's cap on a log-batch request body.</summary>
    public const int MaxBatchRequestBytes = 1_000_000;

    private const int MaxRequestBytes = 16 * 1024 * 1024;

    private static readonly string[] Prefixes = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"];
    private static readonly string[] Get = ["GET"];
    private static readonly string[] Post = ["POST"];
    private static readonly string[] GetOrPost = ["GET", "POST"];

    internal delegate Task<JsonObject?> Handler(JsonObject args, ITrackingStore store, CancellationToken ct);

    public static void Map(IEndpointRouteBuilder app, ITrackingStore store)
    {
        void Route(string path, string[] methods, Handler handler, int maxBody = MaxRequestBytes)
        {
            foreach (var prefix in Prefixes)
                app.MapMethods(prefix + path, methods, (HttpContext context) => HandleAsync(context, store, handler, maxBody));
        }

        // ---- experiments
        Route("experiments/create", Post, async (a, s, ct) => new JsonObject
        {
            // A client may choose a location only inside the server's artifact root: the server reads and lists runs' files there.
            ["experiment_id"] = await s.CreateExperimentAsync(MlflowJson.RequiredString(a, "name"),
                MlflowJson.OptionalString(a, "artifact_location") is { } location ? ArtifactLocations.Confine(location, s.DefaultArtifactRoot) : null,
                MlflowJson.ReadPairs(a, "tags").Select(t => new ExperimentTag(t.Key, t.Value)), ct),
        });
        Route("experiments/get", Get, async (a, s, ct) => new JsonObject
        {
            ["experiment"] = MlflowJson.Write(await s.GetExperimentAsync(MlflowJson.RequiredString(a, "experiment_id"), ct)),
        });
        Route("experiments/get-by-name", Get, async (a, s, ct) =>
        {
            var name = MlflowJson.RequiredString(a, "experiment_name");
            var experiment = await s.GetExperimentByNameAsync(name, ct)
                ?? throw new TrackingException(TrackingErrorCode.ResourceDoesNotExist, $"Could not find experiment with name '{name}'.", "experiment_name");
            return new JsonObject { ["experiment"] = MlflowJson.Write(experiment) };
        });
        Route("experiments/search", GetOrPost, SearchExperimentsAsync);
        Route("experiments/update", Post, async (a, s, ct) =>
        {
            await s.RenameExperimentAsync(MlflowJson.RequiredString(a, "experiment_id"), MlflowJson.RequiredString(a, "new_name"), ct);
            return null;
        });
        Route("experiments/delete", Post, async (a, s, ct) => { await s.DeleteExperimentAsync(MlflowJson.RequiredString(a, "experiment_id"), ct); return null; });
        Route("experiments/restore", Post, async (a, s, ct) => { await s.RestoreExperimentAsync(MlflowJson.RequiredString(a, "experiment_id"), ct); return null; });
        Route("experiments/set-experiment-tag", Post, async (a, s, ct) =>
        {
            await s.SetExperimentTagAsync(MlflowJson.RequiredString(a, "experiment_id"),
                new ExperimentTag(MlflowJson.RequiredString(a, "key"), MlflowJson.RequiredString(a, "value")), ct);
            return null;
        });

        // ---- runs
        Route("runs/create", Post, async (a, s, ct) =>
        {
            var run = await s.CreateRunAsync(MlflowJson.OptionalString(a, "experiment_id") ?? "0", MlflowJson.OptionalString(a, "run_name"),
                MlflowJson.OptionalLong(a, "start_time") ?? TrackingNames.NowMs(), MlflowJson.OptionalString(a, "user_id") ?? "",
                MlflowJson.ReadPairs(a, "tags").Select(t => new RunTag(t.Key, t.Value)), ct);
            return new JsonObject { ["run"] = MlflowJson.Write(run) };
        });
        Route("runs/get", Get, async (a, s, ct) => new JsonObject { ["run"] = MlflowJson.Write(await s.GetRunAsync(RunId(a), ct)) });
        Route("runs/update", Post, async (a, s, ct) =>
        {
            var status = MlflowJson.OptionalString(a, "status") is { } text ? TrackingNames.ParseRunStatus(text) : (RunStatus?)null;
            var info = await s.UpdateRunAsync(RunId(a), status, MlflowJson.OptionalLong(a, "end_time"), MlflowJson.OptionalString(a, "run_name"), ct);
            return new JsonObject { ["run_info"] = MlflowJson.Write(info) };
        });
        Route("runs/delete", Post, async (a, s, ct) => { await s.DeleteRunAsync(RunId(a), ct); return null; });
        Route("runs/restore", Post, async (a, s, ct) => { await s.RestoreRunAsync(RunId(a), ct); return null; });
        Route("runs/search", Post, SearchRunsAsync);
        Route("runs/log-metric", Post, async (a, s, ct) =>
        {
            await s.LogBatchAsync(RunId(a), [MlflowJson.ReadMetric(a, "metric")], [], [], ct);
            return null;
        });
        Route("runs/log-parameter", Post, async (a, s, ct) =>
        {
            await s.LogBatchAsync(RunId(a), [], [new Param(MlflowJson.RequiredString(a, "key"), MlflowJson.RequiredString(a, "value"))], [], ct);
            return null;
        });
        Route("runs/set-tag", Post, async (a, s, ct) =>
        {
            await s.LogBatchAsync(RunId(a), [], [], [new RunTag(MlflowJson.RequiredString(a, "key"), MlflowJson.RequiredString(a, "value"))], ct);
            return null;
        });
        Route("runs/delete-tag", Post, async (a, s, ct) => { await s.DeleteTagAsync(RunId(a), MlflowJson.RequiredString(a, "key"), ct); return null; });
        Route("runs/log-batch", Post, async (a, s, ct) =>
        {
            await s.LogBatchAsync(RunId(a), MlflowJson.ReadMetrics(a, "metrics"),
                MlflowJson.ReadPairs(a, "params").Select(p => new Param(p.Key, p.Value)).ToList(),
                MlflowJson.ReadPairs(a, "tags").Select(t => new RunTag(t.Key, t.Value)).ToList(), ct);
            return null;
        }, MaxBatchRequestBytes);
        Route("metrics/get-history", Get, async (a, s, ct) =>
        {
            var history = await s.GetMetricHistoryAsync(RunId(a), MlflowJson.RequiredString(a, "metric_key"), ct);
            return new JsonObject { ["metrics"] = new JsonArray(history.Select(m => (JsonNode)MlflowJson.Write(m)).ToArray()) };
        });

        Route("metrics/get-history-bulk-interval", Get, async (a, s, ct) =>
        {
            var histories = await s.GetMetricHistorySampledAsync(MlflowJson.StringList(a, "run_ids"), MlflowJson.RequiredString(a, "metric_key"),
                MlflowJson.OptionalLong(a, "start_step"), MlflowJson.OptionalLong(a, "end_step"),
                MlflowJson.OptionalInt(a, "max_results") ?? MetricSampling.DefaultMaxResults, ct);
            // MLflow's MetricWithRunId: a Metric message plus run_id, run after run.
            return new JsonObject
            {
                ["metrics"] = new JsonArray(histories.SelectMany(h => h.Points.Select(m =>
                {
                    var o = MlflowJson.Write(m);
                    o["run_id"] = h.RunId;
                    return (JsonNode)o;
                })).ToArray()),
            };
        });

        // ---- what MLflow's API lacks
        app.MapPost("/api/2.0/courseware/runs/heartbeat", (HttpContext c) => HandleAsync(c, store, async (a, s, ct) =>
        {
            await s.HeartbeatAsync(RunId(a), MlflowJson.OptionalLong(a, "time") ?? TrackingNames.NowMs(), ct);
            return null;
        }, MaxRequestBytes));
        app.MapPost("/api/2.0/courseware/runs/fail-stale", (HttpContext c) => HandleAsync(c, store, async (a, s, ct) =>
        {
            var before = MlflowJson.OptionalLong(a, "heartbeat_before") ?? throw Invalid(
                "heartbeat_before", "Missing value for required parameter 'heartbeat_before'.");
            var failed = await s.FailStaleRunsAsync(before, ct);
            return new JsonObject { ["run_ids"] = new JsonArray(failed.Select(id => (JsonNode)JsonValue.Create(id)).ToArray()) };
        }, MaxRequestBytes));
        // A method group, not a nested lambda: ASP0016 would read that lambda's Task<JsonObject?> as the endpoint's return.
        app.MapGet("/api/2.0/courseware/server-info", (HttpContext c) => HandleAsync(c, store, ServerInfo, 0));
        app.MapGet("/health", () => Results.Text("OK"));
        // MLflow answers unknown API paths with ENDPOINT_NOT_FOUND, and a known path asked with the wrong method with 405.
        app.Map("/api/{**rest}", (HttpContext c, EndpointDataSource endpoints) =>
        {
            var allowed = AllowedMethods(endpoints, c.Request.Path);
            if (allowed.Count == 0)
                return WriteJsonAsync(c, 404, new JsonObject
                {
                    ["error_code"] = "ENDPOINT_NOT_FOUND",
                    ["message"] = $"No API endpoint {c.Request.Method} {c.Request.Path}.",
                });
            c.Response.Headers.Allow = string.Join(", ", allowed);
            return WriteJsonAsync(c, 405, new JsonObject
            {
                ["error_code"] = "BAD_REQUEST",
                ["message"] = $"{c.Request.Path} does not answer {c.Request.Method}; use {string.Join(" or ", allowed)}.",
            });
        });
    }

    // The methods of the endpoints mapped at exactly this path (route patterns without parameters).
    private static List<string> AllowedMethods(EndpointDataSource endpoints, PathString path) =>
        endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Count == 0 && string.Equals(e.RoutePattern.RawText?.TrimStart('/'), path.Value?.TrimStart('/'), StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

    private static Task<JsonObject?> ServerInfo(JsonObject a, ITrackingStore s, CancellationToken ct) =>
        Task.FromResult<JsonObject?>(new JsonObject
        {
            ["default_artifact_root"] = s.DefaultArtifactRoot,
            ["version"] = typeof(MlflowApi).Assembly.GetName().Version?.ToString(),
        });

    private static async Task<JsonObject?> SearchExperimentsAsync(JsonObject a, ITrackingStore s, CancellationToken ct)
    {
        var all = ExperimentSearch.Apply(await s.SearchExperimentsAsync(MlflowJson.ReadViewType(a, "view_type"), ct),
            MlflowJson.OptionalString(a, "filter"), MlflowJson.StringList(a, "order_by"));
        var (page, next) = ExperimentPaging.Page(all, MlflowJson.OptionalInt(a, "max_results") ?? 1000, MlflowJson.OptionalString(a, "page_token"));
        var result = new JsonObject { ["experiments"] = new JsonArray(page.Select(e => (JsonNode)MlflowJson.Write(e)).ToArray()) };
        if (next is not null) result["next_page_token"] = next;
        return result;
    }

    private static async Task<JsonObject?> SearchRunsAsync(JsonObject a, ITrackingStore s, CancellationToken ct)
    {
        var query = new RunQuery(
            MlflowJson.StringList(a, "experiment_ids"),
            MlflowJson.OptionalString(a, "filter"),
            MlflowJson.StringList(a, "order_by"),
            MlflowJson.OptionalInt(a, "max_results") ?? TrackingLimits.DefaultMaxResults,
            MlflowJson.OptionalString(a, "page_token"),
            MlflowJson.ReadViewType(a, "run_view_type"));
        var page = await s.SearchRunsAsync(query, ct);
        var result = new JsonObject { ["runs"] = new JsonArray(page.Select(r => (JsonNode)MlflowJson.Write(r)).ToArray()) };
        if (page.NextPageToken is not null) result["next_page_token"] = page.NextPageToken;
        return result;
    }

    // MLflow accepts the deprecated run_uuid where run_id is missing; a request with neither is missing run_id.
    private static string RunId(JsonObject a) => MlflowJson.OptionalString(a, "run_id") ?? MlflowJson.OptionalString(a, "run_uuid")
        ?? throw Invalid("run_id", "Missing value for required parameter 'run_id'.");

    private static TrackingException Invalid(string field, string message) =>
        new(TrackingErrorCode.InvalidParameterValue, message, field);

    internal static Task HandleAsync(HttpContext context, ITrackingStore store, Handler handler, int maxBody) => GuardAsync(context, async () =>
    {
        var args = await ReadArgumentsAsync(context.Request, maxBody);
        var result = await handler(args, store, context.RequestAborted);
        await WriteJsonAsync(context, 200, result ?? new JsonObject());
    });

    /// <summary>
    /// Runs an endpoint's body and answers what went wrong the one way every endpoint of this server does: MLflow's
    /// <c>{"error_code", "message", "field"}</c> with the code's HTTP status (unless the response has already begun).
    /// </summary>
    internal static async Task GuardAsync(HttpContext context, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (!context.Response.HasStarted && ToTrackingError(e) is { } error)
        {
            await WriteJsonAsync(context, error.HttpStatus, MlflowJson.Error(error));
        }
    }

    /// <summary>Maps what can go wrong in a request to an MLflow error; unexpected failures become INTERNAL_ERROR without internals.</summary>
    internal static TrackingException? ToTrackingError(Exception e) => e switch
    {
        TrackingException t => t,
        JsonException j => new TrackingException(TrackingErrorCode.InvalidParameterValue, $"body: not valid JSON ({j.Message})", "body"),
        OperationCanceledException => null,
        _ => Internal(e),
    };

    // The caller learns that the server failed, not where its files are: details go to the server's own log.
    private static TrackingException Internal(Exception e)
    {
        Console.Error.WriteLine($"Internal error: {e}");
        return new TrackingException(TrackingErrorCode.InternalError, $"Internal error ({e.GetType().Name}); the server's log has the details.");
    }

    /// <summary>The request's arguments: the query string of a GET (repeated keys become arrays), the JSON body of a POST.</summary>
    private static async Task<JsonObject> ReadArgumentsAsync(HttpRequest request, int maxBody)
    {
        // GET reads the query string; so does a DELETE that sends its arguments there and no body (never a POST: a
        // bodiless cross-site POST needs no CORS preflight).
        if (HttpMethods.IsGet(request.Method)
            || (HttpMethods.IsDelete(request.Method) && request.ContentLength is 0 or null && request.ContentType is null && request.QueryString.HasValue))
        {
            var args = new JsonObject();
            foreach (var (key, values) in request.Query)
                args[key] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            return args;
        }
        if (request.ContentLength > maxBody)
            throw BodyTooLarge(maxBody);
        // Requiring JSON keeps browsers from posting "simple" cross-site forms here (a JSON content type needs CORS).
        if (request.ContentLength != 0 && request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            throw new TrackingException(TrackingErrorCode.BadRequest,
                $"{request.Method} bodies must be JSON (Content-Type: application/json), got '{request.ContentType}'.", "Content-Type");
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBody) throw BodyTooLarge(maxBody);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) return new JsonObject();
        return JsonNode.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length).Span) as JsonObject
            ?? throw new TrackingException(TrackingErrorCode.InvalidParameterValue, "The request body must be a JSON object.", "body");
    }

    private static TrackingException BodyTooLarge(int maxBody) =>
        new(TrackingErrorCode.InvalidParameterValue,
            $"Request body exceeds the limit of {maxBody} bytes{(maxBody == MaxBatchRequestBytes ? " for a log-batch request (MLflow's limit); split it" : "")}.", "body");

    /// <summary>Writes a JSON response.</summary>
    internal static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter.AsStream());
        body.WriteTo(writer);
    }
}
