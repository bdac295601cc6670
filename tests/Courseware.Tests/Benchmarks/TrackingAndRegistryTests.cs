using System.Text.Json.Nodes;
using Courseware.Benchmarks;
using Courseware.Cli.Commands;
using Courseware.Registry;
using Courseware.Tests.Models;
using Courseware.Tracking;

namespace Courseware.Tests.Benchmarks;

/// <summary>Benchmark results logged to a real SQLite tracking store, and models:/ registry URIs as the model to evaluate.</summary>
public class TrackingAndRegistryTests
{
    private static readonly string Data = Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld");
    private static readonly string Checkpoint = Path.Combine(RepoPaths.Root, "datasets", "models", "tinygpt-small");

    [Fact]
    public async Task LogToWritesMetricsWithStderrParamsAndTheResultsJsonIntoTheStore()
    {
        using var folder = new TempFolder();
        // anatomy: golds A, A, B; marketing: golds A, C, D, A, B; the scripted model always prefers A (as in EvaluatorTests).
        folder.Write("data/dev/anatomy_dev.csv", "d1,a,b,c,d,A\n");
        folder.Write("data/dev/marketing_dev.csv", "e1,a,b,c,d,B\n");
        folder.Write("data/test/anatomy_test.csv", "q1,a,b,c,d,A\nq2,a,b,c,d,A\nq3,a,b,c,d,B\n");
        folder.Write("data/test/marketing_test.csv", "m1,a,b,c,d,A\nm2,a,b,c,d,C\nm3,a,b,c,d,D\nm4,a,b,c,d,A\nm5,a,b,c,d,B\n");
        var model = ScriptedModel.ByContinuation(new Dictionary<string, double> { [" A"] = -1, [" B"] = -2, [" C"] = -3, [" D"] = -4 });
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(model, Mmlu.LoadCsv(Path.Combine(folder.Path, "data")),
            new() { Shots = 1, Log = TextWriter.Null, ModelConfig = new Dictionary<string, string> { ["backend"] = "scripted", ["device"] = "none", ["ignored"] = "x" } });
        string store = Path.Combine(folder.Path, "store");
        string runId;
        using (var tracker = Tracker.Open(store))
        using (var run = tracker.StartRun("benchmarks", "scripted"))
        {
            results.LogTo(run);
            runId = run.RunId;
        }

        // Read back through a new connection: what is in the SQLite file, not what a buffer holds.
        using var reader = Tracker.Open(store);
        Run logged = await reader.GetRunAsync(runId);
        Assert.Equal(RunStatus.Finished, logged.Info.Status);
        // Hand-computed: overall 4/8 right; anatomy 2/3 with sample stderr √((1/3)/3) = 1/3; marketing 2/5 with √(0.3/5).
        Assert.Equal(0.5, logged.Metric("eval/mmlu/acc")!.Value, 12);
        Assert.Equal(2.0 / 3, logged.Metric("eval/mmlu_anatomy/acc")!.Value, 12);
        Assert.Equal(1.0 / 3, logged.Metric("eval/mmlu_anatomy/acc_stderr")!.Value, 12);
        Assert.Equal(Math.Sqrt(0.3 / 5), logged.Metric("eval/mmlu_marketing/acc_stderr")!.Value, 12);
        Assert.Equal(results.MetricValues().Count(), logged.Data.Metrics.Count);
        Assert.Equal("scripted", logged.Param("model"));
        Assert.Equal("scripted", logged.Param("backend"));
        Assert.Equal("none", logged.Param("device"));
        Assert.Equal("1", logged.Param("shots"));
        Assert.Equal("none", logged.Param("limit"));
        Assert.Equal("mmlu_anatomy,mmlu_marketing", logged.Param("tasks"));
        Assert.Null(logged.Param("ignored"));
        var json = JsonNode.Parse(await reader.ReadArtifactTextAsync(runId, EvaluationResults.ResultsArtifact))!;
        Assert.Equal(0.5, json["results"]!["mmlu"]!["acc,none"]!.GetValue<double>(), 12);
        Assert.Equal(1, json["n-shot"]!["mmlu_anatomy"]!.GetValue<int>());
    }

