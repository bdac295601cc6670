using System.Security.Cryptography;
using Courseware.Models;
using Courseware.Models.Onnx;

namespace Courseware.Tests.Models;

/// <summary>The checkpoints committed in datasets/models/: complete, small, truthful model cards, and the behaviour the labs rely on.</summary>
public class ShippedCheckpointTests
{
    private static string Folder(string name) => Path.Combine(RepoPaths.Root, "datasets/models", name);

    [Theory]
    [InlineData("tinygpt-small")]
    [InlineData("tinygpt-base")]
    public void Each_checkpoint_is_complete_small_and_its_card_states_the_true_hash(string name)
    {
        string folder = Folder(name);
        foreach (string file in new[] { "model.safetensors", "model.onnx", "config.json", "tokenizer.json", "README.md" })
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{folder}/{file} is missing");
        long bytes = Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes < 8_000_000, $"{name} takes {bytes:N0} bytes");
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "model.safetensors"))));
        Assert.Contains(sha, File.ReadAllText(Path.Combine(folder, "README.md")));
    }

    [Theory]
    [InlineData("tinygpt-small")]
    [InlineData("tinygpt-base")]
    public async Task Each_checkpoint_reads_printable_ascii_and_its_card_states_the_accuracies_it_has(string name)
    {
        Assert.Equal(CharacterTokenizer.PrintableAsciiCharacters, CharacterTokenizer.Load(Path.Combine(Folder(name), "tokenizer.json")).Characters);
        using TinyGpt model = TinyGpt.Load(Folder(name), "cpu");
        model.Log = TextWriter.Null;
        FactAccuracy accuracy = await FactAccuracy.MeasureAsync(model, FictionalWorld.Generate(seed: 0));
        string card = File.ReadAllText(Path.Combine(Folder(name), "README.md"));
        string F(double x) => x.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"| facts seen in training | {F(accuracy.Seen)} | {F(accuracy.SeenMmlu)} |", card);
        Assert.Contains($"| held-out facts | {F(accuracy.HeldOut)} | {F(accuracy.HeldOutMmlu)} |", card);
    }

    [Fact]
    public async Task The_base_model_answers_mmlu_format_questions_on_seen_facts_and_guesses_held_out_ones()
    {
        using TinyGpt model = TinyGpt.Load(Folder("tinygpt-base"), "cpu");
        model.Log = TextWriter.Null;
        var world = FictionalWorld.Generate(seed: 0);
        var seen = world.MmluQuestions(inTraining: true);
        var heldOut = world.MmluQuestions(inTraining: false);
        Assert.All(seen.Concat(heldOut), q => Assert.Equal(["A", "B", "C", "D"], q.Choices));
        double seenAccuracy = await MultipleChoiceScoring.AccuracyAsync(model, seen);
        double heldOutAccuracy = await MultipleChoiceScoring.AccuracyAsync(model, heldOut);

        Assert.True(seenAccuracy >= 0.8, $"seen-fact MMLU accuracy {seenAccuracy:0.000}");
        double sd = Math.Sqrt(0.25 * 0.75 / heldOut.Count);
        Assert.InRange(heldOutAccuracy, 0.25 - 3 * sd, 0.25 + 3 * sd);
    }

    [Fact]
    public async Task The_base_model_knows_seen_facts_and_guesses_held_out_ones()
    {
        using TinyGpt model = TinyGpt.Load(Folder("tinygpt-base"), "cpu");
        model.Log = TextWriter.Null;
        var world = FictionalWorld.Generate(seed: 0);
        var seen = world.Questions(inTraining: true);
        var heldOut = world.Questions(inTraining: false);
        double seenAccuracy = await MultipleChoiceScoring.AccuracyAsync(model, seen);
        double heldOutAccuracy = await MultipleChoiceScoring.AccuracyAsync(model, heldOut);

        Assert.True(seenAccuracy >= 0.9, $"seen-fact accuracy {seenAccuracy:0.000}");
        // Chance is 0.25; with n held-out questions a guesser lands within 3 binomial standard deviations.
        double sd = Math.Sqrt(0.25 * 0.75 / heldOut.Count);
        Assert.InRange(heldOutAccuracy, 0.25 - 3 * sd, 0.25 + 3 * sd);
    }

    [Fact]
    public async Task The_shipped_onnx_graph_predicts_what_the_torchsharp_weights_predict()
    {
        using TinyGpt torch = TinyGpt.Load(Folder("tinygpt-small"), "cpu");
        using OnnxLanguageModel onnx = OnnxLanguageModel.Load(Folder("tinygpt-small"));
        var questions = FictionalWorld.Generate(seed: 0).Questions(inTraining: true);
        Assert.Equal(await MultipleChoiceScoring.PredictAsync(torch, questions), await MultipleChoiceScoring.PredictAsync(onnx, questions));
    }
}
