using Courseware.Models;
using Courseware.Reproducibility;
using TorchSharp;
using static TorchSharp.torch;

namespace Courseware.Tests.Reproducibility;

/// <summary>
/// A small but real TorchSharp training (MLP with dropout, AdamW, shuffled mini-batches) stopped mid-epoch, saved,
/// loaded into a fresh process state and continued must end with the same weights, bit for bit, as a run that never
/// stopped. Leaving out the generator states or the optimiser state must break that, or the test proves nothing.
/// </summary>
[Collection(TorchCollection.Name)]
public class TorchCheckpointTests
{
    private const int Examples = 512, Features = 16, BatchSize = 32, Epochs = 3, BatchesPerEpoch = Examples / BatchSize;
    private static readonly SeedPlan Seeds = new(42, SeedComponents.Initialization, SeedComponents.Shuffle, SeedComponents.Dropout);

    public TorchCheckpointTests()
    {
        TorchRuntime.EnsureLoaded();
        TorchSeeding.EnableTorchDeterminism(threads: 1);
    }

    private static nn.Module<Tensor, Tensor> Mlp() => nn.Sequential(
        ("fc1", nn.Linear(Features, 64)), ("relu1", nn.ReLU()), ("drop", nn.Dropout(0.2)),
        ("fc2", nn.Linear(64, 64)), ("relu2", nn.ReLU()), ("out", nn.Linear(64, 1)));

    /// <summary>Trains from scratch or from <paramref name="resume"/>; stops with a checkpoint before step <paramref name="stopAt"/>.</summary>
    internal static (float[]? Weights, TrainingCheckpoint? Checkpoint) Train(SeedPlan seeds, long stopAt = long.MaxValue, TrainingCheckpoint? resume = null)
    {
        using var dataGenerator = new Generator(7);
        using var x = randn([Examples, Features], generator: dataGenerator);
        using var y = x.sin().sum(1, keepdim: true);

        seeds.ApplyToTorch(SeedComponents.Initialization);
        using var model = Mlp();
        using var optimizer = optim.AdamW(model.parameters(), 1e-2, weight_decay: 0.01);
        using var shuffle = seeds.CreateTorchGenerator(SeedComponents.Shuffle);
        var generators = new Dictionary<string, Generator> { [SeedComponents.Shuffle] = shuffle };
        // Dropout draws from torch's global generator; from here on it belongs to the dropout component.
        seeds.ApplyToTorch(SeedComponents.Dropout);

        long step = 0;
        var startEpoch = 0;
        int[]? order = null;
        if (resume is not null)
        {
            resume.Restore(model, optimizer, generators);
            (step, startEpoch, order) = (resume.Step, resume.Epoch, resume.DataOrder);
        }

        model.train();
        for (var epoch = startEpoch; epoch < Epochs; epoch++)
        {
            if (order is null)
            {
                using var permutation = randperm(Examples, generator: shuffle);
                order = permutation.data<long>().Select(i => (int)i).ToArray();
            }
            for (var batch = (int)(step - (long)epoch * BatchesPerEpoch); batch < BatchesPerEpoch; batch++)
            {
                if (step == stopAt) return (null, TorchCheckpoint.Capture(model, optimizer, step, epoch, generators, order, seeds));
                using var scope = NewDisposeScope();
                var index = tensor(order[(batch * BatchSize)..((batch + 1) * BatchSize)].Select(i => (long)i).ToArray());
                optimizer.zero_grad();
                var loss = nn.functional.mse_loss(model.forward(x.index_select(0, index)), y.index_select(0, index));
                loss.backward();
                optimizer.step();
                step++;
            }
            order = null;
        }
        return (Flatten(model), null);
    }

    private static float[] Flatten(nn.Module model) =>
        model.parameters().SelectMany(p => { using var c = p.detach().cpu(); return c.data<float>().ToArray(); }).ToArray();

