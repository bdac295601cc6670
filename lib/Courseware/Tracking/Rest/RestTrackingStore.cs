using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Courseware.Tracking.Rest;

/// <summary>
/// A tracking store on a <c>courseware server</c> (or any MLflow-compatible server for the MLflow endpoints), over
/// HTTP. Errors come back as <see cref="TrackingException"/> with the server's MLflow error code and field; a server
/// that cannot be reached or does not answer in time is an INTERNAL_ERROR naming the URL.
/// </summary>
/// <example><code>using var tracker = Tracker.Open("http://127.0.0.1:5000");</code></example>
public sealed class RestTrackingStore : ITrackingStore, IStoreServices
{
    /// <summary>How long one request may take unless told otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private const string Api = "api/2.0/mlflow/";
    private readonly HttpClient _http;

    private RestTrackingStore(HttpClient http, string defaultArtifactRoot)
    {
        _http = http;
        DefaultArtifactRoot = defaultArtifactRoot;
        Artifacts = new RestArtifactRepository(http, defaultArtifactRoot);
    }

    /// <summary>The server's base URL.</summary>
    public Uri BaseUrl => _http.BaseAddress!;

    /// <inheritdoc />
    public string DefaultArtifactRoot { get; }

    /// <summary>Writes and reads artifact files through the server (its <c>mlflow-artifacts</c> endpoints).</summary>
    public IArtifactRepository Artifacts { get; }

    bool IStoreServices.ArtifactsAreLocal => false;

    Registry.IRegistryBackend IStoreServices.OpenRegistry(string actor) => new Registry.RestRegistryBackend(this, actor);

    /// <summary>Connects to the server at <paramref name="url"/> and checks it answers.</summary>
    /// <param name="url">Base URL, e.g. <c>http://127.0.0.1:5000</c>.</param>
    /// <param name="token">Bearer token, when the server requires one (default: $COURSEWARE_SERVER_TOKEN).</param>
    /// <param name="timeout">Per-request timeout (default <see cref="DefaultTimeout"/>).</param>
    /// <param name="cancellationToken">Cancels the initial server-info request.</param>
    public static async Task<RestTrackingStore> ConnectAsync(string url, string? token = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            throw TrackingException.InvalidParameter("url", $"'{url}' is not an http:// or https:// URL of a tracking server.");
        var http = new HttpClient { BaseAddress = baseUrl, Timeout = timeout ?? DefaultTimeout };
        token ??= Environment.GetEnvironmentVariable("COURSEWARE_SERVER_TOKEN");
        if (!string.IsNullOrEmpty(token)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            var info = await SendAsync(http, HttpMethod.Get, "api/2.0/courseware/server-info", null, cancellationToken).ConfigureAwait(false);
            return new RestTrackingStore(http, MlflowJson.RequiredString(info, "default_artifact_root"));
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>Blocking <see cref="ConnectAsync"/>, for <see cref="Tracker.Open(string?, TrackerOptions?)"/>.</summary>
    public static RestTrackingStore Connect(string url, string? token = null, TimeSpan? timeout = null) =>
        ConnectAsync(url, token, timeout).GetAwaiter().GetResult();

    // ---------------- experiments ----------------

    /// <inheritdoc />
    public async Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IEnumerable<ExperimentTag>? tags = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["name"] = name, ["tags"] = MlflowJson.KeyValues((tags ?? []).Select(t => KeyValuePair.Create(t.Key, t.Value))) };
        if (artifactLocation is not null) body["artifact_location"] = artifactLocation;
        return MlflowJson.RequiredString(await PostAsync("experiments/create", body, cancellationToken).ConfigureAwait(false), "experiment_id");
    }

