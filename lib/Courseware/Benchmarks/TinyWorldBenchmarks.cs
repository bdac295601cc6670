using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Models;

namespace Courseware.Benchmarks;

/// <summary>
/// Writes the course's small benchmark files about TinyGpt's fictional world, in the real formats of MMLU (original
/// CSV layout and HF-style records), HellaSwag, ARC (raw AI2 layout for Easy, HF layout for Challenge) and TruthfulQA
/// MC, plus a custom YAML task. Every item asks about one fact of <see cref="FictionalWorld"/>; facts.csv says which
/// facts the training corpus states, so scores split into seen vs held-out. The same arguments always write the same
/// bytes. These are NOT MMLU, HellaSwag, ARC or TruthfulQA: only their file formats and prompts are.
/// </summary>
/// <example><code>TinyWorldBenchmarks.Write("datasets/benchmarks/tinyworld");  // courseware eval generate</code></example>
public static class TinyWorldBenchmarks
{
    /// <summary>The fictional subjects and the MMLU category each is filed under (arbitrary, to exercise the four-category aggregation).</summary>
    public static readonly IReadOnlyDictionary<string, (string Subject, string Category)> Subjects = new Dictionary<string, (string, string)>
    {
        ["lives_in"] = ("tinyworld_towns", "social_sciences"),
        ["works_as"] = ("tinyworld_trades", "other"),
        ["pet"] = ("tinyworld_pets", "stem"),
        ["colour"] = ("tinyworld_colours", "humanities"),
    };

    /// <summary>Few-shot (dev / train) examples per relation; they are taken from seen facts and not scored.</summary>
    public const int DevPerRelation = 5;

    private static readonly string[] Letters = ["A", "B", "C", "D"];

    /// <summary>Writes every file under <paramref name="folder"/> for the world the shipped checkpoints were trained on.</summary>
    /// <returns>The files written, relative to <paramref name="folder"/>.</returns>
    public static IReadOnlyList<string> Write(string folder, int worldSeed = 0, int people = 48)
    {
        FictionalWorld world = FictionalWorld.Generate(worldSeed, people);
        var items = world.Questions(inTraining: true).Concat(world.Questions(inTraining: false))
            .Select(q => new Item(q, world.Facts.Single(f => $"{f.Relation}/{f.Person}" == q.Id)))
            .OrderBy(i => FictionalWorld.Relations.ToList().IndexOf(i.Fact.Relation)).ThenBy(i => world.People.ToList().IndexOf(i.Fact.Person))
            .ToList();
        var dev = FictionalWorld.Relations.SelectMany(r => items.Where(i => i.Fact.Relation == r && i.Fact.InTraining).Take(DevPerRelation)).ToHashSet();
        var test = items.Where(i => !dev.Contains(i)).ToList();
        string categories = JsonSerializer.Serialize(Subjects.Values.ToDictionary(s => s.Subject, s => s.Category), Indented) + "\n";
        var files = new Dictionary<string, string>
        {
            ["facts.csv"] = Csv([["id", "relation", "person", "value", "in_training", "few_shot_only"], .. items.Select(i =>
                (IReadOnlyList<string>)[i.Question.Id, i.Fact.Relation, i.Fact.Person, i.Fact.Value, i.Fact.InTraining ? "1" : "0", dev.Contains(i) ? "1" : "0"])]),
            ["mmlu/categories.json"] = categories,
            ["mmlu_records/categories.json"] = categories,
        };
        foreach (var (relation, (subject, _)) in Subjects)
        {
            files[$"mmlu/dev/{subject}_dev.csv"] = Csv(dev.Where(i => i.Fact.Relation == relation).Select(MmluRow));
            files[$"mmlu/test/{subject}_test.csv"] = Csv(test.Where(i => i.Fact.Relation == relation).Select(MmluRow));
        }
        files["mmlu_records/dev.jsonl"] = JsonLines(dev.Select(MmluRecord));
        files["mmlu_records/test.jsonl"] = JsonLines(test.Select(MmluRecord));
        files["hellaswag/hellaswag_train.jsonl"] = JsonLines(dev.Select((i, n) => HellaSwagRow(i, n, "train", world)));
        files["hellaswag/hellaswag_val.jsonl"] = JsonLines(test.Select((i, n) => HellaSwagRow(i, n, "val", world)));
        files["arc/ARC-Easy-Test.jsonl"] = JsonLines(test.Select(ArcEasyRow));
        files["arc/ARC-Challenge-Test.jsonl"] = JsonLines(test.Select(ArcChallengeRow));
        files["truthfulqa/truthfulqa_mc.jsonl"] = JsonLines(test.Select(TruthfulRow));
        files["corpus.jsonl"] = JsonLines(world.TrainingDocuments.Select(d => new JsonObject { ["text"] = d }));
        files["custom/tinyworld_pets.jsonl"] = JsonLines(test.Where(i => i.Fact.Relation == "pet").Select(i => new JsonObject
        {
            ["person"] = i.Fact.Person,
            ["options"] = Array(i.Question.Choices),
            ["answer"] = i.Question.Choices[i.Question.Answer],
        }));
        files["custom/tinyworld_pets.yaml"] = """
            # A custom task in the harness's field names (read by Courseware.Benchmarks.CustomTask).
            task: tinyworld_pets_custom
            dataset_path: tinyworld_pets.jsonl
            description: ""
            doc_to_text: "Question: Which pet does {{person}} keep?\nAnswer:"
            doc_to_choice: "{{options}}"
            doc_to_target: "{{answer}}"
            metric_list: [acc, acc_norm, acc_bytes]
            num_fewshot: 0

            """;
        foreach (var (path, content) in files) AtomicFile.WriteAllText(Path.Combine(folder, path), content);
        return files.Keys.Order(StringComparer.Ordinal).ToList();
    }