    private static RunComparison Compare(float[] a, float[] b) =>
        RunComparison.Compare(new TrainingOutcome().Array("weights", a), new TrainingOutcome().Array("weights", b));

    [Fact]
    public void Same_seed_gives_identical_weights_and_another_seed_does_not()
    {
        var a = Train(Seeds).Weights!;
        Assert.True(Compare(Train(Seeds).Weights!, a).BitwiseIdentical);
        Assert.False(Compare(Train(Seeds.WithMasterSeed(43)).Weights!, a).Reproduced);
    }

    [Fact]
    public void Resuming_mid_epoch_from_a_saved_checkpoint_gives_the_uninterrupted_weights_bit_for_bit()
    {
        using var folder = new TempFolder();
        var uninterrupted = Train(Seeds).Weights!;
        var stopped = Train(Seeds, stopAt: BatchesPerEpoch + 5).Checkpoint!;
        stopped.Save(Path.Combine(folder.Path, "ckpt"));
        var loaded = TrainingCheckpoint.Load(Path.Combine(folder.Path, "ckpt"));

        Assert.Equal(BatchesPerEpoch + 5, loaded.Step);
        Assert.Equal(1, loaded.Epoch);
        Assert.Equal(stopped.DataOrder, loaded.DataOrder);
        Assert.Equal(Seeds, loaded.Seeds);
        // Another master seed: every fresh state differs, so only what Restore puts back can make the runs agree.
        var resumed = Train(Seeds.WithMasterSeed(999), resume: loaded).Weights!;
        var comparison = Compare(resumed, uninterrupted);
        Assert.True(comparison.BitwiseIdentical, comparison.ToString());
    }

    [Fact]
    public void Leaving_out_the_generator_states_or_the_optimizer_state_breaks_the_resume()
    {
        var uninterrupted = Train(Seeds).Weights!;
        var full = Train(Seeds, stopAt: BatchesPerEpoch + 5).Checkpoint!;

        var noGenerators = new TrainingCheckpoint
        {
            Step = full.Step, Epoch = full.Epoch, Weights = full.Weights, OptimizerState = full.OptimizerState,
            OptimizerType = full.OptimizerType, DataOrder = full.DataOrder,
            RngStates = new Dictionary<string, byte[]> { [SeedComponents.Shuffle] = full.RngStates[SeedComponents.Shuffle] },
        };
        Assert.False(Compare(Train(Seeds.WithMasterSeed(999), resume: noGenerators).Weights!, uninterrupted).Reproduced);

        // Fresh AdamW moments (the state a weights-only checkpoint resumes with).
        byte[]? fresh;
        using (var probe = Mlp())
        using (var adam = optim.AdamW(probe.parameters(), 1e-2, weight_decay: 0.01))
            fresh = TorchCheckpoint.Capture(probe, adam, 0).OptimizerState;
        var freshOptimizer = new TrainingCheckpoint
        {
            Step = full.Step, Epoch = full.Epoch, Weights = full.Weights, OptimizerState = fresh, OptimizerType = full.OptimizerType,
            DataOrder = full.DataOrder, RngStates = full.RngStates,
        };
        Assert.False(Compare(Train(Seeds.WithMasterSeed(999), resume: freshOptimizer).Weights!, uninterrupted).Reproduced);
    }

    [Fact]
    public void A_file_changed_after_saving_is_named_on_load()
    {
        using var folder = new TempFolder();
        var dir = Path.Combine(folder.Path, "ckpt");
        Train(Seeds, stopAt: 3).Checkpoint!.Save(dir);
        var weights = Path.Combine(dir, TrainingCheckpoint.WeightsFile);
        var original = File.ReadAllBytes(weights);
        var bytes = original.ToArray();
        bytes[^1] ^= 1;
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(dir));
        Assert.Contains(weights, e.Message);
        Assert.Contains("changed after the checkpoint was saved", e.Message);
        File.WriteAllBytes(weights, original);

