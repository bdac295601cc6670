using Courseware.Benchmarks;
using Courseware.Models;
using Courseware.Tests.Models;

namespace Courseware.Tests.Benchmarks;

public class ShippedCheckpointEvaluationTests
{
    [Fact]
    public async Task TorchSharpAndOnnxRuntimeGiveTheSameBenchmarkResults()
    {
        string checkpoint = Path.Combine(RepoPaths.Root, "datasets", "models", "tinygpt-small");
        var tasks = BenchmarkSuite.Load(Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld"), "arc_easy");
        var options = new EvaluationOptions { Limit = 40, Log = TextWriter.Null };
        using OpenedModel torch = ModelSource.Open(checkpoint, "torch", "cpu");
        using OpenedModel onnx = ModelSource.Open(checkpoint, "onnx", "cpu");
        ((LocalLanguageModel)torch.Model).Log = TextWriter.Null;
        ((LocalLanguageModel)onnx.Model).Log = TextWriter.Null;
        EvaluationResults a = await BenchmarkEvaluator.RunAsync(torch.Model, tasks, options);
        EvaluationResults b = await BenchmarkEvaluator.RunAsync(onnx.Model, tasks, options);
        Assert.Equal(40, a["arc_easy"].Samples.Count);
        for (int i = 0; i < 40; i++)
        {
            SampleResult x = a["arc_easy"].Samples[i], y = b["arc_easy"].Samples[i];
            Assert.Equal(x.Predicted, y.Predicted);
            for (int c = 0; c < x.LogLikelihoods.Count; c++) Assert.Equal(x.LogLikelihoods[c], y.LogLikelihoods[c], 3);
        }
        Assert.Equal(a["arc_easy"].Metrics["acc"], b["arc_easy"].Metrics["acc"]);
        Assert.NotEqual(torch.CacheKey, onnx.CacheKey);
    }

    [Fact]
    public async Task MmluAndTruthfulQaFilesRunOnTheShippedBaseAndOnlySeenFactsScoreAboveChance()
    {
        string checkpoint = Path.Combine(RepoPaths.Root, "datasets", "models", "tinygpt-base");
        var tasks = BenchmarkSuite.Load(Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld"), "mmlu", "truthfulqa_mc1");
        using OpenedModel onnx = ModelSource.Open(checkpoint, "onnx", "cpu");
        ((LocalLanguageModel)onnx.Model).Log = TextWriter.Null;
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(onnx.Model, tasks, new EvaluationOptions { Log = TextWriter.Null });
        Assert.Empty(results.Failures);

        // Ground truth from the world the checkpoint was trained on: a 0-shot context holds exactly one TinyWorld question.
        var seenQuestions = FictionalWorld.Generate(seed: 0).Questions(inTraining: true).Select(q => q.Prompt["Question: ".Length..^"\nAnswer:".Length] + "\n").ToList();
        bool Seen(SampleResult s) => seenQuestions.Any(q => s.Context.Contains(q, StringComparison.Ordinal));
        foreach (string prefix in new[] { "mmlu_", "truthfulqa_mc1" })
        {
            var samples = results.Tasks.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)).SelectMany(t => t.Samples).ToList();
            Assert.Equal(172, samples.Count);
            var seen = samples.Where(Seen).Select(s => s.Scores["acc"]).ToList();
            var heldOut = samples.Where(s => !Seen(s)).Select(s => s.Scores["acc"]).ToList();
            Assert.Equal(103, seen.Count);   // facts.csv: 103 scored items have in_training = 1
            Assert.True(seen.Average() >= 0.75, $"{prefix}: seen-fact accuracy {seen.Average():0.000}");
            // Chance 0.25; a guesser lands within 3 binomial standard deviations on the 69 held-out items.
            double sd = Math.Sqrt(0.25 * 0.75 / heldOut.Count);
            Assert.InRange(heldOut.Average(), 0.25 - 3 * sd, 0.25 + 3 * sd);
        }
    }
}