    private sealed record Item(MultipleChoiceQuestion Question, WorldFact Fact)
    {
        public string Text => Question.Prompt["Question: ".Length..^"\nAnswer:".Length];
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static IReadOnlyList<string> MmluRow(Item i) => [i.Text, .. i.Question.Choices, Letters[i.Question.Answer]];

    private static JsonObject MmluRecord(Item i) => new()
    {
        ["question"] = i.Text,
        ["subject"] = Subjects[i.Fact.Relation].Subject,
        ["choices"] = Array(i.Question.Choices),
        ["answer"] = i.Question.Answer,
    };

    /// <summary>A scene in the corpus's own words, cut before the fact; the endings complete it with each choice.</summary>
    private static JsonObject HellaSwagRow(Item i, int index, string split, FictionalWorld world)
    {
        string person = i.Fact.Person;
        string opening = world.TrainingDocuments.Select(d => d.IndexOf($" {person} made tea.", StringComparison.Ordinal) is int at and > 0 && d[..at].IndexOf(',') == at - 1 ? d[..at] : null)
            .FirstOrDefault(o => o is not null) ?? "In the quiet evening,";
        var (contextB, ending) = i.Fact.Relation switch
        {
            "lives_in" => ("the streets of", "{0} were calm."),
            "works_as" => ("later the work of a", "{0} was waiting."),
            "pet" => ("the", "{0} wanted food."),
            _ => ("a", "{0} scarf hung by the door."),
        };
        // Every fourth row carries a WikiHow-style [step] marker, which the harness's preprocessing removes.
        string contextA = $"{opening} {person} made tea." + (index % 4 == 3 ? " [step]" : "");
        return new JsonObject
        {
            ["ind"] = index,
            ["activity_label"] = "Everyday life",
            ["ctx_a"] = contextA,
            ["ctx_b"] = contextB,
            ["ctx"] = contextA + " " + contextB,
            ["split"] = split,
            ["split_type"] = "indomain",
            ["label"] = i.Question.Answer,
            ["endings"] = Array(i.Question.Choices.Select(c => string.Format(CultureInfo.InvariantCulture, ending, c))),
            ["source_id"] = $"tinyworld~{i.Question.Id}",
        };
    }

    private static JsonObject ArcEasyRow(Item i) => new()
    {
        ["id"] = $"tinyworld-easy-{i.Question.Id.Replace('/', '-').Replace(' ', '_')}",
        ["question"] = new JsonObject
        {
            ["stem"] = i.Text,
            ["choices"] = new JsonArray(i.Question.Choices.Select((c, k) => (JsonNode)new JsonObject { ["text"] = c, ["label"] = Letters[k] }).ToArray()),
        },
        ["answerKey"] = Letters[i.Question.Answer],
    };

    /// <summary>Paraphrased questions (not in the corpus's wording) with numeric answer keys, in the HF layout.</summary>
    private static JsonObject ArcChallengeRow(Item i) => new()
    {
        ["id"] = $"tinyworld-challenge-{i.Question.Id.Replace('/', '-').Replace(' ', '_')}",
        ["question"] = i.Fact.Relation switch
        {
            "lives_in" => $"In which town does {i.Fact.Person} have a home?",
            "works_as" => $"What does {i.Fact.Person} do by day?",
            "pet" => $"Which animal belongs to {i.Fact.Person}?",
            _ => $"Which colour does {i.Fact.Person} like best?",
        },
        ["choices"] = new JsonObject
        {
            ["text"] = Array(i.Question.Choices),
            ["label"] = Array(i.Question.Choices.Select((_, k) => (k + 1).ToString(CultureInfo.InvariantCulture))),
        },
        ["answerKey"] = (i.Question.Answer + 1).ToString(CultureInfo.InvariantCulture),
        ["fact_in_training"] = i.Fact.InTraining,
    };

    private static JsonObject TruthfulRow(Item i)
    {
        string Say(string value) => i.Fact.Relation switch
        {
            "lives_in" => $"{i.Fact.Person} lives in {value}.",
            "works_as" => $"{i.Fact.Person} works as a {value}.",
            "pet" => $"{i.Fact.Person} keeps a {value} as a pet.",
            _ => $"The favourite colour of {i.Fact.Person} is {value}.",
        };
        var wrong = i.Question.Choices.Where((_, k) => k != i.Question.Answer).Select(Say).ToList();
        string right = Say(i.Fact.Value);
        return new JsonObject
        {
            ["question"] = i.Text,
            ["mc1_targets"] = new JsonObject { ["choices"] = Array([right, .. wrong]), ["labels"] = Array([1, 0, 0, 0]) },
            ["mc2_targets"] = new JsonObject { ["choices"] = Array([right, "I have no comment.", .. wrong]), ["labels"] = Array([1, 1, 0, 0, 0]) },
        };
    }

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode)v).ToArray());

    private static JsonArray Array(IEnumerable<int> values) => new(values.Select(v => (JsonNode)v).ToArray());

    private static string JsonLines(IEnumerable<JsonObject> rows) =>
        string.Concat(rows.Select(r => r.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n"));

    private static string Csv(IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            sb.Append(string.Join(",", row.Select(f => f.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + f.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : f)));
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
