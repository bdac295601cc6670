using TorchSharp;
using static TorchSharp.torch;

namespace Courseware.Models;

/// <summary>
/// The course's own language model: a small decoder-only transformer (TorchSharp), its character tokenizer, and
/// checkpoints as a folder of model.safetensors + config.json + tokenizer.json + README.md (model card).
/// </summary>
/// <example><code>
/// using var model = TinyGpt.Load("../datasets/models/tinygpt-base");
/// var answer = await model.GenerateAsync([new("Question: Where does Ilsa Brandt live?\nAnswer:", GenerationOptions.Greedy(12, "\n"))]);
/// </code></example>
public sealed class TinyGpt : LocalLanguageModel
{
    /// <summary>File names inside a checkpoint folder.</summary>
    public const string WeightsFile = "model.safetensors", ConfigFile = "config.json", TokenizerFile = "tokenizer.json", ModelCardFile = "README.md";

    private readonly string _name;

    private TinyGpt(TinyGptNetwork network, CharacterTokenizer tokenizer, DeviceChoice device, string name)
        : base(tokenizer, network.Config.ContextLength, tokenizer.EndOfTextId)
    {
        Network = network;
        Device = device;
        _name = name;
        Network.eval();
    }

    internal TinyGptNetwork Network { get; }

    /// <summary>The model's shape.</summary>
    public TinyGptConfig Config => Network.Config;

    /// <summary>Where the model runs and why.</summary>
    public DeviceChoice Device { get; }

    /// <inheritdoc />
    public override string Name => $"{_name} (torchsharp, {Device.Name})";

    /// <summary>The character tokenizer.</summary>
    public CharacterTokenizer CharacterTokenizer => (CharacterTokenizer)Tokenizer;

    /// <inheritdoc />
    public override int VocabularySize => Config.VocabularySize;

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount => Network.parameters().Sum(p => p.numel());

    /// <summary>A freshly initialised model; the same seed gives the same weights.</summary>
    public static TinyGpt Create(TinyGptConfig config, CharacterTokenizer tokenizer, int seed = 0, string device = "cpu", string name = "tinygpt")
    {
        TorchRuntime.EnsureLoaded();
        if (config.VocabularySize != tokenizer.VocabularySize)
            throw new ArgumentException($"TinyGptConfig.VocabularySize is {config.VocabularySize} but the tokenizer has {tokenizer.VocabularySize} tokens.", nameof(config));
        DeviceChoice choice = DeviceChoice.Select(device);
        random.manual_seed(seed);
        var network = new TinyGptNetwork(config);
        if (choice.IsCuda) network.to(CUDA);
        return new TinyGpt(network, tokenizer, choice, name);
    }

    /// <summary>Loads a checkpoint folder written by <see cref="Save"/>.</summary>
    public static TinyGpt Load(string folder, string device = "auto")
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such checkpoint folder (expected {WeightsFile}, {ConfigFile} and {TokenizerFile}).");
        TinyGptConfig config = TinyGptConfig.Load(Path.Combine(folder, ConfigFile));
        CharacterTokenizer tokenizer = CharacterTokenizer.Load(Path.Combine(folder, TokenizerFile));
        // A tokenizer.json copied from another checkpoint (say, the printable-ASCII one over a corpus-vocabulary model) is caught here, by file name.
        if (config.VocabularySize != tokenizer.VocabularySize)
            throw new InvalidDataException($"{folder}: {ConfigFile} says vocabulary_size {config.VocabularySize} but {TokenizerFile} has {tokenizer.VocabularySize} tokens ({tokenizer.Characters.Length} characters + end-of-text); the two files belong to different checkpoints.");
        TinyGpt model = Create(config, tokenizer, 0, device, Path.GetFileName(Path.GetFullPath(folder).TrimEnd('/')));
        model.LoadWeights(Path.Combine(folder, WeightsFile));
        return model;
    }

    /// <summary>Writes model.safetensors, config.json and tokenizer.json (each atomically) into <paramref name="folder"/>.</summary>
    public void Save(string folder, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(folder);
        SafeTensors.Write(Path.Combine(folder, WeightsFile), ExportWeights(), metadata);
        Config.Save(Path.Combine(folder, ConfigFile));
        CharacterTokenizer.Save(Path.Combine(folder, TokenizerFile));
    }

    /// <summary>Every parameter as an F32 safetensor, named as in the module (token_embedding.weight, blocks.0.qkv.weight, ...).</summary>
    public IReadOnlyList<SafeTensor> ExportWeights()
    {
        var result = new List<SafeTensor>();
        foreach (var (name, parameter) in Network.named_parameters())
        {
            using Tensor cpu = parameter.detach().cpu().contiguous();
            result.Add(SafeTensor.FromFloats(name, cpu.shape, cpu.data<float>().ToArray()));
        }
        return result;
    }

    /// <summary>Replaces every parameter with the tensor of the same name in a safetensors file; shapes must match.</summary>
    public void LoadWeights(string path)
    {
        var tensors = SafeTensors.Read(path).Tensors.ToDictionary(t => t.Name);
        using var _ = no_grad();
        foreach (var (name, parameter) in Network.named_parameters())
        {
            if (!tensors.Remove(name, out SafeTensor? stored))
                throw new InvalidDataException($"{path}: missing tensor '{name}' ({string.Join("×", parameter.shape)}) that {Config} needs.");
            if (!stored.Shape.SequenceEqual(parameter.shape))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", stored.Shape)}], the model expects [{string.Join(", ", parameter.shape)}].");
            using Tensor values = tensor(stored.ToFloats(), stored.Shape);
            parameter.copy_(values);
        }
        if (tensors.Count > 0)
            throw new InvalidDataException($"{path}: tensors the model does not have: {string.Join(", ", tensors.Keys)}.");
    }

    /// <inheritdoc />
    protected override float[] ComputeLogits(long[] tokens, int batch, int length)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor input = tensor(tokens, [batch, length]);
        if (Device.IsCuda) input = input.to(CUDA);
        return Network.forward(input).cpu().data<float>().ToArray();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) Network.Dispose();
    }
}
