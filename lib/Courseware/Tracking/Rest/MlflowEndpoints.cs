using System.Text.Json.Nodes;

namespace Courseware.Tracking.Rest;

/// <summary>One endpoint of the tracking server's REST API, apart from HTTP: the host reads the arguments (query string or JSON body) and writes what the handler returns.</summary>
/// <param name="Path">The full path, e.g. <c>/api/2.0/mlflow/runs/get</c>.</param>
/// <param name="Methods">The HTTP methods it answers.</param>
/// <param name="HandleAsync">Arguments in, response body out (null: an empty object); a <see cref="TrackingException"/> is MLflow's error (<see cref="MlflowEndpoints.ErrorBody"/>).</param>
/// <param name="MaxRequestBytes">The largest request body accepted.</param>
/// <param name="TryHandleBodyAsync">
/// Optional, for a POST with a JSON body: answers the body's UTF-8 bytes without a <c>JsonObject</c> tree where it can
/// (true: answered, the response is an empty object), or returns false before doing anything, and the host parses the
/// body and calls <paramref name="HandleAsync"/> (which then reports whatever is wrong with it).
/// </param>
public sealed record RestEndpoint(string Path, IReadOnlyList<string> Methods, Func<JsonObject, CancellationToken, Task<JsonObject?>> HandleAsync, int MaxRequestBytes,
    Func<ReadOnlyMemory<byte>, CancellationToken, Task<bool>>? TryHandleBodyAsync = null);

/// <summary>
/// MLflow's REST 2.0 tracking API (under <c>/api/2.0/mlflow/</c>, mirrored under <c>/ajax-api/2.0/mlflow/</c>) over an
/// <see cref="ITrackingStore"/>: each endpoint reads its arguments, makes one store call and returns MLflow's JSON.
/// Every rule (validation, limits, write-once params) lives in the store. Two extra endpoints under
/// <c>/api/2.0/courseware/</c> carry what MLflow's API lacks (heartbeats, stale-run sweep, server info). The HTTP host
/// (<c>courseware server</c>) maps them; the JSON shapes stay in this library, beside the client that reads them.
/// </summary>
public static class MlflowEndpoints
{
    /// <summary>MLflow's cap on a log-batch request body.</summary>
    public const int MaxBatchRequestBytes = 1_000_000;

    /// <summary>The cap on any other request body.</summary>
    public const int MaxRequestBytes = 16 * 1024 * 1024;

    private static readonly string[] Prefixes = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"];
    private static readonly string[] Get = ["GET"];
    private static readonly string[] Post = ["POST"];
    private static readonly string[] GetOrPost = ["GET", "POST"];

    private delegate Task<JsonObject?> Handler(JsonObject args, ITrackingStore store, CancellationToken ct);

    private delegate Task<bool> BodyHandler(ReadOnlyMemory<byte> body, ITrackingStore store, CancellationToken ct);

    /// <summary>MLflow's error body for <paramref name="error"/>: <c>{"error_code", "message", "field"}</c>; its HTTP status is <see cref="TrackingException.HttpStatus"/>.</summary>
    public static JsonObject ErrorBody(TrackingException error) => MlflowJson.Error(error);

    /// <summary>The tracking endpoints over <paramref name="store"/>.</summary>
    public static IReadOnlyList<RestEndpoint> Tracking(ITrackingStore store)
    {
        var endpoints = new List<RestEndpoint>();
        void Add(string path, string[] methods, Handler handler, int maxBody = MaxRequestBytes, BodyHandler? bodyHandler = null) =>
            endpoints.Add(new RestEndpoint(path, methods, (args, ct) => handler(args, store, ct), maxBody,
                bodyHandler is null ? null : (body, ct) => bodyHandler(body, store, ct)));
        void Route(string path, string[] methods, Handler handler, int maxBody = MaxRequestBytes, BodyHandler? bodyHandler = null)
        {
            foreach (var prefix in Prefixes) Add(prefix + path, methods, handler, maxBody, bodyHandler);
        }

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
        }, MaxBatchRequestBytes, async (body, s, ct) =>
        {
            // A well-formed body straight into the store's records; any other goes the general way above, which reports it.
            if (LogBatchReader.TryRead(body.Span) is not { } batch) return false;
            await s.LogBatchAsync(batch.RunId, batch.Metrics, batch.Params, batch.Tags, ct);
            return true;
        });
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
        Add("/api/2.0/courseware/runs/heartbeat", Post, async (a, s, ct) =>
        {
            await s.HeartbeatAsync(RunId(a), MlflowJson.OptionalLong(a, "time") ?? TrackingNames.NowMs(), ct);
            return null;
        });
        Add("/api/2.0/courseware/runs/fail-stale", Post, async (a, s, ct) =>
        {
            var before = MlflowJson.OptionalLong(a, "heartbeat_before") ?? throw Invalid(
                "heartbeat_before", "Missing value for required parameter 'heartbeat_before'.");
            var failed = await s.FailStaleRunsAsync(before, ct);
            return new JsonObject { ["run_ids"] = new JsonArray(failed.Select(id => (JsonNode)JsonValue.Create(id)).ToArray()) };
        });
        Add("/api/2.0/courseware/server-info", Get, ServerInfo, 0);
        return endpoints;
    }

    private static Task<JsonObject?> ServerInfo(JsonObject a, ITrackingStore s, CancellationToken ct) =>
        Task.FromResult<JsonObject?>(new JsonObject
        {
            ["default_artifact_root"] = s.DefaultArtifactRoot,
            ["version"] = typeof(MlflowEndpoints).Assembly.GetName().Version?.ToString(),
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
}
