using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace Courseware.Models;

/// <summary>
/// One token per character plus an end-of-text token (id 0), as a Microsoft.ML.Tokenizers <see cref="Tokenizer"/>.
/// TinyGpt uses it instead of GPT-2's BPE because the course model is tiny: GPT-2's 50,257-token vocabulary would put
/// most of a few-MB checkpoint into the embedding and output layers and make every training step pay for a
/// 50k-way softmax, while benchmark prompts in English need under 100 symbols. Characters also keep the lm-eval
/// context/continuation split exact (no merge crosses the boundary). The shipped checkpoints use
/// <see cref="PrintableAscii"/>, so any ASCII prompt (MMLU letters, TruthfulQA's digits and parentheses) encodes, even
/// characters the training corpus never used.
/// </summary>
/// <example><code>var tokenizer = CharacterTokenizer.PrintableAscii(); var ids = tokenizer.EncodeToIds("(C) 1955\nAnswer:");</code></example>
public sealed class CharacterTokenizer : Tokenizer
{
    /// <summary>Text of the end-of-text token.</summary>
    public const string EndOfText = "<|endoftext|>";

    private readonly string _characters;
    private readonly Dictionary<char, int> _ids;

    /// <summary>A tokenizer over exactly these characters (ids 1..n in the given order; id 0 is end-of-text).</summary>
    public CharacterTokenizer(string characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        _characters = characters;
        _ids = new Dictionary<char, int>(characters.Length);
        for (int i = 0; i < characters.Length; i++)
        {
            if (!_ids.TryAdd(characters[i], i + 1))
                throw new ArgumentException($"Character '{characters[i]}' (U+{(int)characters[i]:X4}) appears twice in the vocabulary (positions {_ids[characters[i]] - 1} and {i}).", nameof(characters));
        }
    }

    /// <summary>The characters of <see cref="PrintableAscii"/>: tab, newline, then space (U+0020) to tilde (U+007E).</summary>
    public static readonly string PrintableAsciiCharacters = "\t\n" + new string(Enumerable.Range(0x20, 0x7F - 0x20).Select(c => (char)c).ToArray());

    /// <summary>Tab, newline and the 95 printable ASCII characters (98 tokens with end-of-text): the shipped checkpoints' vocabulary.</summary>
    public static CharacterTokenizer PrintableAscii() => new(PrintableAsciiCharacters);

    /// <summary>The vocabulary of a corpus: its distinct characters in ordinal order.</summary>
    public static CharacterTokenizer FromText(string corpus) =>
        new(new string(corpus.Distinct().Order().ToArray()));

    /// <summary>Vocabulary size including end-of-text.</summary>
    public int VocabularySize => _characters.Length + 1;

    /// <summary>Id of end-of-text (always 0).</summary>
    public int EndOfTextId => 0;

    /// <summary>The characters in id order (id = index + 1).</summary>
    public string Characters => _characters;

    /// <inheritdoc />
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ReadOnlySpan<char> input = text is null ? textSpan : text.AsSpan();
        int limit = settings.MaxTokenCount > 0 ? settings.MaxTokenCount : int.MaxValue;
        var tokens = new List<EncodedToken>(Math.Min(input.Length, limit));
        int i = 0;
        while (i < input.Length && tokens.Count < limit)
        {
            if (input[i..].StartsWith(EndOfText, StringComparison.Ordinal))
            {
                tokens.Add(new EncodedToken(EndOfTextId, EndOfText, new Range(i, i + EndOfText.Length)));
                i += EndOfText.Length;
                continue;
            }
            if (!_ids.TryGetValue(input[i], out int id))
                throw new ArgumentException($"Unknown character '{input[i]}' (U+{(int)input[i]:X4}) at index {i} of \"{Shorten(input)}\"; {DescribeVocabulary()}. Replace or remove it before encoding.");
            tokens.Add(new EncodedToken(id, input[i].ToString(), new Range(i, i + 1)));
            i++;
        }
        return new EncodeResults<EncodedToken> { Tokens = tokens, CharsConsumed = i, NormalizedText = null };
    }

    /// <inheritdoc />
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new System.Text.StringBuilder();
        foreach (int id in ids) text.Append(TokenText(id));
        return text.ToString();
    }

    /// <inheritdoc />
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        idsConsumed = charsWritten = 0;
        foreach (int id in ids)
        {
            string piece = TokenText(id);
            if (charsWritten + piece.Length > destination.Length) return OperationStatus.DestinationTooSmall;
            piece.AsSpan().CopyTo(destination[charsWritten..]);
            charsWritten += piece.Length;
            idsConsumed++;
        }
        return OperationStatus.Done;
    }

    /// <summary>Writes tokenizer.json: <c>{"type":"character","end_of_text":"&lt;|endoftext|&gt;","characters":"..."}</c>.</summary>
    public void Save(string path)
    {
        var json = new JsonObject { ["type"] = "character", ["end_of_text"] = EndOfText, ["characters"] = _characters };
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    /// <summary>Reads a file written by <see cref="Save"/>.</summary>
    public static CharacterTokenizer Load(string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
        if (node?["type"]?.GetValue<string>() != "character" || node["characters"] is not JsonValue characters)
            throw new InvalidDataException($"{path}: expected a character tokenizer, {{\"type\": \"character\", \"characters\": \"...\"}}.");
        return new CharacterTokenizer(characters.GetValue<string>());
    }

    private string TokenText(int id) =>
        id == EndOfTextId ? EndOfText
        : id > 0 && id <= _characters.Length ? _characters[id - 1].ToString()
        : throw new ArgumentOutOfRangeException(nameof(id), $"Token id {id} is outside the vocabulary (0..{_characters.Length}).");

    private string DescribeVocabulary() =>
        _characters == PrintableAsciiCharacters ? "the vocabulary is tab, newline and printable ASCII (U+0020 to U+007E)"
        : $"the vocabulary has {_characters.Length} characters: {_characters.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)}";

    private static string Shorten(ReadOnlySpan<char> text) => text.Length <= 60 ? text.ToString() : text[..57].ToString() + "...";
}