    /// <inheritdoc />
    public async Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        ReadExperiment(await GetAsync("experiments/get", cancellationToken, ("experiment_id", experimentId)).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return ReadExperiment(await GetAsync("experiments/get-by-name", cancellationToken, ("experiment_name", name)).ConfigureAwait(false));
        }
        catch (TrackingException e) when (e.Code == TrackingErrorCode.ResourceDoesNotExist)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, CancellationToken cancellationToken = default)
    {
        var all = new List<Experiment>();
        string? token = null;
        do
        {
            var body = new JsonObject { ["view_type"] = viewType.ToWire(), ["max_results"] = ExperimentPaging.MaxResultsLimit };
            if (token is not null) body["page_token"] = token;
            var page = await PostAsync("experiments/search", body, cancellationToken).ConfigureAwait(false);
            all.AddRange(Objects(page, "experiments").Select(MlflowJson.ReadExperiment));
            token = MlflowJson.OptionalString(page, "next_page_token");
        } while (token is not null);
        return all;
    }

    /// <inheritdoc />
    public Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        PostAsync("experiments/delete", new JsonObject { ["experiment_id"] = experimentId }, cancellationToken);

    /// <inheritdoc />
    public Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default) =>
        PostAsync("experiments/restore", new JsonObject { ["experiment_id"] = experimentId }, cancellationToken);

    /// <inheritdoc />
    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default) =>
        PostAsync("experiments/update", new JsonObject { ["experiment_id"] = experimentId, ["new_name"] = newName }, cancellationToken);

    /// <inheritdoc />
    public Task SetExperimentTagAsync(string experimentId, ExperimentTag tag, CancellationToken cancellationToken = default) =>
        PostAsync("experiments/set-experiment-tag", new JsonObject { ["experiment_id"] = experimentId, ["key"] = tag.Key, ["value"] = tag.Value }, cancellationToken);

    // ---------------- runs ----------------

    /// <inheritdoc />
    public async Task<Run> CreateRunAsync(string experimentId, string? runName, long startTime, string userId, IEnumerable<RunTag>? tags = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["start_time"] = startTime,
            ["user_id"] = userId,
            ["tags"] = MlflowJson.KeyValues((tags ?? []).Select(t => KeyValuePair.Create(t.Key, t.Value))),
        };
        if (runName is not null) body["run_name"] = runName;
        return ReadRun(await PostAsync("runs/create", body, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        ReadRun(await GetAsync("runs/get", cancellationToken, ("run_id", runId)).ConfigureAwait(false));

    /// <inheritdoc />
    public async Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status = null, long? endTime = null, string? runName = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["run_id"] = runId };
        if (status is { } s) body["status"] = s.ToWire();
        if (endTime is { } e) body["end_time"] = e;
        if (runName is not null) body["run_name"] = runName;
        var result = await PostAsync("runs/update", body, cancellationToken).ConfigureAwait(false);
        return MlflowJson.ReadRunInfo(result["run_info"] as JsonObject ?? throw Malformed("runs/update", "run_info"));
    }

    /// <inheritdoc />
    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default) =>
        PostAsync("runs/delete", new JsonObject { ["run_id"] = runId }, cancellationToken);

    /// <inheritdoc />
    public Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default) =>
        PostAsync("runs/restore", new JsonObject { ["run_id"] = runId }, cancellationToken);

    /// <inheritdoc />
    public Task LogBatchAsync(string runId, IReadOnlyCollection<Metric> metrics, IReadOnlyCollection<Param> @params, IReadOnlyCollection<RunTag> tags, CancellationToken cancellationToken = default)
    {
        // The body written straight to UTF-8 (the same JSON as MlflowJson.Write would give), not a JsonObject per point:
        // a batch of 1,000 points is most of a client's work per request.
        var body = new System.Buffers.ArrayBufferWriter<byte>(64 + metrics.Count * 80);
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteString("run_id", runId);
            w.WriteStartArray("metrics");
            foreach (var m in metrics)
            {
                w.WriteStartObject();
                w.WriteString("key", m.Key);
                if (double.IsFinite(m.Value)) w.WriteNumber("value", m.Value);
                else w.WriteString("value", double.IsNaN(m.Value) ? "NaN" : m.Value > 0 ? "Infinity" : "-Infinity");
                w.WriteNumber("timestamp", m.Timestamp);
                w.WriteNumber("step", m.Step);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            foreach (var (name, pairs) in new[] { ("params", @params.Select(p => KeyValuePair.Create(p.Key, p.Value))), ("tags", tags.Select(t => KeyValuePair.Create(t.Key, t.Value))) })
            {
                w.WriteStartArray(name);
                foreach (var (key, value) in pairs)
                {
                    w.WriteStartObject();
                    w.WriteString("key", key);
                    w.WriteString("value", value);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        var content = new ReadOnlyMemoryContent(body.WrittenMemory); // the written bytes as they are, not a copy
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return SendContentAsync(_http, HttpMethod.Post, Api + "runs/log-batch", content, cancellationToken);
    }

    /// <inheritdoc />
    public Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default) =>
        PostAsync("runs/delete-tag", new JsonObject { ["run_id"] = runId, ["key"] = key }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellationToken = default) =>
        MlflowJson.ReadMetrics(await GetAsync("metrics/get-history", cancellationToken, ("run_id", runId), ("metric_key", key)).ConfigureAwait(false), "metrics");

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunMetricHistory>> GetMetricHistorySampledAsync(IReadOnlyList<string> runIds, string key, long? startStep = null, long? endStep = null,
        int maxResults = MetricSampling.DefaultMaxResults, CancellationToken cancellationToken = default)
    {
        MetricSampling.Validate(runIds, startStep, endStep, maxResults);
        var query = runIds.Select(id => ("run_ids", id)).Append(("metric_key", key)).Append(("max_results", maxResults.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (startStep is { } start && endStep is { } end)
            query = query.Append(("start_step", start.ToString(System.Globalization.CultureInfo.InvariantCulture))).Append(("end_step", end.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var result = await GetAsync("metrics/get-history-bulk-interval", cancellationToken, query.ToArray()).ConfigureAwait(false);
        var byRun = runIds.Distinct().ToDictionary(id => id, _ => new List<Metric>(), StringComparer.Ordinal);
        foreach (var (o, i) in Objects(result, "metrics").Select((o, i) => (o, i)))
            if (byRun.TryGetValue(MlflowJson.RequiredString(o, "run_id", $"metrics[{i}]"), out var list)) list.Add(MlflowJson.ReadMetric(o, $"metrics[{i}]"));
        return runIds.Select(id => new RunMetricHistory(id, byRun[id])).ToList();
    }

    /// <inheritdoc />
    public async Task<RunPage> SearchRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var body = new JsonObject
        {
            ["experiment_ids"] = new JsonArray(query.ExperimentIds.Select(id => (JsonNode)JsonValue.Create(id)).ToArray()),
            ["max_results"] = query.MaxResults,
            ["run_view_type"] = query.ViewType.ToWire(),
            ["order_by"] = new JsonArray((query.OrderBy ?? []).Select(o => (JsonNode)JsonValue.Create(o)).ToArray()),
        };
        if (query.Filter is not null) body["filter"] = query.Filter;
        if (query.PageToken is not null) body["page_token"] = query.PageToken;
        var page = await PostAsync("runs/search", body, cancellationToken).ConfigureAwait(false);
        return new RunPage(Objects(page, "runs").Select(MlflowJson.ReadRun).ToList(), MlflowJson.OptionalString(page, "next_page_token"));
    }

    /// <inheritdoc />
    public Task HeartbeatAsync(string runId, long time, CancellationToken cancellationToken = default) =>
        SendAsync(_http, HttpMethod.Post, "api/2.0/courseware/runs/heartbeat", new JsonObject { ["run_id"] = runId, ["time"] = time }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FailStaleRunsAsync(long heartbeatBefore, CancellationToken cancellationToken = default)
    {
        var result = await SendAsync(_http, HttpMethod.Post, "api/2.0/courseware/runs/fail-stale",
            new JsonObject { ["heartbeat_before"] = heartbeatBefore }, cancellationToken).ConfigureAwait(false);
        return MlflowJson.StringList(result, "run_ids");
    }

    /// <summary>Closes the HTTP connections (the server and its data stay).</summary>
    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    // ---------------- HTTP ----------------

    private Task<JsonObject> PostAsync(string endpoint, JsonObject body, CancellationToken ct) =>
        SendAsync(_http, HttpMethod.Post, Api + endpoint, body, ct);

    private Task<JsonObject> GetAsync(string endpoint, CancellationToken ct, params (string Name, string Value)[] query) =>
        SendAsync(_http, HttpMethod.Get, Api + endpoint + "?" + string.Join('&', query.Select(q => q.Name + "=" + Uri.EscapeDataString(q.Value))), null, ct);

    /// <summary>One API request (path relative to the base URL): the JSON answer, or the server's error rebuilt.</summary>
    internal Task<JsonObject> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct) =>
        SendAsync(_http, method, path, body, ct);

    internal static Task<JsonObject> SendAsync(HttpClient http, HttpMethod method, string path, JsonObject? body, CancellationToken ct) =>
        SendContentAsync(http, method, path, body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), ct);

    private static async Task<JsonObject> SendContentAsync(HttpClient http, HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Content = content;
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransportFailure(e, ct))
        {
            throw Unreachable(http, method, path, e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            var json = ParseObject(text);
            if (response.IsSuccessStatusCode && json is not null) return json;
            throw ToException(response.StatusCode, json, text, method, path);
        }
    }

    internal static bool IsTransportFailure(Exception e, CancellationToken ct) =>
        e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested);

    internal static TrackingException Unreachable(HttpClient http, HttpMethod method, string path, Exception e)
    {
        var why = e is TaskCanceledException ? $"no answer within {http.Timeout.TotalSeconds:0.#} s" : e.Message;
        return new TrackingException(TrackingErrorCode.InternalError,
            $"Tracking server {http.BaseAddress} did not answer {method} /{path.Split('?')[0]}: {why}.", "url", e);
    }

    internal static JsonObject? ParseObject(string text)
    {
        try { return text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject; }
        catch (JsonException) { return null; }
    }

    // Rebuilds the server's error: same code, message and field (a filter error gets its position back too).
    internal static TrackingException ToException(HttpStatusCode status, JsonObject? json, string text, HttpMethod method, string path)
    {
        var code = json?["error_code"]?.GetValue<string>();
        var message = json?["message"]?.GetValue<string>();
        if (code is null || message is null)
            return new TrackingException(TrackingErrorCode.InternalError,
                $"Tracking server answered {(int)status} {status} to {method} /{path.Split('?')[0]}: {Shorten(text)}");
        var field = json!["field"]?.GetValue<string>();
        if (field is not null && json["position"] is JsonValue p && p.TryGetValue<int>(out var position) && FilterError(message, field, position) is { } filterError)
            return filterError;
        return new TrackingException(ParseCode(code), message, field);
    }

    private static FilterSyntaxException? FilterError(string message, string field, int position)
    {
        // The message is "Invalid {field} at column N: {problem}\n  {input}\n  ^" (FilterSyntaxException).
        var lines = message.Split('\n');
        var head = $"Invalid {field} at column {position + 1}: ";
        return lines.Length >= 2 && lines[0].StartsWith(head, StringComparison.Ordinal) && lines[1].StartsWith("  ", StringComparison.Ordinal)
            ? new FilterSyntaxException(field, lines[1][2..], position, lines[0][head.Length..])
            : null;
    }

    private static TrackingErrorCode ParseCode(string code) => code switch
    {
        "INVALID_PARAMETER_VALUE" => TrackingErrorCode.InvalidParameterValue,
        "RESOURCE_DOES_NOT_EXIST" => TrackingErrorCode.ResourceDoesNotExist,
        "RESOURCE_ALREADY_EXISTS" => TrackingErrorCode.ResourceAlreadyExists,
        "INVALID_STATE" => TrackingErrorCode.InvalidState,
        "REQUEST_LIMIT_EXCEEDED" => TrackingErrorCode.RequestLimitExceeded,
        "BAD_REQUEST" or "ENDPOINT_NOT_FOUND" or "UNAUTHENTICATED" or "PERMISSION_DENIED" => TrackingErrorCode.BadRequest,
        _ => TrackingErrorCode.InternalError,
    };

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static IEnumerable<JsonObject> Objects(JsonObject o, string name) =>
        (o[name] as JsonArray ?? []).Select(n => n as JsonObject ?? throw Malformed(name, name + "[]"));

    private static Experiment ReadExperiment(JsonObject o) =>
        MlflowJson.ReadExperiment(o["experiment"] as JsonObject ?? throw Malformed("experiments/get", "experiment"));

    private static Run ReadRun(JsonObject o) =>
        MlflowJson.ReadRun(o["run"] as JsonObject ?? throw Malformed("runs", "run"));

    private static TrackingException Malformed(string endpoint, string field) =>
        new(TrackingErrorCode.InternalError, $"The tracking server's answer to {endpoint} lacks '{field}'; is it an MLflow-compatible server?", field);
}

/// <summary>
/// Artifacts stored by the tracking server, through MLflow's proxied artifact API
/// (<c>/api/2.0/mlflow-artifacts/artifacts/&lt;path&gt;</c>, paths relative to the server's artifact root).
/// </summary>
public sealed class RestArtifactRepository : IArtifactRepository
{
    private const string Proxy = "api/2.0/mlflow-artifacts/artifacts";
    private readonly HttpClient _http;
    private readonly string _root;

    internal RestArtifactRepository(HttpClient http, string defaultArtifactRoot)
    {
        _http = http;
        _root = defaultArtifactRoot.TrimEnd('/');
    }

    /// <inheritdoc />
    public async Task WriteAsync(string artifactUri, string artifactPath, Stream content, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Url(artifactUri, artifactPath)) { Content = new StreamContent(content) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ArtifactInfo>> ListAsync(string artifactUri, string? folder = null, CancellationToken cancellationToken = default)
    {
        var relative = Relative(artifactUri, folder);
        var json = await RestTrackingStore.SendAsync(_http, HttpMethod.Get, Proxy + "?path=" + Uri.EscapeDataString(relative), null, cancellationToken).ConfigureAwait(false);
        var prefix = string.IsNullOrEmpty(folder) ? "" : folder.TrimEnd('/') + "/";
        return (json["files"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(f => new ArtifactInfo(prefix + MlflowJson.RequiredString(f, "path"), f["is_dir"]?.GetValue<bool>() == true, MlflowJson.OptionalLong(f, "file_size")))
            .ToList();
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string artifactUri, string artifactPath, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(artifactUri, artifactPath));
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream();
        await response.Content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        buffer.Position = 0;
        return buffer;
    }

    private string Url(string artifactUri, string artifactPath) =>
        Proxy + "/" + string.Join('/', Relative(artifactUri, artifactPath).Split('/').Select(Uri.EscapeDataString));

    // The server stores under its artifact root; a run's artifact URI is that root plus experiment/run/artifacts.
    private string Relative(string artifactUri, string? path)
    {
        var uri = artifactUri.TrimEnd('/');
        if (!uri.StartsWith(_root + "/", StringComparison.Ordinal) && uri != _root)
            throw TrackingException.InvalidParameter("artifact_uri",
                $"Artifact URI '{artifactUri}' is outside the server's artifact root '{_root}', so it cannot be reached through the server.");
        var under = uri.Length > _root.Length ? Uri.UnescapeDataString(uri[(_root.Length + 1)..]) : "";
        var rest = (path ?? "").Trim('/');
        return under.Length == 0 ? rest : rest.Length == 0 ? under : under + "/" + rest;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (RestTrackingStore.IsTransportFailure(e, ct))
        {
            throw RestTrackingStore.Unreachable(_http, request.Method, request.RequestUri!.ToString(), e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw RestTrackingStore.ToException(response.StatusCode, RestTrackingStore.ParseObject(text), text, request.Method, request.RequestUri!.ToString());
        }
    }
}