        File.Delete(Path.Combine(dir, TrainingCheckpoint.OptimizerFile));
        var missing = Assert.Throws<FileNotFoundException>(() => TrainingCheckpoint.Load(dir));
        Assert.Contains(TrainingCheckpoint.OptimizerFile, missing.Message);

        var notACheckpoint = Assert.Throws<FileNotFoundException>(() => TrainingCheckpoint.Load(folder.Path));
        Assert.Contains(TrainingCheckpoint.ManifestFile, notACheckpoint.Message);
    }

    [Fact]
    public void Bookkeeping_round_trips_including_a_diverged_loss()
    {
        using var folder = new TempFolder();
        var original = new TrainingCheckpoint
        {
            Step = 12, Epoch = 2, DataOrder = [3, 1, 2], Seeds = Seeds.WithSeed(SeedComponents.Shuffle, 5), ConfigYaml = "train:\n  lr: 0.1\n",
            Command = "courseware train lr=0.1", DataHashes = new Dictionary<string, string> { ["train"] = "abc.dir" },
            Metrics = new Dictionary<string, double> { ["loss"] = double.NaN, ["lr"] = 0.1 },
        };
        original.Save(folder.Path + "/c");
        var loaded = TrainingCheckpoint.Load(folder.Path + "/c");
        Assert.Equal((12L, 2), (loaded.Step, loaded.Epoch));
        Assert.NotNull(loaded.DataOrder);
        Assert.Equal([3, 1, 2], loaded.DataOrder);
        Assert.Equal(original.Seeds, loaded.Seeds);
        Assert.Equal(5, loaded.Seeds!.Seed(SeedComponents.Shuffle));
        Assert.Equal((original.ConfigYaml, original.Command), (loaded.ConfigYaml, loaded.Command));
        Assert.Equal("abc.dir", loaded.DataHashes["train"]);
        Assert.True(double.IsNaN(loaded.Metrics["loss"]));
        Assert.Equal(0.1, loaded.Metrics["lr"]);
        Assert.Null(loaded.OptimizerState);
    }

    [Fact]
    public void Saving_over_a_checkpoint_replaces_it_and_leaves_no_temporary_folders()
    {
        using var folder = new TempFolder();
        var dir = Path.Combine(folder.Path, "ckpt");
        Train(Seeds, stopAt: 3).Checkpoint!.Save(dir);
        Train(Seeds, stopAt: 7).Checkpoint!.Save(dir);
        Assert.Equal(7, TrainingCheckpoint.Load(dir).Step);
        Assert.Equal(["ckpt"], Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Restore_rejects_a_mismatched_optimizer_model_or_generator_set()
    {
        var checkpoint = Train(Seeds, stopAt: 3).Checkpoint!;
        using var model = Mlp();
        using var sgd = optim.SGD(model.parameters(), 0.1);
        var e = Assert.Throws<InvalidOperationException>(() => checkpoint.Restore(model, sgd, new Dictionary<string, Generator>()));
        Assert.Contains("AdamW", e.Message);

        using var g = new Generator(1);
        var gens = Assert.Throws<ArgumentException>(() => checkpoint.Restore(model, null, new Dictionary<string, Generator> { ["shufle"] = g }));
        Assert.Contains("missing shuffle", gens.Message);
        Assert.Contains("not in the checkpoint: shufle", gens.Message);

        using var wider = nn.Sequential(("fc1", nn.Linear(Features, 32)));
        var shape = Assert.Throws<InvalidDataException>(() => checkpoint.Restore(wider, null));
        Assert.Contains("fc1.weight", shape.Message);
    }

    [Fact]
    public void Without_cuda_the_checkpoint_says_so_and_a_gpu_checkpoint_refuses_to_resume_on_the_cpu()
    {
        Assert.False(cuda.is_available()); // this test is the CPU half; the GPU half needs a GPU machine
        using var folder = new TempFolder();
        var checkpoint = Train(Seeds, stopAt: 3).Checkpoint!;
        Assert.Equal(TorchCheckpoint.CudaNotAvailable, checkpoint.Cuda);
        Assert.DoesNotContain(TorchCheckpoint.CudaGenerators, checkpoint.RngStates.Keys);
        checkpoint.Save(Path.Combine(folder.Path, "ckpt"));
        Assert.Contains("\"cuda\": \"not available\"", File.ReadAllText(Path.Combine(folder.Path, "ckpt", TrainingCheckpoint.ManifestFile)));
        Assert.Equal("not available", TrainingCheckpoint.Load(Path.Combine(folder.Path, "ckpt")).Cuda);
        Assert.Contains("cuda: not available", checkpoint.ToString());

        var key = new byte[8];
        var fromGpu = new TrainingCheckpoint
        {
            Step = checkpoint.Step, Weights = checkpoint.Weights, Cuda = "1 device(s); global generators re-keyed with 5",
            RngStates = new Dictionary<string, byte[]>(checkpoint.RngStates) { [TorchCheckpoint.CudaGenerators] = key },
        };
        using var model = Mlp();
        using var g = new Generator(1);
        var before = Flatten(model);
        var e = Assert.Throws<InvalidOperationException>(() => fromGpu.Restore(model, null, new Dictionary<string, Generator> { [SeedComponents.Shuffle] = g }));
        Assert.Contains("CUDA is not available here", e.Message);
        Assert.Equal(before, Flatten(model)); // refused before anything was restored

        var reserved = Assert.Throws<ArgumentException>(() => TorchCheckpoint.Capture(model, null, 0, generators: new Dictionary<string, Generator> { [TorchCheckpoint.CudaGenerators] = g }));
        Assert.Contains("reserved", reserved.Message);
    }

    [Fact]
    public void The_cuda_key_depends_only_on_the_cpu_state_and_the_step()
    {
        byte[] state = [1, 2, 3, 4];
        Assert.Equal(TorchCheckpoint.CudaKey(state, 40), TorchCheckpoint.CudaKey(state.ToArray(), 40));
        Assert.NotEqual(TorchCheckpoint.CudaKey(state, 40), TorchCheckpoint.CudaKey(state, 41));
        Assert.NotEqual(TorchCheckpoint.CudaKey(state, 40), TorchCheckpoint.CudaKey([1, 2, 3, 5], 40));
        // Closed form: the first 8 bytes of SHA-256(state ‖ step as int64 little-endian), big-endian, top bit cleared.
        var hash = System.Security.Cryptography.SHA256.HashData([1, 2, 3, 4, 40, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal((long)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash) & long.MaxValue), TorchCheckpoint.CudaKey(state, 40));
    }

    [Fact]
    public async Task CheckData_names_a_dataset_that_changed_since_the_checkpoint()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "train.csv");
        File.WriteAllText(file, "x,y\n1,2\n");
        var before = await DataManifest.CreateAsync(file);
        var checkpoint = new TrainingCheckpoint { Step = 1, DataHashes = new Dictionary<string, string> { ["train"] = before.Md5 } };
        Assert.Empty(checkpoint.CheckData(new Dictionary<string, DataManifest> { ["train"] = before }));

        File.WriteAllText(file, "x,y\n1,3\n");
        var after = await DataManifest.CreateAsync(file);
        var problem = Assert.Single(checkpoint.CheckData(new Dictionary<string, DataManifest> { ["train"] = after }));
        Assert.Contains("'train' changed", problem);
        Assert.Contains(before.Md5, problem);
        Assert.Contains(after.Md5, problem);
        Assert.Contains("was not given", Assert.Single(checkpoint.CheckData(new Dictionary<string, DataManifest>())));
    }
}

/// <summary>Tests that set torch's global state (generator, thread count) must not run in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch global state";
}
