using Courseware.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Courseware.Reproducibility;

/// <summary>
/// Captures a TorchSharp training's full state into a <see cref="TrainingCheckpoint"/> and puts it back.
/// <para>
/// Thread count, measured with TorchSharp 0.107 (libtorch CPU) on a 2-core AMD EPYC VM: MLPs from 4→32→32→1 up to
/// 256→512→512→1 (AdamW, dropout, batches of 16 to 256) and the Lab 4.3.7 penguin MLP ended with bitwise identical weights
/// under <c>torch.set_num_threads(1)</c> and <c>(2)</c> (likely because their reductions are small: libtorch splits a
/// reduction across threads only above its grain size of 32 768 elements), while one <c>sum()</c> over 4 million floats gave 1104.4775 with 1 thread and 1104.4773 with 2:
/// above the grain size each thread sums its own range and the partial sums round differently. So results can depend on
/// the thread count once tensors are large: fix it and record it (<see cref="TorchSeeding.EnableTorchDeterminism"/>),
/// and do not expect a CPU run to match a GPU run bit for bit.
/// </para>
/// <para>
/// CUDA: generators the caller creates on a GPU (<c>new Generator(seed, torch.CUDA)</c>) are saved and restored like CPU
/// ones. CUDA's <em>global</em> generators (dropout on a GPU draws from them) cannot be read: TorchSharp 0.107 exposes
/// <c>torch.cuda.manual_seed_all</c> but no <c>get_rng_state</c> for them. So <see cref="Capture"/> re-keys them instead:
/// it seeds every GPU's generator with a key derived from the CPU generator's state and the step, records the key, and
/// <see cref="Restore"/> seeds them with it again. A resumed run then draws what a run that took the same checkpoint and
/// went on draws, bit for bit; the price is that taking a checkpoint changes the later GPU draws, so compare runs that
/// checkpoint at the same steps. Without CUDA the checkpoint says "not available" (<see cref="TrainingCheckpoint.Cuda"/>).
/// </para>
/// </summary>
/// <example><code>var ckpt = TorchCheckpoint.Capture(model, optimizer, step, epoch, generators: new Dictionary&lt;string, torch.Generator&gt; { ["shuffle"] = g }); ckpt.Save(dir);</code></example>
public static class TorchCheckpoint
{
    /// <summary>The name under which torch's global CPU generator (dropout, <c>torch.randn</c> without a generator) is saved.</summary>
    public const string GlobalGenerator = "torch.cpu";

    /// <summary>The name under which the key CUDA's global generators were re-seeded with is saved (8 bytes, little-endian).</summary>
    public const string CudaGenerators = "torch.cuda";

    /// <summary>What <see cref="TrainingCheckpoint.Cuda"/> says when the run had no GPU.</summary>
    public const string CudaNotAvailable = "not available";

