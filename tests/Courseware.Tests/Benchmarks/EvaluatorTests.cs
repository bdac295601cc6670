using Courseware.Notebooks;
using System.Text.Json.Nodes;
using Courseware.Benchmarks;
using Courseware.Models;

namespace Courseware.Tests.Benchmarks;

public class EvaluatorTests
{
    // Choice log-likelihoods by continuation; chosen so acc and acc_norm disagree on known items.
    private static readonly Dictionary<string, double> Table = new()
    {
        [" A"] = -1.0, [" B"] = -2.0, [" C"] = -3.0, [" D"] = -4.0,
        [" cat"] = -3.0, [" tortoise"] = -4.0,
    };

    private static IReadOnlyList<BenchmarkTask> TwoSubjects(TempFolder folder)
    {
        // anatomy (stem): golds A, A, B → acc 2/3. marketing (other): golds A, C, D, A, B → acc 2/5. The model always says A.
        folder.Write("dev/anatomy_dev.csv", "d1,a,b,c,d,A\n");
        folder.Write("dev/marketing_dev.csv", "e1,a,b,c,d,B\n");
        folder.Write("test/anatomy_test.csv", "q1,a,b,c,d,A\nq2,a,b,c,d,A\nq3,a,b,c,d,B\n");
        folder.Write("test/marketing_test.csv", "m1,a,b,c,d,A\nm2,a,b,c,d,C\nm3,a,b,c,d,D\nm4,a,b,c,d,A\nm5,a,b,c,d,B\n");
        return Mmlu.LoadCsv(folder.Path);
    }

    [Fact]
    public async Task SubjectsCategoriesAndOverallAreSizeWeighted()
    {
        using var folder = new TempFolder();
        var model = ScriptedModel.ByContinuation(Table);
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(model, TwoSubjects(folder), new() { Log = TextWriter.Null });
        Assert.Equal(2.0 / 3, results["mmlu_anatomy"].Metrics["acc"].Value, 12);
        Assert.Equal(0.4, results["mmlu_marketing"].Metrics["acc"].Value, 12);
        var groups = results.Groups.ToDictionary(g => g.Name);
        Assert.Equal(["mmlu_stem", "mmlu_other", "mmlu"], results.Groups.Select(g => g.Name));
        Assert.Equal(4.0 / 8, groups["mmlu"].Metrics["acc"].Value, 12);
        Assert.Equal(8, groups["mmlu"].Size);
        Assert.Equal(["mmlu_stem", "mmlu_other"], groups["mmlu"].Subtasks);
        // Pooled stderr over the two categories: sample stderrs sqrt(1/3/3) and sqrt(0.3/5) (closed form), sizes 3 and 5.
        double se1 = Math.Sqrt(1.0 / 3 / 3), se2 = Math.Sqrt(0.3 / 5);
        double pooled = Math.Sqrt(((3 - 1) * se1 * se1 * 3 + (5 - 1) * se2 * se2 * 5) / (8 - 2) / 8);
        Assert.Equal(se1, results["mmlu_anatomy"].Metrics["acc"].StandardError, 12);
        Assert.Equal(pooled, groups["mmlu"].Metrics["acc"].StandardError, 12);

        EvaluationResults macro = await BenchmarkEvaluator.RunAsync(model, TwoSubjects(folder), new() { MacroAverage = true, Log = TextWriter.Null });
        Assert.Equal((2.0 / 3 + 0.4) / 2, macro.Groups.Single(g => g.Name == "mmlu").Metrics["acc"].Value, 12);
    }

