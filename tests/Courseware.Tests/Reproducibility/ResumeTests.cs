using Courseware.Reproducibility;

namespace Courseware.Tests.Reproducibility;

/// <summary>
/// Resuming from a checkpoint must give the same final weights as an uninterrupted run. The checkpoint holds the
/// weights and the epoch; the data order is recreated from per-epoch seeds, since System.Random's state cannot be saved.
/// </summary>
public class ResumeTests
{
    private const int Examples = 200, Features = 8, Epochs = 6;

    private sealed record Checkpoint(float[] Weights, int NextEpoch);

    private static (float[][] X, float[] Y) Data()
    {
        var r = new Random(7);
        var x = Enumerable.Range(0, Examples).Select(_ => Enumerable.Range(0, Features).Select(_ => (float)r.NextDouble()).ToArray()).ToArray();
        return (x, x.Select(row => row.Sum() + 0.5f).ToArray());
    }

    /// <summary>SGD from <paramref name="start"/> up to (excluding) epoch <paramref name="stop"/>.</summary>
    private static Checkpoint Train(SeedPlan seeds, Checkpoint start, int stop, Random? oneGeneratorForAllEpochs = null)
    {
        var (x, y) = Data();
        var w = start.Weights.ToArray();
        for (var epoch = start.NextEpoch; epoch < stop; epoch++)
        {
            var order = Enumerable.Range(0, Examples).ToArray();
            (oneGeneratorForAllEpochs ?? seeds.CreateRandom(SeedComponents.Shuffle, epoch)).Shuffle(order);
            foreach (var i in order)
            {
                var error = x[i].Select((v, j) => v * w[j]).Sum() - y[i];
                for (var j = 0; j < Features; j++) w[j] -= 0.01f * error * x[i][j];
            }
        }
        return new Checkpoint(w, stop);
    }

    private static Checkpoint Initial(SeedPlan seeds)
    {
        var r = seeds.CreateRandom(SeedComponents.Initialization);
        return new Checkpoint(Enumerable.Range(0, Features).Select(_ => (float)r.NextDouble()).ToArray(), 0);
    }

    private static Checkpoint SaveAndLoad(Checkpoint c, string path)
    {
        var bytes = new byte[c.Weights.Length * sizeof(float)];
        Buffer.BlockCopy(c.Weights, 0, bytes, 0, bytes.Length);
        AtomicFile.WriteAllBytes(path, [.. BitConverter.GetBytes(c.NextEpoch), .. bytes]);
        var read = File.ReadAllBytes(path);
        var weights = new float[(read.Length - sizeof(int)) / sizeof(float)];
        Buffer.BlockCopy(read, sizeof(int), weights, 0, read.Length - sizeof(int));
        return new Checkpoint(weights, BitConverter.ToInt32(read));
    }

    [Fact]
    public void Resumed_run_ends_with_the_same_weights_bit_for_bit()
    {
        using var t = new TempFolder();
        var seeds = new SeedPlan(42);
        var uninterrupted = Train(seeds, Initial(seeds), Epochs);

        var half = Train(seeds, Initial(seeds), 3);
        var resumed = Train(seeds, SaveAndLoad(half, Path.Combine(t.Path, "ckpt.bin")), Epochs);

        var comparison = RunComparison.Compare(new TrainingOutcome().Array("weights", resumed.Weights), new TrainingOutcome().Array("weights", uninterrupted.Weights));
        Assert.True(comparison.BitwiseIdentical, comparison.ToString());
    }

    [Fact]
    public void One_generator_for_all_epochs_does_not_resume_identically()
    {
        // The usual bug: a single Random created at start. After a restart it begins its sequence again at epoch 3.
        var seeds = new SeedPlan(42);
        var uninterrupted = Train(seeds, Initial(seeds), Epochs, seeds.CreateRandom(SeedComponents.Shuffle));
        var half = Train(seeds, Initial(seeds), 3, seeds.CreateRandom(SeedComponents.Shuffle));
        var resumed = Train(seeds, half, Epochs, seeds.CreateRandom(SeedComponents.Shuffle));
        var comparison = RunComparison.Compare(new TrainingOutcome().Array("weights", resumed.Weights), new TrainingOutcome().Array("weights", uninterrupted.Weights));
        Assert.False(comparison.Reproduced);
    }
}