    [Fact]
    public async Task RegistryUrisOpenTheRegisteredCheckpointByVersionAliasAndLatest()
    {
        using var folder = new TempFolder();
        await using (var store = SqliteTrackingStore.Open(folder.Path))
        {
            var registry = new ModelRegistry(store);
            ModelVersion v1 = await registry.RegisterAsync("tinygpt", Checkpoint, ModelFlavor.TinyGpt);
            await registry.SetAliasAsync("tinygpt", "champion", v1.Version);
            await registry.RegisterAsync("tinygpt-onnx", Path.Combine(Checkpoint, "model.onnx"), ModelFlavor.Onnx);

            using OpenedModel direct = ModelSource.Open(Checkpoint, "torch", "cpu");
            foreach (string uri in new[] { "models:/tinygpt/1", "models:/tinygpt@champion", "models:/tinygpt/latest" })
            {
                using OpenedModel opened = await ModelSource.OpenAsync(uri, registry, "torch", "cpu");
                Assert.Equal(direct.CacheKey, opened.CacheKey);   // same weights hash: same cached answers
                Assert.Equal(uri, opened.Config["model_uri"]);
                Assert.Equal("models:/tinygpt/1", opened.Config["registered_version"]);
            }
            using (OpenedModel onnx = await ModelSource.OpenAsync("models:/tinygpt-onnx/1", registry, "onnx", "cpu"))
                Assert.Equal("onnx", onnx.Config["backend"]);

            var torchOnOnnx = await Assert.ThrowsAsync<ArgumentException>(() => ModelSource.OpenAsync("models:/tinygpt-onnx/1", registry, "torch", "cpu"));
            Assert.Contains("an ONNX model: evaluate it with backend onnx", torchOnOnnx.Message);
            var noRegistry = await Assert.ThrowsAsync<ArgumentException>(() => ModelSource.OpenAsync("models:/tinygpt/1", null));
            Assert.Contains("pass the ModelRegistry", noRegistry.Message);
            Assert.Contains("ModelSource.OpenAsync", Assert.Throws<ArgumentException>(() => ModelSource.Open("models:/tinygpt/1")).Message);
            var missing = await Assert.ThrowsAsync<RegistryException>(() => ModelSource.OpenAsync("models:/tinygpt/7", registry));
            Assert.Contains("tinygpt", missing.Message);
        }
    }

    [Fact]
    public async Task EvalCommandEvaluatesAModelsUriAndLogsTheRunToTheTrackingStore()
    {
        using var folder = new TempFolder();
        string store = Path.Combine(folder.Path, "store");
        await using (var sqlite = SqliteTrackingStore.Open(store))
        {
            var registry = new ModelRegistry(sqlite);
            await registry.RegisterAsync("tinygpt", Checkpoint, ModelFlavor.TinyGpt);
            await registry.SetAliasAsync("tinygpt", "champion", 1);
        }
        string output = Path.Combine(folder.Path, "results.json");
        int exit = await EvalCommand.Create().Parse([
            "--model", "models:/tinygpt@champion", "--tracking-uri", store, "--experiment", "tinyworld-benchmarks", "--run-name", "champion",
            "--device", "cpu", "--data", Data, "--tasks", "arc_easy", "--limit", "10", "--no-cache", "--out", output]).InvokeAsync();
        Assert.Equal(0, exit);
        var json = JsonNode.Parse(File.ReadAllText(output))!;
        Assert.Equal("models:/tinygpt@champion", json["config"]!["model_args"]!["model_uri"]!.GetValue<string>());
        Assert.Equal("models:/tinygpt/1", json["config"]!["model_args"]!["registered_version"]!.GetValue<string>());

        // The same items scored through the folder directly give the same accuracy.
        using OpenedModel direct = ModelSource.Open(Checkpoint, "torch", "cpu");
        ((Courseware.Models.LocalLanguageModel)direct.Model).Log = TextWriter.Null;
        var expected = await BenchmarkEvaluator.RunAsync(direct.Model, BenchmarkSuite.Load(Data, "arc_easy"), new() { Limit = 10, Log = TextWriter.Null });
        double acc = expected["arc_easy"].Metrics["acc"].Value;
        Assert.Equal(acc, json["results"]!["arc_easy"]!["acc,none"]!.GetValue<double>(), 12);

        using var tracker = Tracker.Open(store);
        Run run = Assert.Single(await tracker.SearchRunsAsync("tinyworld-benchmarks"));
        Assert.Equal("champion", run.Info.RunName);
        Assert.Equal(acc, run.Metric("eval/arc_easy/acc")!.Value, 12);
        Assert.Equal(expected["arc_easy"].Metrics["acc_norm"].StandardError, run.Metric("eval/arc_easy/acc_norm_stderr")!.Value, 12);
        Assert.Equal("models:/tinygpt@champion", run.Param("model_uri"));
        Assert.Equal("torch", run.Param("backend"));
        Assert.Equal("10", run.Param("limit"));
        Assert.Equal("0", run.Param("shots"));
        var artifact = JsonNode.Parse(await tracker.ReadArtifactTextAsync(run.Info.RunId, EvaluationResults.ResultsArtifact))!;
        Assert.Equal(10, artifact["n-samples"]!["arc_easy"]!["effective"]!.GetValue<int>());

        // An unknown model name in the registry is a clear exit 2, and nothing is logged.
        Assert.Equal(2, await EvalCommand.Create().Parse([
            "--model", "models:/nosuch/1", "--tracking-uri", store, "--experiment", "tinyworld-benchmarks", "--data", Data, "--tasks", "arc_easy", "--limit", "2", "--no-cache"]).InvokeAsync());
        Assert.Single(await tracker.SearchRunsAsync("tinyworld-benchmarks"));
    }
}
