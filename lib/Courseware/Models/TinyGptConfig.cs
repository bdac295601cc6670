using System.Text.Json;
using System.Text.Json.Serialization;

namespace Courseware.Models;

/// <summary>How TinyGpt encodes token positions.</summary>
public enum PositionEncoding
{
    /// <summary>A learned embedding per position, added to the token embedding (GPT-2).</summary>
    Learned,
    /// <summary>Rotary embeddings applied to queries and keys in every attention layer (RoFormer, GPT-NeoX style).</summary>
    Rotary,
}

/// <summary>Shape of a TinyGpt decoder-only transformer (pre-norm blocks: LayerNorm → attention, LayerNorm → MLP).</summary>
/// <param name="VocabularySize">Tokens in the vocabulary (the tokenizer's size).</param>
/// <param name="ContextLength">Positions the model attends over.</param>
/// <param name="Layers">Transformer blocks.</param>
/// <param name="Heads">Attention heads per block; must divide <paramref name="Width"/>.</param>
/// <param name="Width">Model (embedding) dimension.</param>
/// <param name="Positions">Learned or rotary positions.</param>
public sealed record TinyGptConfig(int VocabularySize, int ContextLength = 96, int Layers = 2, int Heads = 4, int Width = 64,
    PositionEncoding Positions = PositionEncoding.Learned)
{
    /// <summary>Hidden units of each MLP, as a multiple of the width.</summary>
    public int MlpRatio { get; init; } = 4;

    /// <summary>Epsilon of every LayerNorm.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>Base of the rotary frequencies.</summary>
    public double RotaryBase { get; init; } = 10000;

    /// <summary>Per-head dimension.</summary>
    [JsonIgnore]
    public int HeadWidth => Width / Heads;

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter<PositionEncoding>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    /// <summary>Throws when the shape is not buildable, naming the field.</summary>
    public void Validate()
    {
        void Require(bool ok, string field, string expected, object actual)
        {
            if (!ok) throw new ArgumentException($"TinyGptConfig.{field}: expected {expected}, got {actual}.");
        }
        Require(VocabularySize >= 2, nameof(VocabularySize), "at least 2", VocabularySize);
        Require(ContextLength >= 2, nameof(ContextLength), "at least 2", ContextLength);
        Require(Layers >= 1, nameof(Layers), "at least 1", Layers);
        Require(Heads >= 1, nameof(Heads), "at least 1", Heads);
        Require(Width >= 1 && Width % Heads == 0, nameof(Width), $"a positive multiple of Heads ({Heads})", Width);
        Require(Positions != PositionEncoding.Rotary || HeadWidth % 2 == 0, nameof(Width), "an even head width (Width / Heads) for rotary positions", HeadWidth);
        Require(MlpRatio >= 1, nameof(MlpRatio), "at least 1", MlpRatio);
    }

    /// <summary>Writes config.json atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads config.json; errors name the file, line and field.</summary>
    public static TinyGptConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no TinyGpt config file.", path);
        TinyGptConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<TinyGptConfig>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid TinyGpt config at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} ({e.Path}): {e.Message}", e);
        }
        if (config == null) throw new InvalidDataException($"{path}: expected a JSON object, found null.");
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return config;
    }
}
