using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Courseware.Cli.Serving;
using Courseware.Registry;
using Courseware.Serving;
using Courseware.Tests.Drift;
using Courseware.Tests.Models;
using Courseware.Tests.Tracking;
using Courseware.Tracking;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace Courseware.Tests.Serving;

/// <summary>The model server over HTTP on 127.0.0.1: schema errors, metrics, bounded concurrent load and a hot swap.</summary>
public sealed class ServingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string OnnxFile = Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small/model.onnx");
    private readonly TempFolder _folder = new();
    private SqliteTrackingStore _store = null!;
    private ModelRegistry _registry = null!;
    private ModelServer _server = null!;
    private readonly HttpClient _http = new();
    private string _input = "";

    public async Task InitializeAsync()
    {
        _store = SqliteTrackingStore.Open(_folder.Path);
        _registry = new ModelRegistry(_store);
        var v1 = await _registry.RegisterAsync("gpt", OnnxFile, ModelFlavor.Onnx);
        await _registry.RegisterAsync("gpt", OnnxFile, ModelFlavor.Onnx);
        await _registry.SetAliasAsync("gpt", "champion", 1);
        _input = v1.Signature.Inputs.Single().Name;
        _server = await ModelServer.StartAsync(_registry, "models:/gpt@champion");
        _http.BaseAddress = new Uri(_server.Address);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        _folder.Dispose();
    }

    private string Body(string array) => "{\"inputs\": {\"" + _input + "\": " + array + "}}";

    private Task<HttpResponseMessage> PostAsync(string json) =>
        _http.PostAsync("/predict", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Predictions_match_the_model_run_in_process()
    {
        var response = await PostAsync(Body("[[1, 2, 3]]"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("models:/gpt/1", body.GetProperty("model").GetString());
        var logits = body.GetProperty("outputs").EnumerateObject().Single().Value;
        Assert.Equal([1, 3, 98], logits.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));

        using var session = new InferenceSession(OnnxFile);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(_input, new DenseTensor<long>(new long[] { 1, 2, 3 }, [1, 3]))]);
        var expected = results.Single().AsTensor<float>().ToArray();
        var served = logits.GetProperty("data").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        Assert.Equal(expected, served);
        Assert.Equal("models:/gpt/1", (await _http.GetFromJsonAsync<JsonElement>("/health")).GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("not json", "body")]
    [InlineData("""{"x": 1}""", "inputs")]
    [InlineData("""{"inputs": {}}""", "inputs.INPUT")]
    [InlineData("""{"inputs": {"INPUT": [[1, 2.5, 3]]}}""", "inputs.INPUT[1]")]
    [InlineData("""{"inputs": {"INPUT": [[1, 2], [3]]}}""", "inputs.INPUT[1]")]
    [InlineData("""{"inputs": {"INPUT": [1, 2]}}""", "inputs.INPUT")]
    [InlineData("""{"inputs": {"INPUT": [[1]], "extra": [1]}}""", "inputs.extra")]
    public async Task Bad_requests_get_400_naming_the_field_and_are_counted(string body, string field)
    {
        var response = await PostAsync(body.Replace("INPUT", _input));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field.Replace("INPUT", _input), error.GetProperty("field").GetString());
        Assert.StartsWith(field.Replace("INPUT", _input), error.GetProperty("message").GetString());
        // The server is still up, and the metrics counted the error.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(Body("[[1]]"))).StatusCode);
        var metrics = await _http.GetStringAsync("/metrics");
        Assert.Contains("courseware_predict_requests_total{code=\"400\"} 1\n", metrics);
        Assert.Contains("courseware_predict_requests_total{code=\"200\"} 1\n", metrics);
        Assert.Contains("courseware_predict_errors_total 1\n", metrics);
        Assert.Contains("courseware_predict_latency_seconds_bucket{le=\"+Inf\"} 2\n", metrics);
        Assert.Contains("courseware_predict_latency_seconds_count 2\n", metrics);
    }

    [Fact]
    public async Task The_champion_is_hot_swapped_under_concurrent_load_without_dropped_requests()
    {
        const int Clients = 4, PerClient = 50;
        var latencies = new List<double>[Clients];
        var models = new List<string>[Clients];
        var halfway = new TaskCompletionSource();
        var swapped = new TaskCompletionSource();
        var done = 0;
        // Each client sends at least PerClient requests and keeps going until one of its requests started after the
        // swap: otherwise fast clients could finish before the reload and the test would depend on timing.
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            latencies[c] = [];
            models[c] = [];
            var sentAfterSwap = false;
            for (var i = 0; i < PerClient || !sentAfterSwap; i++)
            {
                var afterSwap = swapped.Task.IsCompleted;
                var started = Stopwatch.GetTimestamp();
                var response = await PostAsync(Body($"[[{i % 50}, 1, 2, 3]]"));
                latencies[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var model = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("model").GetString()!;
                models[c].Add(model);
                if (afterSwap) Assert.Equal("models:/gpt/2", model); // a request sent after the reload returned sees the new champion
                sentAfterSwap |= afterSwap;
                if (Interlocked.Increment(ref done) == Clients * PerClient / 2) halfway.SetResult();
            }
        })).ToList();
        // A failing client ends the wait too, so the test fails instead of hanging.
        await Task.WhenAny(halfway.Task, Task.WhenAll(clients));
        try
        {
            await _registry.SetAliasAsync("gpt", "champion", 2, "hot swap test");
            var reload = await _http.PostAsync("/reload", null);
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        }
        finally
        {
            swapped.TrySetResult(); // also on failure, so the clients stop
        }
        await Task.WhenAll(clients);

        var all = models.SelectMany(m => m).ToList();
        Assert.Equal(done, all.Count); // every request sent was answered: none dropped
        Assert.True(all.Count >= Clients * PerClient);
        Assert.Contains("models:/gpt/1", all);
        Assert.Contains("models:/gpt/2", all);
        // Each client sees v1 then v2, never back: the swap is one atomic switch.
        Assert.All(models, m => Assert.True(m.SkipWhile(x => x == "models:/gpt/1").All(x => x == "models:/gpt/2")));
        Assert.Equal("models:/gpt/2", (await _http.GetFromJsonAsync<JsonElement>("/health")).GetProperty("model").GetString());
        var sorted = latencies.SelectMany(l => l).Order().ToArray();
        output.WriteLine($"{sorted.Length} requests from {Clients} clients: p50 {sorted[sorted.Length / 2]:0.00} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:0.00} ms");
    }

    [Fact]
    public async Task Metrics_are_strict_exposition_text_with_model_names_escaped()
    {
        // Registry names may hold quotes and backslashes; they used to reach the label values unescaped.
        const string Name = "q\"u\\ote";
        await _registry.RegisterAsync(Name, OnnxFile, ModelFlavor.Onnx);
        await using var server = await ModelServer.StartAsync(_registry, $"models:/{Name}/1");
        using var http = new HttpClient { BaseAddress = new Uri(server.Address) };
        Task<HttpResponseMessage> Post(string array) => http.PostAsync("/predict", new StringContent(Body(array), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, (await Post("[[1, 2]]")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post("[[1, 2.5]]")).StatusCode);

        var response = await http.GetAsync("/metrics");
        var contentType = response.Content.Headers.ContentType!;
        Assert.Equal(("text/plain", "utf-8"), (contentType.MediaType, contentType.CharSet));
        Assert.Contains(contentType.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("{model=\"models:/q\\\"u\\\\ote/1\",arm=\"champion\",result=\"ok\"} 1\n", text);

        var families = PrometheusTextParser.Parse(text);
        var uri = $"models:/{Name}/1";
        var requests = families["courseware_model_requests_total"];
        Assert.Equal("counter", requests.Type);
        Assert.Equal(1, requests.Single(("model", uri), ("arm", "champion"), ("result", "ok")).Value);
        Assert.Equal(1, requests.Single(("model", uri), ("result", "bad_request")).Value);
        Assert.Equal(0, requests.Single(("model", uri), ("result", "error")).Value);
        Assert.Equal("summary", families["courseware_model_latency_ms"].Type);
        Assert.Equal(2, families["courseware_predict_requests_total"].Samples.Count);
        var latency = families["courseware_predict_latency_seconds"];
        Assert.Equal("histogram", latency.Type);
        Assert.Equal(["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"],
            latency.Samples.Where(s => s.Metric == "courseware_predict_latency_seconds_bucket").Select(s => s.Labels["le"]));
        Assert.Equal(2, latency.Single(("le", "+Inf")).Value);
        Assert.Equal(2, latency.Samples.Single(s => s.Metric == "courseware_predict_latency_seconds_count").Value);
    }

    [Fact]
    public async Task Serving_log_series_escape_quotes_backslashes_and_newlines_in_model_names()
    {
        // The registry refuses control characters in names, so the newline case is a version built here.
        var version = (await _registry.RegisterAsync("gpt", OnnxFile, ModelFlavor.Onnx)) with { Name = "a\"b\\c\nd" };
        var log = new ServingLog();
        var first = log.Answered(version, Arm.Champion, 10);
        log.Answered(version, Arm.Champion, 20);
        log.Answered(version, Arm.Champion, 30);
        log.Failed(version, Arm.Champion, 400);
        log.Failed(version, Arm.Champion, 500);
        log.RecordOutcome(first, -2.5);
        var metrics = new PrometheusMetrics();
        log.AddTo(metrics);
        var text = metrics.ToString();
        Assert.Contains("{model=\"models:/a\\\"b\\\\c\\nd/3\",arm=\"champion\"} -2.5\n", text);

        var families = PrometheusTextParser.Parse(text);
        (string, string) model = ("model", "models:/a\"b\\c\nd/3");
        var requests = families["courseware_model_requests_total"];
        Assert.Equal((3.0, 1.0, 1.0), (requests.Single(model, ("result", "ok")).Value, requests.Single(model, ("result", "bad_request")).Value, requests.Single(model, ("result", "error")).Value));
        // numpy.percentile([10, 20, 30], [50, 99]) (linear interpolation) = [20, 29.8].
        var latency = families["courseware_model_latency_ms"];
        Assert.Equal(20, latency.Single(model, ("quantile", "0.5")).Value, 1e-9);
        Assert.Equal(29.8, latency.Single(model, ("quantile", "0.99")).Value, 1e-9);
        Assert.Equal(1, families["courseware_model_outcomes_total"].Single(model).Value);
        // Outcomes such as revenue may be negative, so their sum is a gauge, not a counter.
        Assert.Equal(("gauge", -2.5), (families["courseware_model_outcome_sum"].Type, families["courseware_model_outcome_sum"].Single(model).Value));
    }
}
