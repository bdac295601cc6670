using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Courseware.Cli.Serving;
using Courseware.Models;
using Courseware.Registry;
using Courseware.Serving;
using Courseware.Tests.Fixtures;
using Courseware.Tests.Models;
using Courseware.Tests.Tracking;
using Courseware.Tracking;
using Microsoft.ML;

namespace Courseware.Tests.Serving;

/// <summary>
/// End to end over HTTP on 127.0.0.1: an ONNX, a TinyGpt and an ML.NET version registered, served and asked; schema
/// errors; a champion/challenger split with outcomes, its A/B report (statsmodels reference values) and the serving run
/// it leaves in the store; hot swap when an alias moves and when it is rolled back.
/// </summary>
public sealed class MultiFlavourServingTests : IAsyncLifetime
{
    private static readonly string Checkpoint = Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small");
    private readonly TempFolder _folder = new();
    private SqliteTrackingStore _store = null!;
    private ModelRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _store = SqliteTrackingStore.Open(_folder.Path);
        _registry = new ModelRegistry(_store);
        await _registry.RegisterAsync("gpt-onnx", Path.Combine(Checkpoint, "model.onnx"), ModelFlavor.Onnx);
        await _registry.RegisterAsync("tinygpt", Checkpoint, ModelFlavor.TinyGpt);
        // Two penguin classifiers: v1 sees the bill length only, v2 the bill length and depth.
        await _registry.RegisterAsync("penguins", TrainPenguins(nameof(Penguin.BeakLength)), ModelFlavor.MLNet);
        await _registry.RegisterAsync("penguins", TrainPenguins(nameof(Penguin.BeakLength), nameof(Penguin.BeakDepth)), ModelFlavor.MLNet);
        await _registry.SetAliasAsync("penguins", "champion", 1);
        await _registry.SetAliasAsync("penguins", "challenger", 2);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _folder.Dispose();
    }

    private string TrainPenguins(params string[] features)
    {
        var ml = new MLContext(seed: 0);
        Penguin P(string s, float l, float d) => new() { Species = s, BeakLength = l, BeakDepth = d };
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            P("Adelie", 39, 18.7f), P("Adelie", 38, 18), P("Adelie", 40.3f, 18), P("Adelie", 36.7f, 19.3f),
            P("Gentoo", 47, 14), P("Gentoo", 49, 15), P("Gentoo", 46.5f, 13.5f), P("Gentoo", 48.7f, 14.1f),
        });
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Penguin.Species))
            .Append(ml.Transforms.Concatenate("Features", features))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedSpecies", "PredictedLabel"));
        var file = Path.Combine(_folder.Path, $"penguins-{features.Length}.zip");
        ml.Model.Save(pipeline.Fit(data), data.Schema, file);
        return file;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string path, string json, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Add(ModelServer.RoutingKeyHeader, key);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static string Feedback(string requestId, string outcome) => "{\"request_id\": \"" + requestId + "\", \"outcome\": " + outcome + "}";

    private static HttpClient Client(ModelServer server) => new() { BaseAddress = new Uri(server.Address) };

    private static ServingOptions NoWatch => new() { WatchInterval = null };

    [Fact]
    public async Task Every_flavour_is_served_and_answers_as_the_model_does_in_process()
    {
        await using (var onnx = await ModelServer.StartAsync(_registry, "models:/gpt-onnx/latest", NoWatch))
        {
            using var http = Client(onnx);
            var input = (await _registry.GetVersionAsync("gpt-onnx", 1)).Signature.Inputs.Single().Name;
            var (status, body) = await PostAsync(http, "/predict", "{\"inputs\": {\"" + input + "\": [[1, 2, 3]]}}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("models:/gpt-onnx/1", body.GetProperty("model").GetString());
            Assert.Equal("champion", body.GetProperty("arm").GetString());
            var schema = await http.GetFromJsonAsync<JsonElement>("/schema");
            Assert.Equal(input, schema.GetProperty("properties").GetProperty("inputs").GetProperty("required")[0].GetString());
        }

        await using (var gpt = await ModelServer.StartAsync(_registry, "models:/tinygpt/1", NoWatch))
        {
            using var http = Client(gpt);
            using var local = TinyGpt.Load(Checkpoint, "cpu");
            var expected = (await local.GenerateAsync([new GenerationRequest("Question: Where does", GenerationOptions.Greedy(20, "\n"))]))[0];
            var (status, body) = await PostAsync(http, "/predict", """{"prompt": "Question: Where does", "max_new_tokens": 20, "stop": ["\n"]}""");
            Assert.Equal(HttpStatusCode.OK, status);
            var outputs = body.GetProperty("outputs");
            Assert.Equal(expected.Text, outputs.GetProperty("text").GetString());
            Assert.Equal(expected.TokenCount, outputs.GetProperty("tokens").GetInt32());
            Assert.Equal(expected.FinishReason == FinishReason.Stop ? "stop" : "length", outputs.GetProperty("finish_reason").GetString());

            var score = (await local.LogLikelihoodAsync([new LogLikelihoodRequest("Question: Where", " does")]))[0];
            (status, body) = await PostAsync(http, "/predict", """{"context": "Question: Where", "continuation": " does"}""");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(score.Sum, body.GetProperty("outputs").GetProperty("log_likelihood").GetDouble(), 1e-12);
            Assert.Equal(score.IsGreedy, body.GetProperty("outputs").GetProperty("is_greedy").GetBoolean());
            // The schema's limits come from the stored signature: tokens int64[-1, 96].
            var schema = await http.GetFromJsonAsync<JsonElement>("/schema");
            Assert.Equal(96, schema.GetProperty("oneOf")[0].GetProperty("properties").GetProperty("prompt").GetProperty("maxLength").GetInt32());
        }

        await using (var penguins = await ModelServer.StartAsync(_registry, "models:/penguins@challenger", NoWatch))
        {
            using var http = Client(penguins);
            using var local = await _registry.LoadMLNetAsync("models:/penguins/2");
            var engine = local.Model.CreatePredictionEngine<Penguin, PenguinPrediction>();
            var rows = new[] { (41f, 18.1f), (47.5f, 14.2f), (44f, 16f) };
            var (status, body) = await PostAsync(http, "/predict",
                """{"inputs": [{"Species": null, "BeakLength": 41, "BeakDepth": 18.1}, {"Species": "", "BeakLength": 47.5, "BeakDepth": 14.2}, {"Species": null, "BeakLength": 44, "BeakDepth": 16}]}""");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("models:/penguins/2", body.GetProperty("model").GetString());
            Assert.Equal(rows.Select(r => engine.Predict(new Penguin { BeakLength = r.Item1, BeakDepth = r.Item2 }).PredictedSpecies),
                body.GetProperty("outputs").GetProperty("PredictedSpecies").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["Adelie", "Gentoo"], body.GetProperty("outputs").GetProperty("PredictedSpecies").EnumerateArray().Take(2).Select(e => e.GetString()));
            (status, body) = await PostAsync(http, "/predict", """{"inputs": {"Species": null, "BeakLength": 47.5, "BeakDepth": 14.2}}""");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Gentoo", body.GetProperty("outputs").GetProperty("PredictedSpecies").GetString());
            Assert.Equal(2, body.GetProperty("outputs").GetProperty("Score").GetArrayLength()); // one score per class seen in training
        }
    }

    [Theory]
    [InlineData("tinygpt", """{"prompt": "Where is °"}""", "prompt[9]")]
    [InlineData("tinygpt", """{"prompt": ""}""", "prompt")]
    [InlineData("tinygpt", """{"prompt": 3}""", "prompt")]
    [InlineData("tinygpt", """{"prompt": "Where", "max_new_tokens": 0}""", "max_new_tokens")]
    [InlineData("tinygpt", """{"prompt": "Where", "temperature": -1}""", "temperature")]
    [InlineData("tinygpt", """{"prompt": "Where", "stop": ["\n", 4]}""", "stop[1]")]
    [InlineData("tinygpt", """{"prompt": "Where", "top_k": 4}""", "top_k")]
    [InlineData("tinygpt", """{"context": "Where"}""", "continuation")]
    [InlineData("tinygpt", """{"context": "Where", "continuation": ""}""", "continuation")]
    [InlineData("tinygpt", """["Where"]""", "body")]
    [InlineData("penguins", """{"inputs": {"BeakLength": 41, "BeakDepth": 18}}""", "inputs.Species")]
    [InlineData("penguins", """{"inputs": {"Species": null, "BeakLength": "long", "BeakDepth": 18}}""", "inputs.BeakLength")]
    [InlineData("penguins", """{"inputs": [{"Species": null, "BeakLength": 41, "BeakDepth": 18}, {"Species": 1, "BeakLength": 41, "BeakDepth": 18}]}""", "inputs[1].Species")]
    [InlineData("penguins", """{"inputs": {"Species": null, "BeakLength": 41, "BeakDepth": 18, "Island": "Biscoe"}}""", "inputs.Island")]
    [InlineData("penguins", """{"inputs": []}""", "inputs")]
    [InlineData("penguins", """{"rows": []}""", "rows")]
    [InlineData("penguins", """{"inputs": {"Species": null, "BeakLength": 41, "BeakDepth": 18}""", "body")]
    public async Task Bad_requests_get_400_naming_the_field(string model, string json, string field)
    {
        await using var server = await ModelServer.StartAsync(_registry, $"models:/{model}/latest", NoWatch);
        using var http = Client(server);
        var (status, body) = await PostAsync(http, "/predict", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(field, body.GetProperty("field").GetString());
        Assert.StartsWith(field, body.GetProperty("message").GetString());
        // Still serving, and the rejection was counted against the version (unless the body was not JSON at all).
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("courseware_predict_errors_total 1\n", metrics);
        if (field != "body")
            Assert.Contains($"courseware_model_requests_total{{model=\"models:/{model}/{(model == "penguins" ? 2 : 1)}\",arm=\"champion\",result=\"bad_request\"}} 1\n", metrics);
    }

    [Fact]
    public async Task Champion_and_challenger_split_the_traffic_and_the_ab_report_tests_the_outcomes()
    {
        const string Row = """{"inputs": {"Species": null, "BeakLength": 44, "BeakDepth": 16}}""";
        var options = new ServingOptions { Challenger = "models:/penguins@challenger", ChallengerShare = 0.5, Seed = 3, WatchInterval = null, Experiment = "serving" };
        string runId;
        JsonElement live;
        await using (var server = await ModelServer.StartAsync(_registry, "models:/penguins@champion", options))
        {
            using var http = Client(server);
            var answers = new List<(string Arm, string Model, string Id)>();
            for (var i = 0; i < 200; i++)
            {
                var (status, body) = await PostAsync(http, "/predict", Row);
                Assert.Equal(HttpStatusCode.OK, status);
                answers.Add((body.GetProperty("arm").GetString()!, body.GetProperty("model").GetString()!, body.GetProperty("request_id").GetString()!));
            }
            // Each response names the version that answered, and it is the one its arm's alias points at.
            Assert.All(answers, a => Assert.Equal(a.Arm == "champion" ? "models:/penguins/1" : "models:/penguins/2", a.Model));
            // Seeded router, share 0.5: Binomial(200, 0.5) has 99.99 % of its mass in [73, 127].
            var challengers = answers.Count(a => a.Arm == "challenger");
            Assert.InRange(challengers, 73, 127);

            // A user (routing key) stays on one arm.
            var keyed = new List<string>();
            foreach (var user in new[] { "ana", "bo", "cy", "di" })
            {
                var arms = new HashSet<string>();
                for (var i = 0; i < 5; i++) arms.Add((await PostAsync(http, "/predict", Row, user)).Body.GetProperty("arm").GetString()!);
                Assert.Single(arms);
                keyed.AddRange(Enumerable.Repeat(arms.Single(), 5));
            }

            // Outcomes: 24 of 60 champion answers succeed, 36 of 60 challenger answers.
            foreach (var (arm, successes) in new[] { ("champion", 24), ("challenger", 36) })
            {
                var ids = answers.Where(a => a.Arm == arm).Take(60).Select(a => a.Id).ToList();
                Assert.Equal(60, ids.Count);
                for (var i = 0; i < ids.Count; i++)
                    Assert.Equal(HttpStatusCode.OK, (await PostAsync(http, "/feedback", Feedback(ids[i], i < successes ? "1" : "0"))).Status);
            }
            var again = await PostAsync(http, "/feedback", Feedback(answers[0].Id, "1"));
            Assert.Equal((HttpStatusCode.NotFound, "request_id"), (again.Status, again.Body.GetProperty("field").GetString()));
            var unknown = await PostAsync(http, "/feedback", """{"request_id": "nope", "outcome": 1}""");
            Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
            var bad = await PostAsync(http, "/feedback", Feedback(answers[^1].Id, "\"yes\""));
            Assert.Equal((HttpStatusCode.BadRequest, "outcome"), (bad.Status, bad.Body.GetProperty("field").GetString()));

            live = await http.GetFromJsonAsync<JsonElement>("/ab");
            var test = live.GetProperty("test");
            // statsmodels proportions_ztest([36, 24], [60, 60]) (reference/ab_reference.py, "serving")
            Assert.Equal("two-proportion z-test", test.GetProperty("name").GetString());
            Assert.Equal(2.1908902300206643, test.GetProperty("statistic").GetDouble(), 1e-9);
            Assert.Equal(0.028459736916310565, test.GetProperty("p_value").GetDouble(), 1e-9);
            Assert.True(test.GetProperty("significant").GetBoolean());
            var versions = live.GetProperty("versions").EnumerateArray().ToDictionary(v => v.GetProperty("arm").GetString()!);
            // Per-version request counts: exactly the answers each arm gave.
            Assert.Equal(challengers + keyed.Count(k => k == "challenger"), versions["challenger"].GetProperty("requests").GetInt64());
            Assert.Equal(200 - challengers + keyed.Count(k => k == "champion"), versions["champion"].GetProperty("requests").GetInt64());
            Assert.Equal(60, versions["challenger"].GetProperty("outcomes").GetInt32());
            Assert.Equal(0.6, versions["challenger"].GetProperty("outcome_mean").GetDouble(), 1e-12);

            var metrics = await http.GetStringAsync("/metrics");
            Assert.Contains($"courseware_model_outcomes_total{{model=\"models:/penguins/2\",arm=\"challenger\"}} 60\n", metrics);
            Assert.Contains($"courseware_model_outcome_sum{{model=\"models:/penguins/1\",arm=\"champion\"}} 24\n", metrics);
            runId = server.Service.Log.RunId!;
        }

        // The serving run in the store holds the same traffic and outcomes: the report rebuilt from it agrees.
        var stored = await AbReport.FromRunAsync(_store, runId);
        Assert.Equal("models:/penguins/1", stored.Champion);
        Assert.Equal("models:/penguins/2", stored.Challenger);
        Assert.Equal(0.028459736916310565, stored.Test!.PValue, 1e-9);
        Assert.Equal(220, stored.Traffic.Sum(t => t.Requests));
        Assert.Equal(live.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("requests").GetInt64()).Order(),
            stored.Traffic.Select(t => t.Requests).Order());
        Assert.Equal("FINISHED", (await _store.GetRunAsync(runId)).Info.Status.ToWire());
    }

    [Fact]
    public async Task Moving_the_alias_swaps_the_model_in_and_a_rollback_swaps_it_back()
    {
        await using var server = await ModelServer.StartAsync(_registry, "models:/penguins@champion", new ServingOptions { WatchInterval = TimeSpan.FromMilliseconds(50) });
        using var http = Client(server);
        Assert.Equal("models:/penguins/1", (await http.GetFromJsonAsync<JsonElement>("/health")).GetProperty("model").GetString());
        await _registry.SetAliasAsync("penguins", "champion", 2, "promote v2");
        Assert.Equal("models:/penguins/2", await WaitForAsync(http, "models:/penguins/2"));
        var (_, body) = await PostAsync(http, "/predict", """{"inputs": {"Species": null, "BeakLength": 44, "BeakDepth": 16}}""");
        Assert.Equal("models:/penguins/2", body.GetProperty("model").GetString());

        await _registry.RollbackAsync("penguins", "champion", "drill");
        Assert.Equal("models:/penguins/1", await WaitForAsync(http, "models:/penguins/1"));
        (_, body) = await PostAsync(http, "/predict", """{"inputs": {"Species": null, "BeakLength": 44, "BeakDepth": 16}}""");
        Assert.Equal("models:/penguins/1", body.GetProperty("model").GetString());

        // An alias that no longer resolves is refused (409) and the loaded champion keeps serving.
        await _registry.DeleteAliasAsync("penguins", "champion", "retire");
        var (status, error) = await PostAsync(http, "/reload", "");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("champion", error.GetProperty("message").GetString());
        (status, body) = await PostAsync(http, "/predict", """{"inputs": {"Species": null, "BeakLength": 44, "BeakDepth": 16}}""");
        Assert.Equal((HttpStatusCode.OK, "models:/penguins/1"), (status, body.GetProperty("model").GetString()));
    }

    // Polls /health until the champion is the expected version (the watcher checks every 50 ms; up to 20 s on a loaded machine).
    private static async Task<string> WaitForAsync(HttpClient http, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var model = (await http.GetFromJsonAsync<JsonElement>("/health")).GetProperty("model").GetString()!;
            if (model == expected || DateTime.UtcNow > deadline) return model;
            await Task.Delay(20);
        }
    }
}
