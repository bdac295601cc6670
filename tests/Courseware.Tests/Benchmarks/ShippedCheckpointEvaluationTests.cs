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
}
