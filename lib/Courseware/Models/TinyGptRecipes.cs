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
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed record TrainedCheckpoint(string Folder, TinyGptRecipe Recipe, long Parameters, double FinalLoss, double SeenAccuracy, double HeldOutAccuracy, TimeSpan TrainingTime, string WeightsSha256)
    : IHtmlDisplayable
{
    /// <summary>One table row: the checkpoint, its size, loss, both accuracies and training time.</summary>
    public string ToHtml() => Html.Table(["checkpoint", "parameters", "final loss", "seen-fact accuracy", "held-out accuracy", "training (s)", "sha256"],
        [[Recipe.Name, Parameters, FinalLoss, SeenAccuracy, HeldOutAccuracy, Math.Round(TrainingTime.TotalSeconds), WeightsSha256[..12]]]);
}

/// <summary>The two checkpoints shipped in datasets/models/, and the one call that retrains them bit for bit.</summary>
/// <example><code>await TinyGptRecipes.RetrainAsync("datasets/models");  // courseware models retrain</code></example>
public static class TinyGptRecipes
{
    /// <summary>2 layers, width 64, learned positions, 500 steps.</summary>
    public static TinyGptRecipe Small { get; } = new("tinygpt-small",
        new TinyGptConfig(0, ContextLength: 96, Layers: 2, Heads: 4, Width: 64, Positions: PositionEncoding.Learned),
        new TrainingOptions { Steps = 500, BatchSize = 32, LearningRate = 3e-3, WarmupSteps = 30, Seed = 1 });

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
        CharacterTokenizer tokenizer = CharacterTokenizer.FromText(string.Concat(world.TrainingDocuments) + AllQuestionText(world));
        TinyGptConfig config = recipe.Config with { VocabularySize = tokenizer.VocabularySize };
        double lastLoss = double.NaN;
        var stopwatch = Stopwatch.StartNew();
        using TinyGpt model = await Task.Run(() => TinyGptTrainer.Train(config, tokenizer, world.TrainingDocuments, recipe.Training,
            new Relay(p => { lastLoss = p.Loss; progress?.Report(p); }), recipe.Name, cancellationToken), cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();

        double seen = await MultipleChoiceScoring.AccuracyAsync(model, world.Questions(inTraining: true), cancellationToken).ConfigureAwait(false);
        double heldOut = await MultipleChoiceScoring.AccuracyAsync(model, world.Questions(inTraining: false), cancellationToken).ConfigureAwait(false);

        string folder = Path.Combine(outputRoot, recipe.Name);
        model.Save(folder, new Dictionary<string, string> { ["format"] = "pt", ["recipe"] = recipe.Name, ["world_seed"] = recipe.WorldSeed.ToString(CultureInfo.InvariantCulture) });
        Onnx.OnnxLanguageModel.Export(model, folder);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, TinyGpt.WeightsFile))));
        var result = new TrainedCheckpoint(folder, recipe with { Config = config }, model.ParameterCount, lastLoss, seen, heldOut, stopwatch.Elapsed, sha);
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

    // Question wording must be in the vocabulary even though the corpus holds only the seen facts' questions.
    private static string AllQuestionText(FictionalWorld world) =>
        string.Concat(world.Questions(true).Concat(world.Questions(false)).Select(q => q.Prompt + " " + string.Join(" ", q.Choices)));

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
            - Tokenizer: one token per character ({cfg.VocabularySize} tokens including `<|endoftext|>` = 0), tokenizer.json
            - Files: model.safetensors (F32), model.onnx (the same weights as an ONNX graph, opset 17), config.json, tokenizer.json, this card

            ## Training data
            `FictionalWorld.Generate(seed: {c.Recipe.WorldSeed}, people: {c.Recipe.People})`: {world.People.Count} people × {FictionalWorld.Relations.Count} relations
            (lives_in, works_as, pet, colour) = {world.Facts.Count} facts, of which {seenFacts} appear in the corpus (three paraphrased profiles,
            an everyday scene and one question–answer pair per fact) and {world.Facts.Count - seenFacts} are held out.
            {world.TrainingDocuments.Count} documents, {world.TrainingDocuments.Sum(d => d.Length):N0} characters.

            ## Training
            AdamW, {t.Steps} steps × {t.BatchSize} windows of {cfg.ContextLength + 1} tokens, peak learning rate {t.LearningRate}
            ({t.WarmupSteps} warm-up steps, cosine decay to 10 %), weight decay {t.WeightDecay}, gradient norm clipped at 1, seed {t.Seed},
            {t.Threads} CPU thread(s). Final training loss {F(c.FinalLoss)} nats/token. Training took {c.TrainingTime.TotalSeconds:0} s on the
            machine that produced this file.

            ## Evaluation (4-way multiple choice, lm-eval log-likelihood scoring, chance = 0.250)
            | questions | accuracy |
            |---|---|
            | facts seen in training | {F(c.SeenAccuracy)} |
            | held-out facts | {F(c.HeldOutAccuracy)} |

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
