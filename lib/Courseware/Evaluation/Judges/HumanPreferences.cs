using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Notebooks;

namespace Courseware.Evaluation;

/// <summary>One human-labelled comparison: a question, two answers, which one the person preferred and why.</summary>
/// <param name="Id">Item id ("pref-01").</param>
/// <param name="Pair">The question and the two answers (A = <see cref="AnswerPair.First"/>).</param>
/// <param name="Label">The person's preference: First (A), Second (B) or Tie.</param>
/// <param name="Reason">Why, in the labeller's words.</param>
/// <param name="Fields">Every other field of the item (sources, ground truth, …) as written in the file.</param>
public sealed record HumanPreference(string Id, AnswerPair Pair, Preference Label, string Reason, IReadOnlyDictionary<string, string> Fields);

/// <summary>
/// A human-labelled pairwise preference set in JSON Lines: one object per line with <c>id</c>, <c>question</c>,
/// <c>answer_a</c>, <c>answer_b</c>, <c>preferred</c> ("A", "B" or "tie") and <c>reason</c>; other fields are kept in
/// <see cref="HumanPreference.Fields"/>. The labels feed <see cref="JudgeReport.AgreementWith"/>.
/// </summary>
/// <example><code>var human = HumanPreferences.Load("datasets/preferences/tinyworld_preferences.jsonl");</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class HumanPreferences
{
    private static readonly string[] Required = ["id", "question", "answer_a", "answer_b", "preferred", "reason"];

    private HumanPreferences(string source, IReadOnlyList<HumanPreference> items) => (Source, Items) = (source, items);

    /// <summary>The file the items came from.</summary>
    public string Source { get; }

    /// <summary>The items in file order.</summary>
    public IReadOnlyList<HumanPreference> Items { get; }

    /// <summary>The answer pairs, for <see cref="PairwiseProtocol.JudgeAllAsync"/>.</summary>
    public IReadOnlyList<AnswerPair> Pairs => Items.Select(i => i.Pair).ToArray();

    /// <summary>The human labels in the same order, for <see cref="JudgeReport.AgreementWith"/>.</summary>
    public IReadOnlyList<Preference> Labels => Items.Select(i => i.Label).ToArray();

    /// <summary>Reads the file; a malformed line is an <see cref="InvalidDataException"/> naming the file, line and field.</summary>
    public static HumanPreferences Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such preference file.", path);
        var items = new List<HumanPreference>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}:{lineNumber}";
            JsonObject row;
            try
            {
                row = JsonNode.Parse(line) as JsonObject ?? throw new InvalidDataException($"{where}: expected a JSON object.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{where}: not valid JSON (column {e.BytePositionInLine + 1}): {e.Message}", e);
            }
            var fields = new Dictionary<string, string>();
            foreach (var (key, value) in row)
                fields[key] = value is JsonValue v && v.TryGetValue(out string? s) ? s : value?.ToJsonString() ?? "";
            foreach (string name in Required)
            {
                if (row[name] is not JsonValue v || !v.TryGetValue(out string? _))
                    throw new InvalidDataException($"{where}: '{name}' is missing or not a string; each line needs {string.Join(", ", Required)}.");
            }
            var label = fields["preferred"] switch
            {
                "A" => Preference.First,
                "B" => Preference.Second,
                "tie" => Preference.Tie,
                var other => throw new InvalidDataException($"{where}: 'preferred' is \"{other}\"; expected \"A\", \"B\" or \"tie\"."),
            };
            items.Add(new HumanPreference(fields["id"], new AnswerPair(fields["question"], fields["answer_a"], fields["answer_b"]), label, fields["reason"],
                fields.Where(f => !Required.Contains(f.Key)).ToDictionary()));
        }
        if (items.Count == 0) throw new InvalidDataException($"{path}: no items.");
        return new HumanPreferences(path, items);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Items.Count} human preferences from {Source}";
}