    [Fact]
    public async Task ResultsJsonHasTheHarnessShapeAndMetricNames()
    {
        using var folder = new TempFolder();
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(ScriptedModel.ByContinuation(Table), TwoSubjects(folder),
            new() { Shots = 1, Log = TextWriter.Null, ModelConfig = new Dictionary<string, string> { ["backend"] = "scripted" } });
        JsonObject json = results.ToJson();
        Assert.Equal(0.5, json["results"]!["mmlu"]!["acc,none"]!.GetValue<double>(), 12);
        Assert.Equal("mmlu", json["results"]!["mmlu"]!["alias"]!.GetValue<string>());
        Assert.Equal(" - mmlu_stem", json["results"]!["mmlu_stem"]!["alias"]!.GetValue<string>());
        Assert.Equal("  - mmlu_anatomy", json["results"]!["mmlu_anatomy"]!["alias"]!.GetValue<string>());
        Assert.True(json["results"]!["mmlu_anatomy"]!["acc_stderr,none"]!.GetValue<double>() > 0);
        Assert.Equal(1, json["n-shot"]!["mmlu_anatomy"]!.GetValue<int>());
        Assert.Equal("first_n", json["configs"]!["mmlu_anatomy"]!["fewshot_config"]!["sampler"]!.GetValue<string>());
        Assert.Equal("scripted", json["config"]!["model_args"]!["backend"]!.GetValue<string>());
        Assert.Equal(3, json["n-samples"]!["mmlu_anatomy"]!["effective"]!.GetValue<int>());
        Assert.NotNull(json["groups"]!["mmlu_other"]);
        var metrics = results.MetricValues().ToDictionary(m => m.Name, m => m.Value);
        Assert.Equal(0.5, metrics["eval/mmlu/acc"], 12);
        Assert.Equal(0.4, metrics["eval/mmlu_marketing/acc"], 12);
        Assert.True(metrics.ContainsKey("eval/mmlu_anatomy/acc_stderr"));
        // marketing has no dev split: asking for shots there is a clear error, not a silent zero-shot run.
        File.Delete(Path.Combine(folder.Path, "dev", "marketing_dev.csv"));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => BenchmarkEvaluator.RunAsync(ScriptedModel.ByContinuation(Table), Mmlu.LoadCsv(folder.Path), new() { Shots = 1, Log = TextWriter.Null }));
        Assert.Contains("mmlu_marketing", error.Message);
    }

    [Fact]
    public async Task AccAndAccNormDifferOnLengthAndTheHtmlEscapes()
    {
        var docs = new List<BenchmarkDocument>
        {
            new("x1", "Which <pet>?", ["cat", "tortoise"], 1),  // acc wrong (−3 > −4), acc_norm right (−0.5 > −1)
            new("x2", "Which pet?", ["cat", "tortoise"], 0),    // acc right, acc_norm wrong
            new("x3", "Which pet?", ["tortoise", "cat"], 1),    // acc right, acc_norm wrong
        };
        var task = new BenchmarkTask { Name = "pets<b>", Documents = docs };
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(ScriptedModel.ByContinuation(Table), [task], new() { Log = TextWriter.Null });
        Assert.Equal(2.0 / 3, results["pets<b>"].Metrics["acc"].Value, 12);
        Assert.Equal(1.0 / 3, results["pets<b>"].Metrics["acc_norm"].Value, 12);
        Assert.Equal([false, true, true], results["pets<b>"].Correct("acc"));
        Courseware.Notebooks.Chart chart = results.Chart("acc_norm");
        Assert.Equal(1, chart.TraceCount);
        Assert.Contains("acc_norm", chart.ToSpecJson());
        string html = HtmlRenderers.Render(results);
        Assert.Contains("pets&lt;b&gt;", html);
        Assert.DoesNotContain("pets<b>", html);
    }

    [Fact]
    public async Task LoggedSamplesHoldTheContinuationsExactlyAsScored()
    {
        using var folder = new TempFolder();
        var task = new BenchmarkTask { Name = "pets", Documents = [new("x1", "Which pet?", ["cat", "tortoise"], 1)] };
        var model = ScriptedModel.ByContinuation(Table);
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(model, [task], new() { Log = TextWriter.Null });
        var sample = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllLines(Assert.Single(results.SaveSamples(folder.Path)))[0])!;
        // The harness logs the target delimiter with each choice (" cat"): the strings the model scored.
        Assert.Equal(model.Batches.SelectMany(b => b).Select(r => r.Continuation).Order(),
            sample["choices"]!.AsArray().Select(c => c!.GetValue<string>()).Order());
        Assert.Equal([" cat", " tortoise"], sample["choices"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public async Task ARerunIsAnsweredFromTheCacheAndLimitCuts()
    {
        using var folder = new TempFolder();
        string cache = Path.Combine(folder.Path, "cache");
        var first = ScriptedModel.ByContinuation(Table);
        EvaluationResults cold = await BenchmarkEvaluator.RunAsync(first, TwoSubjects(folder), new() { CacheFolder = cache, BatchSize = 5, Log = TextWriter.Null });
        Assert.Equal(0, cold.Timing.FromCache);
        Assert.Equal(32, cold.Timing.Requests);
        Assert.Equal(7, first.Batches.Count);

        var second = ScriptedModel.ByContinuation(Table);
        second.Fail = true;
        EvaluationResults warm = await BenchmarkEvaluator.RunAsync(second, TwoSubjects(folder), new() { CacheFolder = cache, Log = TextWriter.Null });
        Assert.Equal(32, warm.Timing.FromCache);
        Assert.Equal(cold.Groups.Single(g => g.Name == "mmlu").Metrics["acc"], warm.Groups.Single(g => g.Name == "mmlu").Metrics["acc"]);

        // A different model key does not read that cache.
        var other = ScriptedModel.ByContinuation(Table);
        await BenchmarkEvaluator.RunAsync(other, TwoSubjects(folder), new() { CacheFolder = cache, ModelKey = "another model", Limit = 2, Log = TextWriter.Null });
        Assert.Equal(16, other.Batches.Sum(b => b.Count));
    }

    [Fact]
    public async Task BatchesGoLongestFirstAndDuplicatesAreScoredOnce()
    {
        var docs = Enumerable.Range(1, 6).Select(i => new BenchmarkDocument($"d{i}", new string('q', i * 10), ["cat", "tortoise"], 0)).ToList();
        docs.Add(docs[0] with { Id = "dup" });
        var model = ScriptedModel.ByContinuation(Table);
        var results = await BenchmarkEvaluator.RunAsync(model, [new BenchmarkTask { Name = "t", Documents = docs }], new() { BatchSize = 4, Log = TextWriter.Null });
        Assert.Equal(12, results.Timing.Requests);
        var lengths = model.Batches.SelectMany(b => b).Select(r => r.Context.Length + r.Continuation.Length).ToList();
        Assert.Equal(lengths.OrderByDescending(l => l), lengths);
        Assert.Equal(7, results["t"].Samples.Count);
    }

    [Fact]
    public async Task APromptTheTokenizerCannotEncodeFailsItsTaskByName()
    {
        var model = ScriptedModel.ByContinuation(Table);
        model.Tokenizer = new CharacterTokenizer(" ?Whicpet");
        var task = new BenchmarkTask { Name = "pets", Documents = [new("x1", "Which pet?", ["cat", "tortoise"], 0) { Source = "pets.jsonl:1" }] };
        var error = await Assert.ThrowsAsync<BenchmarkDataException>(() => BenchmarkEvaluator.RunAsync(model, [task], new() { Log = TextWriter.Null }));
        Assert.StartsWith("pets: item x1 (pets.jsonl:1): scripted's tokenizer cannot encode the prompt: Unknown character 'a'", error.Message);
        Assert.Empty(model.Batches);

        // Next to a task the model can read, the failing task is left out and named; the other one runs.
        var readable = new BenchmarkTask { Name = "readable", Documents = [new("y1", "Which pet?", ["pet", "hi"], 0)] };
        var table = ScriptedModel.ByContinuation(new Dictionary<string, double> { [" pet"] = -1, [" hi"] = -2 });
        table.Tokenizer = model.Tokenizer;
        EvaluationResults partial = await BenchmarkEvaluator.RunAsync(table, [task, readable], new() { Log = TextWriter.Null });
        Assert.Equal(["readable"], partial.Tasks.Select(t => t.Name));
        Assert.StartsWith("pets: item x1", partial.Failures["pets"]);
        Assert.StartsWith("pets: item x1", partial.ToJson()["failed"]!["pets"]!.GetValue<string>());
        Assert.Contains("pets did not run", HtmlRenderers.Render(partial));
    }

    [Fact]
    public async Task ProgressReportsEveryBatch()
    {
        var reports = new List<EvaluationProgress>();
        var task = new BenchmarkTask { Name = "t", Documents = Enumerable.Range(0, 5).Select(i => new BenchmarkDocument($"d{i}", $"q{i}", ["cat", "tortoise"], 0)).ToList() };
        await BenchmarkEvaluator.RunAsync(ScriptedModel.ByContinuation(Table), [task], new() { BatchSize = 4, Progress = new SyncProgress(reports.Add), Log = TextWriter.Null });
        Assert.Equal([0, 4, 8, 10], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(10, r.Total));
    }

    private sealed class SyncProgress(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => report(value);
    }
}
