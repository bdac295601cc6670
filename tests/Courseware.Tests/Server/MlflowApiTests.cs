using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Courseware.Cli.Server;
using Courseware.Tracking;

namespace Courseware.Tests.Server;

/// <summary>
/// The wire format as an MLflow client sees it: raw HTTP requests and JSON, status codes and error bodies
/// (MLflow: INVALID_PARAMETER_VALUE and RESOURCE_ALREADY_EXISTS → 400, RESOURCE_DOES_NOT_EXIST → 404,
/// INVALID_STATE → 500; log-batch ≤ 1000 metrics, ≤ 100 params, ≤ 1 MB), artifact path confinement and access rules.
/// </summary>
public sealed class MlflowApiTests : IAsyncLifetime
{
    private LiveServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await LiveServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_server.Url) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string endpoint, string json)
    {
        using var response = await _http.PostAsync("/api/2.0/mlflow/" + endpoint, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string pathAndQuery)
    {
        using var response = await _http.GetAsync(pathAndQuery);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private async Task<string> NewRunAsync()
    {
        var (status, body) = await PostAsync("runs/create", """{"experiment_id": "0", "run_name": "r", "start_time": 1000, "user_id": "ada"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        return body["run"]!["info"]!["run_id"]!.GetValue<string>();
    }

    [Fact]
    public async Task Experiments_round_trip_in_mlflow_shapes_and_errors_carry_mlflow_codes()
    {
        var (status, created) = await PostAsync("experiments/create", """{"name": "penguins", "tags": [{"key": "team", "value": "birds"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var id = created["experiment_id"]!.GetValue<string>();

        var (_, got) = await GetAsync($"/api/2.0/mlflow/experiments/get-by-name?experiment_name=penguins");
        var e = got["experiment"]!.AsObject();
        Assert.Equal((id, "penguins", "active"), (e["experiment_id"]!.GetValue<string>(), e["name"]!.GetValue<string>(), e["lifecycle_stage"]!.GetValue<string>()));
        Assert.Equal("""[{"key":"team","value":"birds"}]""", e["tags"]!.ToJsonString());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, e["creation_time"]!.GetValueKind());

        var (dupStatus, dup) = await PostAsync("experiments/create", """{"name": "penguins"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS"), (dupStatus, dup["error_code"]!.GetValue<string>()));
        var (missingStatus, missing) = await GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=999");
        Assert.Equal((HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST"), (missingStatus, missing["error_code"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(missing["message"]!.GetValue<string>()));
        var (noNameStatus, noName) = await PostAsync("experiments/create", "{}");
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "name"),
            (noNameStatus, noName["error_code"]!.GetValue<string>(), noName["field"]!.GetValue<string>()));

        await PostAsync("experiments/delete", $$"""{"experiment_id": "{{id}}"}""");
        var (stateStatus, state) = await PostAsync("experiments/update", $$"""{"experiment_id": "{{id}}", "new_name": "x"}""");
        Assert.Equal((HttpStatusCode.InternalServerError, "INVALID_STATE"), (stateStatus, state["error_code"]!.GetValue<string>()));

        var (_, search) = await GetAsync("/api/2.0/mlflow/experiments/search?view_type=DELETED_ONLY&max_results=10");
        Assert.Equal(["penguins"], search["experiments"]!.AsArray().Select(x => x!["name"]!.GetValue<string>()));
        // The UI's /ajax-api mirror answers the same.
        var (ajaxStatus, _) = await GetAsync($"/ajax-api/2.0/mlflow/experiments/get?experiment_id={id}");
        Assert.Equal(HttpStatusCode.OK, ajaxStatus);
    }

    [Fact]
    public async Task Experiment_search_pages_with_tokens_and_filters_like_mlflow()
    {
        foreach (var name in new[] { "e1", "e2", "e3", "e4", "e5" }) await PostAsync("experiments/create", $$"""{"name": "{{name}}"}""");
        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var body = token is null ? """{"max_results": 2}""" : $$"""{"max_results": 2, "page_token": "{{token}}"}""";
            var (status, page) = await PostAsync("experiments/search", body);
            Assert.Equal(HttpStatusCode.OK, status);
            names.AddRange(page["experiments"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
            token = page["next_page_token"]?.GetValue<string>();
            pages++;
        } while (token is not null);
        // Six experiments (with Default) in pages of two: three full pages, then MLflow's empty last page.
        Assert.Equal(4, pages);
        Assert.Equal(["Default", "e1", "e2", "e3", "e4", "e5"], names.Order(StringComparer.Ordinal));
        // MLflow's experiment filter and order_by (the grammar is tested in Tracking/ExperimentSearchTests).
        await PostAsync("experiments/set-experiment-tag", """{"experiment_id": "2", "key": "team", "value": "nlp"}""");
        var (filterStatus, filtered) = await PostAsync("experiments/search",
            """{"filter": "name LIKE 'e%' AND (tags.team = 'nlp' OR name IN ('e4', 'e5'))", "order_by": ["name DESC"]}""");
        Assert.Equal(HttpStatusCode.OK, filterStatus);
        var e2 = (await GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=2")).Body["experiment"]!["name"]!.GetValue<string>();
        Assert.Equal(new[] { "e5", "e4", e2 }, filtered["experiments"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
        var (_, byGet) = await GetAsync("/api/2.0/mlflow/experiments/search?filter=name%20%3D%20%27e3%27");
        Assert.Equal("e3", byGet["experiments"]!.AsArray().Single()!["name"]!.GetValue<string>());
        var (badStatus, bad) = await PostAsync("experiments/search", """{"filter": "metrics.acc > 1"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "filter", 0), (badStatus, bad["field"]!.GetValue<string>(), bad["position"]!.GetValue<int>()));
        var (tokenStatus, badToken) = await PostAsync("experiments/search", """{"page_token": "garbage"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "page_token"), (tokenStatus, badToken["field"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Runs_log_single_values_and_batches_with_nan_and_infinity_on_the_wire()
    {
        var runId = await NewRunAsync();
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("runs/log-metric", $$"""{"run_id": "{{runId}}", "key": "loss", "value": 0.25, "timestamp": 5, "step": 1}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("runs/log-parameter", $$"""{"run_id": "{{runId}}", "key": "lr", "value": "0.01"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("runs/set-tag", $$"""{"run_id": "{{runId}}", "key": "team", "value": "nlp"}""")).Status);
        // protobuf's JSON: NaN and Infinity as strings, int64 as strings.
        var (batch, _) = await PostAsync("runs/log-batch", $$"""
            {"run_id": "{{runId}}", "metrics": [{"key": "nan", "value": "NaN", "timestamp": "7", "step": "0"},
                                                {"key": "inf", "value": "Infinity", "timestamp": 7}],
             "params": [{"key": "opt", "value": "adam"}], "tags": []}
            """);
        Assert.Equal(HttpStatusCode.OK, batch);

        var (_, got) = await GetAsync($"/api/2.0/mlflow/runs/get?run_id={runId}");
        var metrics = got["run"]!["data"]!["metrics"]!.AsArray().ToDictionary(m => m!["key"]!.GetValue<string>(), m => m!["value"]!);
        Assert.Equal("\"NaN\"", metrics["nan"].ToJsonString());
        Assert.Equal(double.MaxValue, metrics["inf"].GetValue<double>()); // MLflow clamps ±∞
        Assert.Equal(0.25, metrics["loss"].GetValue<double>());
        var info = got["run"]!["info"]!;
        Assert.Equal((runId, "r", "RUNNING", "ada"), (info["run_uuid"]!.GetValue<string>(), info["run_name"]!.GetValue<string>(),
            info["status"]!.GetValue<string>(), info["user_id"]!.GetValue<string>()));

        var (changed, error) = await PostAsync("runs/log-parameter", $$"""{"run_id": "{{runId}}", "key": "lr", "value": "0.02"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "params[lr]"),
            (changed, error["error_code"]!.GetValue<string>(), error["field"]!.GetValue<string>()));

        var (_, updated) = await PostAsync("runs/update", $$"""{"run_id": "{{runId}}", "status": "FINISHED", "end_time": 9000}""");
        Assert.Equal(("FINISHED", 9000L), (updated["run_info"]!["status"]!.GetValue<string>(), updated["run_info"]!["end_time"]!.GetValue<long>()));
        var (_, history) = await GetAsync($"/api/2.0/mlflow/metrics/get-history?run_id={runId}&metric_key=loss");
        Assert.Equal("""[{"key":"loss","value":0.25,"timestamp":5,"step":1}]""", history["metrics"]!.ToJsonString());

        var (_, search) = await PostAsync("runs/search", """{"experiment_ids": ["0"], "filter": "params.opt = 'adam' and metrics.loss < 0.5", "max_results": 10}""");
        Assert.Equal([runId], search["runs"]!.AsArray().Select(r => r!["info"]!["run_id"]!.GetValue<string>()));
        var (badFilter, filterError) = await PostAsync("runs/search", """{"experiment_ids": ["0"], "filter": "metrics.acc >> 1"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "filter", 13), (badFilter, filterError["field"]!.GetValue<string>(), filterError["position"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Get_history_bulk_interval_answers_mlflows_shape_with_repeated_run_ids_and_its_errors()
    {
        var (a, b) = (await NewRunAsync(), await NewRunAsync());
        await PostAsync("runs/log-batch", $$"""{"run_id": "{{a}}", "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1, "step": 0}, {"key": "loss", "value": "NaN", "timestamp": 2, "step": 3}]}""");
        await PostAsync("runs/log-batch", $$"""{"run_id": "{{b}}", "metrics": [{"key": "loss", "value": 2, "timestamp": 3, "step": 1}]}""");

        var (status, body) = await GetAsync($"/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={a}&run_ids={b}&metric_key=loss&max_results=10");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($$"""[{"key":"loss","value":0.5,"timestamp":1,"step":0,"run_id":"{{a}}"},{"key":"loss","value":"NaN","timestamp":2,"step":3,"run_id":"{{a}}"},""" +
                     $$"""{"key":"loss","value":2,"timestamp":3,"step":1,"run_id":"{{b}}"}]""", body["metrics"]!.ToJsonString());
        var (_, ranged) = await GetAsync($"/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={a}&metric_key=loss&start_step=1&end_step=5");
        Assert.Single(ranged["metrics"]!.AsArray());

        foreach (var (query, field) in new[] { ($"run_ids={a}&metric_key=loss&start_step=1", "start_step"), ($"run_ids={a}&metric_key=loss&max_results=2501", "max_results"),
                     ("metric_key=loss", "run_ids"), ($"run_ids={a}", "metric_key") })
        {
            var (bad, error) = await GetAsync("/api/2.0/mlflow/metrics/get-history-bulk-interval?" + query);
            Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", field), (bad, error["error_code"]!.GetValue<string>(), error["field"]!.GetValue<string>()));
        }
        var (missing, _) = await GetAsync($"/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={new string('0', 32)}&metric_key=loss");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task Sql_in_filters_is_data_or_a_syntax_error_never_sql()
    {
        var runId = await NewRunAsync();
        await PostAsync("runs/log-parameter", $$"""{"run_id": "{{runId}}", "key": "opt", "value": "x' OR '1'='1"}""");
        // A quote-breaking value is compared as the literal string it is (SQL-doubled quotes inside the literal).
        var (_, literal) = await PostAsync("runs/search", """{"experiment_ids": ["0"], "filter": "params.opt = 'x'' OR ''1''=''1'"}""");
        Assert.Equal([runId], literal["runs"]!.AsArray().Select(r => r!["info"]!["run_id"]!.GetValue<string>()));
        foreach (var attack in new[]
        {
            "params.opt = 'nope' OR 1=1",
            "params.opt = 'a'; DROP TABLE runs; --",
            "metrics.acc > 0 UNION SELECT run_uuid FROM runs",
            "attributes.run_name = 'r' --",
            "params.`opt` = 'x') OR (1=1",
        })
        {
            var (status, body) = await PostAsync("runs/search", $$"""{"experiment_ids": ["0"], "filter": {{System.Text.Json.JsonSerializer.Serialize(attack)}}}""");
            Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "filter"),
                (status, body["error_code"]!.GetValue<string>(), body["field"]?.GetValue<string>()));
        }
        // Still there, all of it.
        Assert.Equal("x' OR '1'='1", (await _server.Store.GetRunAsync(runId)).Param("opt"));
    }

    [Fact]
    public async Task Log_batch_enforces_mlflows_limits()
    {
        var runId = await NewRunAsync();
        string Metrics(int n) => string.Join(",", Enumerable.Range(0, n).Select(i => $$"""{"key": "m", "value": {{i}}, "timestamp": 1, "step": {{i}}}"""));
        string Params(int n) => string.Join(",", Enumerable.Range(0, n).Select(i => $$"""{"key": "p{{i}}", "value": "v"}"""));

        Assert.Equal(HttpStatusCode.OK, (await PostAsync("runs/log-batch", $$"""{"run_id": "{{runId}}", "metrics": [{{Metrics(1000)}}]}""")).Status);
        var (tooMany, e1) = await PostAsync("runs/log-batch", $$"""{"run_id": "{{runId}}", "metrics": [{{Metrics(1001)}}]}""");
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "metrics"), (tooMany, e1["error_code"]!.GetValue<string>(), e1["field"]!.GetValue<string>()));
        var (tooManyParams, e2) = await PostAsync("runs/log-batch", $$"""{"run_id": "{{runId}}", "params": [{{Params(101)}}]}""");
        Assert.Equal((HttpStatusCode.BadRequest, "params"), (tooManyParams, e2["field"]!.GetValue<string>()));
        var (tooManyEntities, e3) = await PostAsync("runs/log-batch", $$"""{"run_id": "{{runId}}", "metrics": [{{Metrics(950)}}], "params": [{{Params(51)}}]}""");
        Assert.Equal((HttpStatusCode.BadRequest, "metrics, params, and tags"), (tooManyEntities, e3["field"]!.GetValue<string>()));
        // Over 1 MB: 90 long tags and 90 long params pass the count and length limits, not the size limit.
        var bigTags = string.Join(",", Enumerable.Range(0, 90).Select(i => $$"""{"key": "t{{i}}", "value": "{{new string('x', 7999)}}"}"""));
        var bigParams = string.Join(",", Enumerable.Range(0, 90).Select(i => $$"""{"key": "q{{i}}", "value": "{{new string('y', 5999)}}"}"""));
        var bigBody = $$"""{"run_id": "{{runId}}", "tags": [{{bigTags}}], "params": [{{bigParams}}], "metrics": [{{Metrics(100)}}]}""";
        Assert.True(Encoding.UTF8.GetByteCount(bigBody) > Courseware.Tracking.Rest.MlflowEndpoints.MaxBatchRequestBytes);
        var (tooBig, e4) = await PostAsync("runs/log-batch", bigBody);
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "body"), (tooBig, e4["error_code"]!.GetValue<string>(), e4["field"]!.GetValue<string>()));
        // Nothing from the rejected batches was written: the 1000 accepted points only.
        Assert.Equal(1000, (await _server.Store.GetMetricHistoryAsync(runId, "m")).Count);
        Assert.Empty((await _server.Store.GetRunAsync(runId)).Data.Params);
    }

    [Fact]
    public async Task Malformed_requests_get_clear_errors()
    {
        var (badJson, e1) = await PostAsync("runs/log-batch", "{not json");
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "body"), (badJson, e1["error_code"]!.GetValue<string>(), e1["field"]!.GetValue<string>()));
        var runId = await NewRunAsync();
        var (badValue, e2) = await PostAsync("runs/log-metric", $$"""{"run_id": "{{runId}}", "key": "m", "value": "high", "timestamp": 1}""");
        Assert.Equal((HttpStatusCode.BadRequest, "metric.value"), (badValue, e2["field"]!.GetValue<string>()));
        Assert.Contains("\"high\"", e2["message"]!.GetValue<string>());
        var (noTimestamp, e3) = await PostAsync("runs/log-metric", $$"""{"run_id": "{{runId}}", "key": "m", "value": 1}""");
        Assert.Equal((HttpStatusCode.BadRequest, "metric.timestamp"), (noTimestamp, e3["field"]!.GetValue<string>()));
        var (unknown, e4) = await GetAsync("/api/2.0/mlflow/runs/no-such-thing");
        Assert.Equal((HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND"), (unknown, e4["error_code"]!.GetValue<string>()));
        // A form post (what a hostile web page can send without CORS) is refused.
        using var form = await _http.PostAsync("/api/2.0/mlflow/experiments/create", new StringContent("name=evil", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);
        Assert.Null(await _server.Store.GetExperimentByNameAsync("evil"));
    }

    [Fact]
    public async Task Artifacts_list_and_download_and_cannot_escape_the_artifact_root()
    {
        var runId = await NewRunAsync();
        var run = await _server.Store.GetRunAsync(runId);
        var root = new Uri(run.Info.ArtifactUri).LocalPath;
        Directory.CreateDirectory(Path.Combine(root, "plots"));
        File.WriteAllText(Path.Combine(root, "plots", "cm.txt"), "3 1\n0 4\n");
        File.WriteAllText(Path.Combine(root, "page.html"), "<script>alert(1)</script>");
        File.WriteAllText(Path.Combine(_server.Folder, "secret.txt"), "do not serve");

        var (_, listed) = await GetAsync($"/api/2.0/mlflow/artifacts/list?run_id={runId}");
        Assert.Equal("""[{"path":"page.html","is_dir":false,"file_size":25},{"path":"plots","is_dir":true}]""", listed["files"]!.ToJsonString());
        var (_, sub) = await GetAsync($"/api/2.0/mlflow/artifacts/list?run_id={runId}&path=plots");
        Assert.Equal("plots/cm.txt", sub["files"]![0]!["path"]!.GetValue<string>());

        using (var file = await _http.GetAsync($"/get-artifact?run_id={runId}&path=plots/cm.txt"))
        {
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal("3 1\n0 4\n", await file.Content.ReadAsStringAsync());
        }
        using (var html = await _http.GetAsync($"/get-artifact?run_id={runId}&path=page.html"))
        {
            // Served inert: plain text, attachment, sandboxed.
            Assert.Equal("text/plain", html.Content.Headers.ContentType!.MediaType);
            Assert.Equal("attachment", html.Content.Headers.ContentDisposition!.DispositionType);
            Assert.Contains("sandbox", html.Headers.GetValues("Content-Security-Policy").Single());
        }

        var relativeToRoot = Path.GetRelativePath(Path.Combine(_server.Folder, "artifacts"), root).Replace('\\', '/');
        foreach (var escape in new[] { "../../../secret.txt", "plots/../../../../secret.txt", "/etc/passwd", "%2e%2e/%2e%2e/%2e%2e/secret.txt", "..%2f..%2f..%2fsecret.txt" })
        {
            using var response = await _http.GetAsync($"/get-artifact?run_id={runId}&path={escape}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain("do not serve", await response.Content.ReadAsStringAsync());
        }
        foreach (var escape in new[] { "..%2Fsecret.txt", $"{relativeToRoot}/..%2F..%2F..%2F..%2Fsecret.txt" })
        {
            using var response = await _http.GetAsync($"/api/2.0/mlflow-artifacts/artifacts/{escape}");
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("do not serve", await response.Content.ReadAsStringAsync());
        }
        using (var put = await _http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/..%2Fescaped.txt", new ByteArrayContent([1, 2, 3])))
            Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.False(File.Exists(Path.Combine(_server.Folder, "escaped.txt")));

        // A symbolic link inside the artifact folder is not followed.
        File.CreateSymbolicLink(Path.Combine(root, "link.txt"), Path.Combine(_server.Folder, "secret.txt"));
        using (var link = await _http.GetAsync($"/get-artifact?run_id={runId}&path=link.txt"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, link.StatusCode);
            Assert.DoesNotContain("do not serve", await link.Content.ReadAsStringAsync());
        }
        // The proxied API reads what the run-scoped one lists.
        using var proxied = await _http.GetAsync($"/api/2.0/mlflow-artifacts/artifacts/{relativeToRoot}/plots/cm.txt");
        Assert.Equal("3 1\n0 4\n", await proxied.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Binding_beyond_loopback_needs_a_token_unless_insecure_is_explicit()
    {
        var e = Assert.Throws<ArgumentException>(() => new ServerOptions(Host: "0.0.0.0").Validate());
        Assert.Contains("--token", e.Message);
        Assert.Contains("--insecure", e.Message);
        new ServerOptions(Host: "0.0.0.0", Token: "a-long-enough-token").Validate();
        new ServerOptions(Host: "0.0.0.0", Insecure: true).Validate();
        new ServerOptions(Host: "127.0.0.1").Validate();
        new ServerOptions(Host: "::1").Validate();
        Assert.Throws<ArgumentException>(() => new ServerOptions(Host: "::1", Token: "short").Validate());
        Assert.Throws<ArgumentException>(() => new ServerOptions(Host: "example.org").Validate());
    }

    [Fact]
    public async Task A_token_is_required_on_every_request_but_health()
    {
        const string token = "0123456789abcdef-token";
        await using var secured = await LiveServer.StartAsync(new ServerOptions(Port: 0, Token: token));
        using var http = new HttpClient { BaseAddress = new Uri(secured.Url) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        using (var anonymous = await http.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("UNAUTHENTICATED", JsonNode.Parse(await anonymous.Content.ReadAsStringAsync())!["error_code"]!.GetValue<string>());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/")).StatusCode);
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/2.0/mlflow/experiments/get?experiment_id=0"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token + "x");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }
        await using (var store = await Courseware.Tracking.Rest.RestTrackingStore.ConnectAsync(secured.Url, token))
            Assert.Equal("Default", (await store.GetExperimentAsync("0")).Name);
        // A browser trades ?token= for an HttpOnly cookie and is redirected to the clean URL.
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri(secured.Url) };
        using var first = await browser.GetAsync("/?token=" + token);
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal("/", first.Headers.Location!.OriginalString);
        Assert.Contains("httponly", first.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Foreign_host_headers_and_cross_origin_writes_are_refused()
    {
        foreach (var host in new[] { "attacker.example", "127.attacker.example", "localhost.attacker.example" })
        {
            using var rebinding = new HttpRequestMessage(HttpMethod.Get, "/api/2.0/mlflow/experiments/get?experiment_id=0");
            rebinding.Headers.Host = host;
            Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(rebinding)).StatusCode);
        }
        foreach (var host in new[] { "localhost", "127.0.0.2", "[::1]" })
        {
            using var local = new HttpRequestMessage(HttpMethod.Get, "/api/2.0/mlflow/experiments/get?experiment_id=0");
            local.Headers.Host = host + ":" + new Uri(_server.Url).Port;
            Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(local)).StatusCode);
        }
        using (var crossOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/2.0/mlflow/experiments/create"))
        {
            crossOrigin.Headers.Add("Origin", "http://attacker.example");
            crossOrigin.Content = new StringContent("""{"name": "evil"}""", Encoding.UTF8, "application/json");
            Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(crossOrigin)).StatusCode);
        }
        Assert.Null(await _server.Store.GetExperimentByNameAsync("evil"));
        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/2.0/mlflow/experiments/create");
        sameOrigin.Headers.Add("Origin", _server.Url);
        sameOrigin.Content = new StringContent("""{"name": "fine"}""", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(sameOrigin)).StatusCode);
    }
}