    /// <summary>
    /// The state of <paramref name="model"/> (parameters and buffers), <paramref name="optimizer"/>, torch's global CPU
    /// generator and the named <paramref name="generators"/>, plus the bookkeeping given. When CUDA is available, CUDA's
    /// global generators are re-keyed and the key recorded (see the class remarks); otherwise the checkpoint records
    /// CUDA as "not available".
    /// </summary>
    public static TrainingCheckpoint Capture(nn.Module model, optim.Optimizer? optimizer, long step, int epoch = 0,
        IReadOnlyDictionary<string, Generator>? generators = null, int[]? dataOrder = null, SeedPlan? seeds = null,
        string? configYaml = null, string? command = null, IReadOnlyDictionary<string, string>? dataHashes = null,
        IReadOnlyDictionary<string, double>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureLoaded();
        var cpuState = Bytes(get_rng_state());
        var rng = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [GlobalGenerator] = cpuState };
        foreach (var (name, generator) in generators ?? new Dictionary<string, Generator>())
        {
            if (name is GlobalGenerator or CudaGenerators) throw new ArgumentException($"'{name}' is reserved for torch's global generators.", nameof(generators));
            rng[name] = Bytes(generator.get_state());
        }
        var cudaStatus = CudaNotAvailable;
        if (cuda.is_available())
        {
            var key = CudaKey(cpuState, step);
            cuda.manual_seed_all(key);
            var keyBytes = new byte[sizeof(long)];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(keyBytes, key);
            rng[CudaGenerators] = keyBytes;
            cudaStatus = $"{cuda.device_count()} device(s); global generators re-keyed with {key} (their state cannot be read)";
        }
        return new TrainingCheckpoint
        {
            Step = step,
            Epoch = epoch,
            Weights = model.state_dict().Select(p => ToSafeTensor(p.Key, p.Value)).ToList(),
            OptimizerState = optimizer is null ? null : SaveOptimizer(optimizer),
            OptimizerType = optimizer?.GetType().Name,
            RngStates = rng,
            Cuda = cudaStatus,
            DataOrder = dataOrder?.ToArray(),
            Seeds = seeds,
            ConfigYaml = configYaml,
            Command = command,
            DataHashes = dataHashes ?? new Dictionary<string, string>(),
            Metrics = metrics ?? new Dictionary<string, double>(),
        };
    }

    /// <summary>
    /// Puts the checkpoint's weights into <paramref name="model"/>, its optimiser state into <paramref name="optimizer"/>
    /// (which must be built over the same model, same type), and its generator states into torch's global generator and
    /// the named <paramref name="generators"/>. Names and shapes must match exactly; a generator in the checkpoint that is
    /// not given, or one given that is not in the checkpoint, is an error (either would silently change the random draws).
    /// A checkpoint taken with CUDA re-keys CUDA's global generators with its recorded key, and cannot be resumed where
    /// CUDA is not available.
    /// </summary>
    public static void Restore(this TrainingCheckpoint checkpoint, nn.Module model, optim.Optimizer? optimizer,
        IReadOnlyDictionary<string, Generator>? generators = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureLoaded();
        // Checked before anything is restored, so a refused checkpoint leaves the model and optimiser untouched.
        checkpoint.RngStates.TryGetValue(CudaGenerators, out var cudaKey);
        if (cudaKey is not null && !cuda.is_available())
            throw new InvalidOperationException($"The checkpoint was taken with CUDA ({checkpoint.Cuda}); CUDA is not available here, so GPU draws such as dropout " +
                "cannot continue their sequence. Resume on a CUDA machine, or use only the weights (TrainingCheckpoint.Weights) to evaluate.");
        RestoreWeights(checkpoint, model);

        if (optimizer is not null)
        {
            if (checkpoint.OptimizerState is null) throw new InvalidOperationException("The checkpoint holds no optimizer state; resuming would restart the optimizer's moments from zero.");
            if (checkpoint.OptimizerType != optimizer.GetType().Name)
                throw new InvalidOperationException($"The checkpoint holds {checkpoint.OptimizerType} state; the optimizer given is {optimizer.GetType().Name}.");
            using var reader = new BinaryReader(new MemoryStream(checkpoint.OptimizerState));
            Helper(optimizer).load_state_dict(reader);
        }

        var given = generators ?? new Dictionary<string, Generator>();
        var expected = checkpoint.RngStates.Keys.Where(k => k is not (GlobalGenerator or CudaGenerators)).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Except(given.Keys).ToList();
        var extra = given.Keys.Except(expected).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new ArgumentException($"Generators do not match the checkpoint: {(missing.Count > 0 ? $"missing {string.Join(", ", missing)}" : "")}" +
                $"{(missing.Count > 0 && extra.Count > 0 ? "; " : "")}{(extra.Count > 0 ? $"not in the checkpoint: {string.Join(", ", extra)}" : "")}.", nameof(generators));
        if (checkpoint.RngStates.TryGetValue(GlobalGenerator, out var global))
        {
            using var state = tensor(global, dtype: ScalarType.Byte);
            set_rng_state(state);
        }
        if (cudaKey is not null) cuda.manual_seed_all(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(cudaKey));
        foreach (var (name, generator) in given)
        {
            using var state = tensor(checkpoint.RngStates[name], dtype: ScalarType.Byte);
            generator.set_state(state);
        }
    }

    /// <summary>
    /// The key CUDA's global generators are re-seeded with at a checkpoint: the first 63 bits of SHA-256 of the CPU
    /// generator's state and the step. Both are the same in a run that stopped there and in one that went on, so both get
    /// the same key; a different step or state gives an unrelated key.
    /// </summary>
    internal static long CudaKey(ReadOnlySpan<byte> cpuState, long step)
    {
        var input = new byte[cpuState.Length + sizeof(long)];
        cpuState.CopyTo(input);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan(cpuState.Length), step);
        return (long)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(System.Security.Cryptography.SHA256.HashData(input)) & 0x7FFF_FFFF_FFFF_FFFF);
    }

    private static void RestoreWeights(TrainingCheckpoint checkpoint, nn.Module model)
    {
        var stored = checkpoint.Weights.ToDictionary(t => t.Name, StringComparer.Ordinal);
        using var _ = no_grad();
        foreach (var (name, target) in model.state_dict())
        {
            if (!stored.Remove(name, out var source)) throw new InvalidDataException($"The checkpoint has no tensor '{name}' ({string.Join("×", target.shape)}) that the model needs.");
            if (!source.Shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", source.Shape)}] in the checkpoint, the model expects [{string.Join(", ", target.shape)}].");
            if (source.DType != DTypeOf(target.dtype, name))
                throw new InvalidDataException($"Tensor '{name}' is {source.DType} in the checkpoint, the model's is {target.dtype}.");
            using var values = empty(source.Shape, target.dtype);
            values.bytes = source.Data;
            target.copy_(values);
        }
        if (stored.Count > 0) throw new InvalidDataException($"The checkpoint has tensors the model does not: {string.Join(", ", stored.Keys)}.");
    }

    private static byte[] SaveOptimizer(optim.Optimizer optimizer)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) Helper(optimizer).save_state_dict(writer);
        return buffer.ToArray();
    }

    private static OptimizerHelper Helper(optim.Optimizer optimizer) => optimizer as OptimizerHelper
        ?? throw new NotSupportedException($"{optimizer.GetType().Name} keeps its state in native code, which TorchSharp cannot save; use a managed optimizer (SGD, Adam, AdamW, RMSprop…).");

    private static byte[] Bytes(Tensor state)
    {
        using (state) return state.bytes.ToArray();
    }

    private static SafeTensor ToSafeTensor(string name, Tensor value)
    {
        using var cpu = value.detach().cpu().contiguous();
        return new SafeTensor(name, DTypeOf(cpu.dtype, name), cpu.shape, cpu.bytes.ToArray());
    }

    private static SafeTensorDType DTypeOf(ScalarType type, string name) => type switch
    {
        ScalarType.Float32 => SafeTensorDType.F32,
        ScalarType.Float64 => SafeTensorDType.F64,
        ScalarType.Float16 => SafeTensorDType.F16,
        ScalarType.BFloat16 => SafeTensorDType.BF16,
        ScalarType.Int64 => SafeTensorDType.I64,
        ScalarType.Int32 => SafeTensorDType.I32,
        ScalarType.Int16 => SafeTensorDType.I16,
        ScalarType.Int8 => SafeTensorDType.I8,
        ScalarType.Byte => SafeTensorDType.U8,
        ScalarType.Bool => SafeTensorDType.BOOL,
        _ => throw new NotSupportedException($"Tensor '{name}' has dtype {type}, which safetensors cannot hold."),
    };
}
