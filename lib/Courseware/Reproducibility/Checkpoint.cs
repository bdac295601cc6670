using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Courseware.Models;
using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>
/// Everything a training run needs to continue bit for bit after a stop: the weights, the optimiser's state (Adam's
/// moments and step counts), the random generators' states, the step and epoch, the order of the epoch in progress,
/// the seed plan, the resolved configuration and command, and the hashes of the data it trained on.
/// <para>
/// On disk it is a folder: <c>model.safetensors</c> (the weights, readable by any safetensors reader),
/// <c>state.safetensors</c> (generator states as U8 tensors <c>rng.&lt;name&gt;</c>, the data order as I32 <c>data.order</c>),
/// <c>optimizer.bin</c> (opaque optimiser state, e.g. TorchSharp's own format), <c>config.yaml</c>, and
/// <c>checkpoint.json</c> (step, epoch, seeds, command, data hashes, metrics, and the SHA-256 of every other file, checked
/// on load). The folder is written under a temporary name and renamed into place, so a crash mid-save leaves the
/// previous checkpoint intact.
/// </para>
/// <para>
/// What is deliberately not in it: System.Random's state (.NET offers no way to save it), so pipelines that use it draw
/// a fresh generator per epoch from <see cref="SeedPlan.CreateRandom(string, long)"/> — the epoch is in the checkpoint.
/// </para>
/// </summary>
/// <example><code>TorchCheckpoint.Capture(model, optimizer, step: 40, epoch: 2).Save("out/ckpt-40");</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class TrainingCheckpoint
{
    /// <summary>File names inside a checkpoint folder.</summary>
    public const string WeightsFile = "model.safetensors", StateFile = "state.safetensors", OptimizerFile = "optimizer.bin",
        ConfigFile = "config.yaml", ManifestFile = "checkpoint.json";

    private const string Format = "courseware.checkpoint.v1", RngPrefix = "rng.", DataOrderTensor = "data.order";

    /// <summary>Optimiser steps completed.</summary>
    public long Step { get; init; }

    /// <summary>The epoch in progress (the one <see cref="DataOrder"/> belongs to).</summary>
    public int Epoch { get; init; }

    /// <summary>Model weights (and buffers), by name.</summary>
    public IReadOnlyList<SafeTensor> Weights { get; init; } = [];

    /// <summary>The optimiser's serialised state, or null when the optimiser keeps none (plain SGD) or none was captured.</summary>
    public byte[]? OptimizerState { get; init; }

    /// <summary>The optimiser's type name, checked on restore (AdamW state loaded into SGD is an error, not a silent no-op).</summary>
    public string? OptimizerType { get; init; }

    /// <summary>Random generators' states by name (e.g. "torch.cpu", "shuffle").</summary>
    public IReadOnlyDictionary<string, byte[]> RngStates { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>
    /// What was done about CUDA's global generators: "not available" when the run had no GPU, otherwise how they were
    /// captured (see <see cref="TorchCheckpoint.Capture"/>); null when not recorded (a checkpoint not made by TorchSharp).
    /// </summary>
    public string? Cuda { get; init; }

    /// <summary>The example order of the epoch in progress (null when the pipeline recreates it from a per-epoch seed).</summary>
    public int[]? DataOrder { get; init; }

    /// <summary>The seed plan of the run.</summary>
    public SeedPlan? Seeds { get; init; }

    /// <summary>The resolved configuration as YAML (<c>ResolvedConfig.ToYaml()</c>).</summary>
    public string? ConfigYaml { get; init; }

    /// <summary>The exact command that started the run.</summary>
    public string? Command { get; init; }

    /// <summary>DVC md5 of each dataset the run trained on, by name (<see cref="DataManifest.Md5"/>).</summary>
    public IReadOnlyDictionary<string, string> DataHashes { get; init; } = new Dictionary<string, string>();

    /// <summary>Metrics at the time of the checkpoint (loss so far, say).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// Writes the checkpoint folder. Every file goes into a sibling temporary folder first; that folder then replaces
    /// <paramref name="folder"/> by rename, so readers see the old checkpoint or the new one, never a mix.
    /// </summary>
    public void Save(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            void Hash(string name) => hashes[name] = Sha256(Path.Combine(staging, name));

            SafeTensors.Write(Path.Combine(staging, WeightsFile), Weights, new Dictionary<string, string> { ["format"] = "pt" });
            Hash(WeightsFile);
            var state = RngStates.Select(r => new SafeTensor(RngPrefix + r.Key, SafeTensorDType.U8, [r.Value.LongLength], r.Value)).ToList();
            if (DataOrder is not null) state.Add(FromInts(DataOrderTensor, DataOrder));
            SafeTensors.Write(Path.Combine(staging, StateFile), state);
            Hash(StateFile);
            if (OptimizerState is not null)
            {
                File.WriteAllBytes(Path.Combine(staging, OptimizerFile), OptimizerState);
                Hash(OptimizerFile);
            }
            if (ConfigYaml is not null)
            {
                File.WriteAllText(Path.Combine(staging, ConfigFile), ConfigYaml);
                Hash(ConfigFile);
            }
            File.WriteAllText(Path.Combine(staging, ManifestFile), ManifestJson(hashes));

            string? previous = null;
            if (Directory.Exists(target))
            {
                previous = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.old");
                Directory.Move(target, previous);
            }
            Directory.Move(staging, target);
            if (previous is not null) Directory.Delete(previous, recursive: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Reads a checkpoint folder, checking every file against the SHA-256 recorded when it was saved.</summary>
    public static TrainingCheckpoint Load(string folder)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new FileNotFoundException($"{manifestPath}: no checkpoint manifest (is '{folder}' a checkpoint folder written by TrainingCheckpoint.Save?).", manifestPath);
        JsonObject manifest;
        try { manifest = JsonNode.Parse(File.ReadAllText(manifestPath))?.AsObject() ?? throw new FormatException($"{manifestPath}: expected a JSON object."); }
        catch (JsonException e) { throw new FormatException($"{manifestPath}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e); }

        T Field<T>(string name) => manifest[name] is { } node ? node.GetValue<T>() : throw new FormatException($"{manifestPath}: missing field '{name}'.");
        var format = Field<string>("format");
        if (format != Format) throw new FormatException($"{manifestPath}: format '{format}', expected '{Format}'.");
        var files = manifest["files"]?.AsObject() ?? throw new FormatException($"{manifestPath}: missing field 'files'.");
        foreach (var (name, hash) in files)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: listed in {ManifestFile} but missing.", path);
            var actual = Sha256(path);
            if (actual != hash!.GetValue<string>())
                throw new InvalidDataException($"{path}: SHA-256 is {actual}, but {ManifestFile} recorded {hash}: the file changed after the checkpoint was saved.");
        }

        var state = SafeTensors.Read(Path.Combine(folder, StateFile)).Tensors;
        var orderTensor = state.FirstOrDefault(t => t.Name == DataOrderTensor);
        return new TrainingCheckpoint
        {
            Step = Field<long>("step"),
            Epoch = Field<int>("epoch"),
            Weights = SafeTensors.Read(Path.Combine(folder, WeightsFile)).Tensors,
            OptimizerState = files.ContainsKey(OptimizerFile) ? File.ReadAllBytes(Path.Combine(folder, OptimizerFile)) : null,
            OptimizerType = manifest["optimizer"]?.GetValue<string>(),
            Cuda = manifest["cuda"]?.GetValue<string>(),
            RngStates = state.Where(t => t.Name.StartsWith(RngPrefix, StringComparison.Ordinal)).ToDictionary(t => t.Name[RngPrefix.Length..], t => t.Data, StringComparer.Ordinal),
            DataOrder = orderTensor is null ? null : ToInts(orderTensor),
            Seeds = manifest["seeds"] is { } seeds ? SeedPlan.FromJson(seeds.ToJsonString()) : null,
            ConfigYaml = files.ContainsKey(ConfigFile) ? File.ReadAllText(Path.Combine(folder, ConfigFile)) : null,
            Command = manifest["command"]?.GetValue<string>(),
            DataHashes = manifest["data"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal) ?? [],
            Metrics = manifest["metrics"]?.AsObject().ToDictionary(p => p.Key, p => ReadNumber(p.Value!), StringComparer.Ordinal) ?? [],
        };
    }

    /// <summary>
    /// Problems with resuming from this checkpoint against the data now: a dataset whose hash differs from the one
    /// recorded (resuming would train on other data), or one not given at all. Empty when resuming is safe.
    /// </summary>
    public IReadOnlyList<string> CheckData(IReadOnlyDictionary<string, DataManifest> dataNow)
    {
        ArgumentNullException.ThrowIfNull(dataNow);
        var problems = new List<string>();
        foreach (var (name, md5) in DataHashes)
        {
            if (!dataNow.TryGetValue(name, out var now)) problems.Add($"Data '{name}' (md5 {md5}) was not given.");
            else if (now.Md5 != md5) problems.Add($"Data '{name}' changed: the checkpoint trained on md5 {md5}, {now.Root} is now {now.Md5}.");
        }
        return problems;
    }

    private string ManifestJson(IReadOnlyDictionary<string, string> hashes)
    {
        var files = new JsonObject();
        foreach (var (name, hash) in hashes) files[name] = hash;
        var data = new JsonObject();
        foreach (var (name, md5) in DataHashes.OrderBy(p => p.Key, StringComparer.Ordinal)) data[name] = md5;
        var metrics = new JsonObject();
        foreach (var (name, value) in Metrics.OrderBy(p => p.Key, StringComparer.Ordinal)) metrics[name] = value;
        var obj = new JsonObject
        {
            ["format"] = Format,
            ["step"] = Step,
            ["epoch"] = Epoch,
            ["optimizer"] = OptimizerType,
            ["cuda"] = Cuda,
            ["seeds"] = Seeds is null ? null : JsonNode.Parse(Seeds.ToJson()),
            ["command"] = Command,
            ["data"] = data,
            ["metrics"] = metrics,
            ["files"] = files,
        };
        // A diverged run's loss is NaN: written as the string "NaN" rather than refused, since that checkpoint is evidence too.
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals });
    }

    private static double ReadNumber(JsonNode node) => node.GetValueKind() == JsonValueKind.String
        ? double.Parse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture)
        : node.GetValue<double>();

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static SafeTensor FromInts(string name, int[] values)
    {
        var bytes = new byte[values.Length * sizeof(int)];
        for (var i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        return new SafeTensor(name, SafeTensorDType.I32, [values.LongLength], bytes);
    }

    private static int[] ToInts(SafeTensor tensor)
    {
        if (tensor.DType != SafeTensorDType.I32) throw new InvalidDataException($"Tensor '{tensor.Name}' is {tensor.DType}, expected I32.");
        var values = new int[tensor.ElementCount];
        for (var i = 0; i < values.Length; i++) values[i] = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tensor.Data.AsSpan(i * 4));
        return values;
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"Checkpoint at step {Step} (epoch {Epoch}): {Weights.Count} weight tensors ({Weights.Sum(w => w.ElementCount)} values), ") +
        $"optimizer {OptimizerType ?? (OptimizerState is null ? "none" : "state")}, generators [{string.Join(", ", RngStates.Keys)}], " +
        (Cuda is null ? "" : $"cuda: {Cuda}, ") +
        $"{(DataOrder is null ? "no data order" : $"data order of {DataOrder.Length}")}, {(Seeds is null ? "no seeds" : $"master seed {Seeds.MasterSeed}")}";
}
