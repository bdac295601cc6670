using System.Text.Json.Nodes;
using Courseware.Cli.Commands;
using Courseware.Tests.Models;

namespace Courseware.Tests.Benchmarks;

public class EvalCommandTests
{
    private static readonly string Data = Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld");
    private static readonly string Checkpoint = Path.Combine(RepoPaths.Root, "datasets", "models", "tinygpt-small");

    [Fact]
    public async Task EvalWritesHarnessShapedResultsWithTheContaminationSplit()
    {
        using var folder = new TempFolder();
        string output = Path.Combine(folder.Path, "results.json");
        int exit = await EvalCommand.Create().Parse([
            "--model", Checkpoint, "--backend", "onnx", "--device", "cpu", "--data", Data, "--tasks", "arc_easy,custom/tinyworld_pets.yaml",
            "--limit", "12", "--cache", Path.Combine(folder.Path, "cache"), "--corpus", Path.Combine(Data, "corpus.jsonl"),
            "--log-samples", Path.Combine(folder.Path, "samples"), "--out", output]).InvokeAsync();
        Assert.Equal(0, exit);
        var json = JsonNode.Parse(File.ReadAllText(output))!;
        Assert.Equal(12, json["n-samples"]!["arc_easy"]!["effective"]!.GetValue<int>());
        Assert.Equal(172, json["n-samples"]!["arc_easy"]!["original"]!.GetValue<int>());
        Assert.Equal("onnx", json["config"]!["model_args"]!["backend"]!.GetValue<string>());
        Assert.NotNull(json["results"]!["tinyworld_pets_custom"]!["acc_bytes,none"]);
        Assert.Equal(12, json["contamination"]!["arc_easy"]!["n"]!.GetValue<int>());
        string[] samples = File.ReadAllLines(Path.Combine(folder.Path, "samples", "samples_arc_easy.jsonl"));
        Assert.Equal(12, samples.Length);
        var first = JsonNode.Parse(samples[0])!;
        Assert.StartsWith("Question: ", first["context"]!.GetValue<string>());
        Assert.Equal(4, first["loglikelihoods"]!.AsArray().Count);
        Assert.Equal(first["target"]!.GetValue<int>() == first["predicted"]!.GetValue<int>() ? 1.0 : 0.0, first["acc"]!.GetValue<double>());
    }

    [Fact]
    public async Task UnknownTasksAndMissingModelsExitWithTwo()
    {
        Assert.Equal(2, await EvalCommand.Create().Parse(["--model", Checkpoint, "--data", Data, "--tasks", "mmlu_pro"]).InvokeAsync());
        Assert.Equal(2, await EvalCommand.Create().Parse(["--model", "/no/such/checkpoint", "--data", Data, "--tasks", "arc_easy"]).InvokeAsync());
    }
}
