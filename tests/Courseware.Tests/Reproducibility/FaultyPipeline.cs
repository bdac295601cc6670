using Courseware.Reproducibility;

namespace Courseware.Tests.Reproducibility;

/// <summary>Reproducibility bugs the audit must find, one at a time.</summary>
public enum Fault
{
    None,
    /// <summary>The shuffle uses <c>new Random()</c>.</summary>
    UnseededShuffle,
    /// <summary>Initial weights are drawn from a generator seeded with the clock.</summary>
    TimeSeededInit,
    /// <summary>The gradient is summed in parallel, partial sums added in completion order.</summary>
    ParallelReduction,
}

/// <summary>
/// A small but real training pipeline in plain C#: linear regression on synthetic data, with a seeded split, shuffle,
/// initialisation and input dropout, trained by mini-batch SGD in float32. It records every stage's output in pipeline
/// order, which is what lets the audit say where two runs diverge.
/// </summary>
public static class FaultyPipeline
{
    private const int Examples = 2400, Features = 16, BatchSize = 600, Epochs = 3;

    public static TrainingOutcome Train(SeedPlan seeds, Fault fault = Fault.None)
    {
        var (x, y) = Data();

        var split = Permutation(Examples, seeds.CreateRandom(SeedComponents.DataSplit));
        var train = split[..(Examples * 3 / 4)];
        var validation = split[(Examples * 3 / 4)..];

        var initRandom = fault == Fault.TimeSeededInit ? new Random((int)DateTime.UtcNow.Ticks) : seeds.CreateRandom(SeedComponents.Initialization);
        var w = new float[Features];
        for (var j = 0; j < Features; j++) w[j] = (float)(initRandom.NextDouble() - 0.5) * 0.1f;
        var initial = w.ToArray();

        var shuffleRandom = fault == Fault.UnseededShuffle ? new Random() : seeds.CreateRandom(SeedComponents.Shuffle);
        var dropoutRandom = seeds.CreateRandom(SeedComponents.Dropout);
        var orders = new List<int>();
        var masks = new List<float>();
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            var order = Permutation(train.Length, shuffleRandom).Select(i => train[i]).ToArray();
            orders.AddRange(order);
            for (var start = 0; start < order.Length; start += BatchSize)
            {
                var batch = order[start..Math.Min(start + BatchSize, order.Length)];
                var mask = new float[Features];
                for (var j = 0; j < Features; j++) mask[j] = dropoutRandom.NextDouble() < 0.1 ? 0f : 1f / 0.9f;
                masks.AddRange(mask);
                var gradient = fault == Fault.ParallelReduction ? GradientParallel(x, y, w, mask, batch) : Gradient(x, y, w, mask, 0, batch);
                for (var j = 0; j < Features; j++) w[j] -= 0.05f * gradient[j] / batch.Length;
            }
        }

        return new TrainingOutcome()
            .Array("data_split.indices", split)
            .Array("init.weights", initial)
            .Array("shuffle.order", orders)
            .Array("dropout.masks", masks.ToArray())
            .Array("weights", w)
            .Metric("train_mse", Mse(x, y, w, train))
            .Metric("val_mse", Mse(x, y, w, validation));
    }

    /// <summary>The data is fixed input, deliberately not drawn from the seed plan.</summary>
    private static (float[][] X, float[] Y) Data()
    {
        var random = new Random(20_26);
        var truth = Enumerable.Range(0, Features).Select(j => (float)Math.Sin(j + 1)).ToArray();
        var x = new float[Examples][];
        var y = new float[Examples];
        for (var i = 0; i < Examples; i++)
        {
            x[i] = Enumerable.Range(0, Features).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            y[i] = Dot(x[i], truth) + (float)(random.NextDouble() - 0.5) * 0.1f;
        }
        return (x, y);
    }

    private static int[] Permutation(int n, Random random)
    {
        var p = Enumerable.Range(0, n).ToArray();
        random.Shuffle(p);
        return p;
    }

    private static float Dot(float[] a, float[] b)
    {
        var s = 0f;
        for (var j = 0; j < a.Length; j++) s += a[j] * b[j];
        return s;
    }

    /// <summary>Sum over the batch of the squared-error gradient, in example order.</summary>
    private static float[] Gradient(float[][] x, float[] y, float[] w, float[] mask, int from, int[] batch, int? to = null)
    {
        var g = new float[Features];
        for (var k = from; k < (to ?? batch.Length); k++)
        {
            var i = batch[k];
            var input = x[i].Select((v, j) => v * mask[j]).ToArray();
            var error = Dot(input, w) - y[i];
            for (var j = 0; j < Features; j++) g[j] += 2 * error * input[j];
        }
        return g;
    }

    /// <summary>
    /// The fault: worker threads, released together, each sum a chunk and add it to the total as they finish, so the
    /// order of the float additions follows the scheduler.
    /// </summary>
    private static float[] GradientParallel(float[][] x, float[] y, float[] w, float[] mask, int[] batch)
    {
        const int Workers = 8;
        var total = new float[Features];
        var gate = new object();
        var size = (batch.Length + Workers - 1) / Workers;
        using var start = new ManualResetEventSlim();
        var threads = Enumerable.Range(0, Workers).Select(c => new Thread(() =>
        {
            start.Wait();
            var partial = Gradient(x, y, w, mask, c * size, batch, Math.Min((c + 1) * size, batch.Length));
            lock (gate)
            {
                for (var j = 0; j < Features; j++) total[j] += partial[j];
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        start.Set();
        threads.ForEach(t => t.Join());
        return total;
    }

    private static double Mse(float[][] x, float[] y, float[] w, int[] rows) =>
        rows.Average(i => Math.Pow(Dot(x[i], w) - y[i], 2));
}
