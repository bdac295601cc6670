using TorchSharp;
using static TorchSharp.torch;

namespace Courseware.Models;

/// <summary>Training settings. The same settings, corpus and seed give bit-identical weights on a CPU.</summary>
public sealed record TrainingOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Windows per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate of AdamW (linear warm-up, then cosine decay to 10 %).</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; init; } = 50;

    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Seed of the weights and of the window sampler.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// CPU threads during training. Bit-for-bit reproducibility holds for a fixed thread count (reductions are
    /// split per thread), so the shipped checkpoints are trained with 1.
    /// </summary>
    public int Threads { get; init; } = 1;
}

/// <summary>Progress of a training run (for a progress bar or a tracking run).</summary>
public sealed record TrainingProgress(int Step, int Steps, double Loss, double LearningRate);

/// <summary>Deterministic next-token training of TinyGpt on a text corpus.</summary>
public static class TinyGptTrainer
{
    /// <summary>
    /// Trains a new TinyGpt on <paramref name="documents"/> (joined with end-of-text between them) on the CPU.
    /// Windows of ContextLength + 1 tokens start at positions drawn by a seeded System.Random.
    /// </summary>
    public static TinyGpt Train(TinyGptConfig config, CharacterTokenizer tokenizer, IReadOnlyList<string> documents, TrainingOptions options,
        IProgress<TrainingProgress>? progress = null, string name = "tinygpt", CancellationToken cancellationToken = default)
    {
        int[] stream = documents.SelectMany(d => tokenizer.EncodeToIds(d).Append(tokenizer.EndOfTextId)).ToArray();
        int window = config.ContextLength + 1;
        if (stream.Length <= window)
            throw new ArgumentException($"The corpus has {stream.Length} tokens; training needs more than one window of {window}.", nameof(documents));

        TinyGpt model = TinyGpt.Create(config, tokenizer, options.Seed, "cpu", name);
        int previousThreads = get_num_threads();
        set_num_threads(options.Threads);
        try
        {
            TinyGptNetwork network = model.Network;
            network.train();
            var optimizer = optim.AdamW(network.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
            var sampler = new Random(options.Seed);
            var batch = new long[options.BatchSize * window];
            for (int step = 1; step <= options.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                for (int b = 0; b < options.BatchSize; b++)
                {
                    int start = sampler.Next(stream.Length - window + 1);
                    for (int t = 0; t < window; t++) batch[b * window + t] = stream[start + t];
                }
                Tensor windows = tensor(batch, [options.BatchSize, window]);
                Tensor input = windows.narrow(1, 0, config.ContextLength);
                Tensor target = windows.narrow(1, 1, config.ContextLength);

                double lr = LearningRate(step, options);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                optimizer.zero_grad();
                Tensor logits = network.forward(input);
                Tensor loss = nn.functional.cross_entropy(logits.reshape(-1, config.VocabularySize), target.reshape(-1));
                loss.backward();
                nn.utils.clip_grad_norm_(network.parameters(), 1.0);
                optimizer.step();
                progress?.Report(new TrainingProgress(step, options.Steps, loss.item<float>(), lr));
            }
            network.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            set_num_threads(previousThreads);
        }
    }

    private static double LearningRate(int step, TrainingOptions options)
    {
        if (step <= options.WarmupSteps) return options.LearningRate * step / options.WarmupSteps;
        double progress = (double)(step - options.WarmupSteps) / Math.Max(1, options.Steps - options.WarmupSteps);
        return options.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
