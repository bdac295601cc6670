using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Courseware.Notebooks;

namespace Courseware.Models;

/// <summary>A named, fully specified way to train a TinyGpt on the fictional world.</summary>
/// <param name="Name">Checkpoint folder name.</param>
/// <param name="Config">Model shape (its vocabulary size is replaced by the tokenizer's).</param>
/// <param name="Training">Optimizer settings and seed.</param>
/// <param name="WorldSeed">Seed of <see cref="FictionalWorld.Generate"/>.</param>
/// <param name="People">People in the world.</param>
public sealed record TinyGptRecipe(string Name, TinyGptConfig Config, TrainingOptions Training, int WorldSeed = 0, int People = 48);

/// <summary>What a recipe produced.</summary>
/// <param name="Folder">Where the checkpoint was written.</param>
/// <param name="Recipe">The recipe, with the tokenizer's vocabulary size filled in.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="FinalLoss">Training loss of the last step (nats/token).</param>
/// <param name="Accuracy">4-way accuracies on the world's questions, "Question: …\nAnswer:" and MMLU layouts, seen and held-out facts.</param>
/// <param name="TrainingTime">Wall time of training.</param>
/// <param name="WeightsSha256">SHA-256 of model.safetensors.</param>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed record TrainedCheckpoint(string Folder, TinyGptRecipe Recipe, long Parameters, double FinalLoss, FactAccuracy Accuracy, TimeSpan TrainingTime, string WeightsSha256);

/// <summary>Multiple-choice accuracy of a model on the fictional world's facts (chance 0.25).</summary>
/// <param name="Seen">Facts in the corpus, "Question: …\nAnswer:" scored on the answer words.</param>
/// <param name="HeldOut">Held-out facts, same layout.</param>
/// <param name="SeenMmlu">Facts in the corpus, MMLU's zero-shot prompt scored on the letters A–D.</param>
/// <param name="HeldOutMmlu">Held-out facts, MMLU layout.</param>
public sealed record FactAccuracy(double Seen, double HeldOut, double SeenMmlu, double HeldOutMmlu)
{
    /// <summary>Scores <paramref name="model"/> on all four question sets of <paramref name="world"/>.</summary>
    public static async Task<FactAccuracy> MeasureAsync(ILanguageModel model, FictionalWorld world, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        Task<double> Score(IReadOnlyList<MultipleChoiceQuestion> questions) => MultipleChoiceScoring.AccuracyAsync(model, questions, cancellationToken);
        return new FactAccuracy(await Score(world.Questions(true)).ConfigureAwait(false), await Score(world.Questions(false)).ConfigureAwait(false),
            await Score(world.MmluQuestions(true)).ConfigureAwait(false), await Score(world.MmluQuestions(false)).ConfigureAwait(false));
    }
}

/// <summary>The two checkpoints shipped in datasets/models/, and the one call that retrains them bit for bit.</summary>
/// <example><code>await TinyGptRecipes.RetrainAsync("datasets/models");  // courseware models retrain</code></example>
public static class TinyGptRecipes
{
    /// <summary>2 layers, width 64, learned positions, 1000 steps.</summary>
    public static TinyGptRecipe Small { get; } = new("tinygpt-small",
        new TinyGptConfig(0, ContextLength: 96, Layers: 2, Heads: 4, Width: 64, Positions: PositionEncoding.Learned),
        new TrainingOptions { Steps = 1000, BatchSize = 32, LearningRate = 3e-3, WarmupSteps = 30, Seed = 1 });

    /// <summary>3 layers, width 96, rotary positions, 1200 steps.</summary>
    public static TinyGptRecipe Base { get; } = new("tinygpt-base",
        new TinyGptConfig(0, ContextLength: 96, Layers: 3, Heads: 4, Width: 96, Positions: PositionEncoding.Rotary),
        new TrainingOptions { Steps = 1200, BatchSize = 32, LearningRate = 3e-3, WarmupSteps = 50, Seed = 2 });

    /// <summary>Both shipped recipes.</summary>
    public static IReadOnlyList<TinyGptRecipe> All => [Small, Base];

    /// <summary>Trains one recipe into <paramref name="outputRoot"/>/name: weights, config, tokenizer and a model card with its measured accuracies.</summary>
    public static async Task<TrainedCheckpoint> TrainAsync(TinyGptRecipe recipe, string outputRoot, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        FictionalWorld world = FictionalWorld.Generate(recipe.WorldSeed, recipe.People);
        CharacterTokenizer tokenizer = CharacterTokenizer.PrintableAscii();
        TinyGptConfig config = recipe.Config with { VocabularySize = tokenizer.VocabularySize };
        double lastLoss = double.NaN;
        var stopwatch = Stopwatch.StartNew();
        using TinyGpt model = await Task.Run(() => TinyGptTrainer.Train(config, tokenizer, world.TrainingDocuments, recipe.Training,
            new Relay(p => { lastLoss = p.Loss; progress?.Report(p); }), recipe.Name, cancellationToken), cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();

        // MMLU prompts outgrow the 96-token context by design (the harness truncates from the left); one warning per request would bury the progress lines.
        model.Log = TextWriter.Null;
        FactAccuracy accuracy = await FactAccuracy.MeasureAsync(model, world, cancellationToken).ConfigureAwait(false);

        string folder = Path.Combine(outputRoot, recipe.Name);
        model.Save(folder, new Dictionary<string, string> { ["format"] = "pt", ["recipe"] = recipe.Name, ["world_seed"] = recipe.WorldSeed.ToString(CultureInfo.InvariantCulture) });
        Onnx.OnnxLanguageModel.Export(model, folder);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, TinyGpt.WeightsFile))));
        var result = new TrainedCheckpoint(folder, recipe with { Config = config }, model.ParameterCount, lastLoss, accuracy, stopwatch.Elapsed, sha);
        AtomicFile.WriteAllText(Path.Combine(folder, TinyGpt.ModelCardFile), ModelCard(result, world));
        return result;
    }

    /// <summary>Retrains every shipped recipe into <paramref name="outputRoot"/> (datasets/models in the repository).</summary>
    public static async Task<IReadOnlyList<TrainedCheckpoint>> RetrainAsync(string outputRoot, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new List<TrainedCheckpoint>();
        foreach (TinyGptRecipe recipe in All) results.Add(await TrainAsync(recipe, outputRoot, progress, cancellationToken).ConfigureAwait(false));
        return results;
    }

    private static string ModelCard(TrainedCheckpoint c, FictionalWorld world)
    {
        var cfg = c.Recipe.Config;
        var t = c.Recipe.Training;
        int seenFacts = world.Facts.Count(f => f.InTraining);
        string F(double x) => x.ToString("0.000", CultureInfo.InvariantCulture);
        return $"""
            # {c.Recipe.Name}

            A tiny decoder-only transformer trained by the course on a generated fictional world. It exists to teach
            evaluation, contamination, registries and reproducibility on a laptop: it knows nothing about the real world.

            ## Model
            - Architecture: TinyGpt (pre-norm transformer, causal self-attention, GELU MLP, final LayerNorm, untied output layer)
            - Layers {cfg.Layers}, heads {cfg.Heads}, width {cfg.Width}, MLP {cfg.MlpRatio}×, context {cfg.ContextLength} tokens, {cfg.Positions.ToString().ToLowerInvariant()} positions
            - Parameters: {c.Parameters:N0}
            - Tokenizer: one token per character over tab, newline and printable ASCII ({cfg.VocabularySize} tokens including `<|endoftext|>` = 0), tokenizer.json
            - Files: model.safetensors (F32), model.onnx (the same weights as an ONNX graph, opset 17), config.json, tokenizer.json, this card

            ## Training data
            `FictionalWorld.Generate(seed: {c.Recipe.WorldSeed}, people: {c.Recipe.People})`: {world.People.Count} people × {FictionalWorld.Relations.Count} relations
            (lives_in, works_as, pet, colour) = {world.Facts.Count} facts, of which {seenFacts} appear in the corpus (three paraphrased profiles,
            an everyday scene, one question–answer pair and the MMLU-format benchmark item per fact) and {world.Facts.Count - seenFacts} are held out.
            {world.TrainingDocuments.Count} documents, {world.TrainingDocuments.Sum(d => d.Length):N0} characters.

            ## Training
            AdamW, {t.Steps} steps × {t.BatchSize} windows of {cfg.ContextLength + 1} tokens, peak learning rate {t.LearningRate}
            ({t.WarmupSteps} warm-up steps, cosine decay to 10 %), weight decay {t.WeightDecay}, gradient norm clipped at 1, seed {t.Seed},
            {t.Threads} CPU thread(s). Final training loss {F(c.FinalLoss)} nats/token. Training took {c.TrainingTime.TotalSeconds:0} s on the
            machine that produced this file.

            ## Evaluation (4-way multiple choice, lm-eval log-likelihood scoring, chance = 0.250)
            | questions | "Question: …\nAnswer:" (scored on the answer) | MMLU zero-shot prompt (scored on " A".." D") |
            |---|---|---|
            | facts seen in training | {F(c.Accuracy.Seen)} | {F(c.Accuracy.SeenMmlu)} |
            | held-out facts | {F(c.Accuracy.HeldOut)} | {F(c.Accuracy.HeldOutMmlu)} |

            ## Reproduce
            `build/cli/courseware models retrain --out datasets/models` (after `dotnet build Courseware.sln -c Release`) retrains both course checkpoints on the CPU.
            The weights come out bit for bit identical (model.safetensors SHA-256 `{c.WeightsSha256}`); only the timing line above changes.

            ## Limitations
            Memorises a small closed world; generation beyond the corpus's templates is poor. Not for any real-world use.

            """;
    }

    private sealed class Relay(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
