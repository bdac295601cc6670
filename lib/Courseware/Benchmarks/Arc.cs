namespace Courseware.Benchmarks;

/// <summary>
/// ARC Easy / Challenge (Clark et al. 2018) as lm-evaluation-harness runs it: "Question: {question}\nAnswer:",
/// the answer texts as choices, gold = labels.index(answerKey) (keys are letters or digits); acc and acc_norm.
/// Reads the raw AI2 JSONL (question: {stem, choices: [{label, text}]}) and HF records (<c>allenai/ai2_arc</c>:
/// question string, choices: {text: [...], label: [...]}).
/// </summary>
/// <example><code>var task = Arc.Load("ARC-Easy-Test.jsonl", name: "arc_easy");</code></example>
public static class Arc
{
    [BuiltInTask]
    internal static readonly TaskDefinition EasyDefinition = TaskDefinition.Create("arc_easy",
        c => [Load(c.Data("arc", "ARC-Easy-Test.jsonl"), "arc_easy", c.Optional("arc", "ARC-Easy-Train.jsonl"), c.Strict)],
        "ARC Easy from arc/ARC-Easy-Test.jsonl (+ ARC-Easy-Train.jsonl)");

    [BuiltInTask]
    internal static readonly TaskDefinition ChallengeDefinition = TaskDefinition.Create("arc_challenge",
        c => [Load(c.Data("arc", "ARC-Challenge-Test.jsonl"), "arc_challenge", c.Optional("arc", "ARC-Challenge-Train.jsonl"), c.Strict)],
        "ARC Challenge from arc/ARC-Challenge-Test.jsonl (+ ARC-Challenge-Train.jsonl)");

    /// <summary>The harness's prompt.</summary>
    public static string Prompt(string question) => $"Question: {question}\nAnswer:";

    /// <summary>Reads ARC JSON Lines in either layout (detected per row).</summary>
    /// <param name="file">Test (or validation) JSONL.</param>
    /// <param name="name">"arc_easy" or "arc_challenge".</param>
    /// <param name="trainFile">Optional training JSONL for few-shot examples.</param>
    /// <param name="strict">Fail on the first malformed row instead of skipping it.</param>
    public static BenchmarkTask Load(string file, string name = "arc_easy", string? trainFile = null, bool strict = false)
    {
        var (documents, train, problems) = RowReader.ReadSplits(file, trainFile, strict, Parse);
        return new BenchmarkTask
        {
            Name = name,
            Groups = ["ai2_arc"],
            Documents = documents,
            FewShotDocuments = train,
            Metrics = BenchmarkTask.AccuracyMetrics,
            Version = 1.0,
            DataSource = file,
            Problems = problems,
        };
    }

    private static BenchmarkDocument? Parse(RowReader reader, RowAt line, System.Text.Json.Nodes.JsonObject row)
    {
        string? question, key = JsonFields.String(row, "answerKey");
        List<string>? texts, labels;
        if (row["question"] is System.Text.Json.Nodes.JsonObject raw)
        {
            // Raw AI2 layout: question.stem and question.choices[{label, text}].
            question = JsonFields.String(raw, "stem");
            var choices = raw["choices"] as System.Text.Json.Nodes.JsonArray;
            texts = choices?.Select(c => c is System.Text.Json.Nodes.JsonObject o ? JsonFields.String(o, "text") : null).ToList()!;
            labels = choices?.Select(c => c is System.Text.Json.Nodes.JsonObject o ? JsonFields.String(o, "label") : null).ToList()!;
            if (texts?.Contains(null!) == true || labels?.Contains(null!) == true) texts = labels = null;
        }
        else
        {
            question = JsonFields.String(row, "question");
            texts = JsonFields.Strings(row["choices"]?["text"]);
            labels = JsonFields.Strings(row["choices"]?["label"]);
        }
        if (question is null) { reader.Problem(line, "expected 'question' (a string, or an object with 'stem')"); return null; }
        if (texts is null || labels is null || texts.Count != labels.Count || texts.Count < 2)
        {
            reader.Problem(line, "expected at least 2 choices, each with a label and a text");
            return null;
        }
        int gold = key is null ? -1 : labels.IndexOf(key);
        if (gold < 0) { reader.Problem(line, $"answerKey '{key}' is not one of the choice labels {string.Join(", ", labels)}"); return null; }
        string id = JsonFields.String(row, "id") ?? $"{Path.GetFileName(reader.File)}:{line}";
        return new BenchmarkDocument(id, Prompt(question), texts, gold) { DecontaminationText = question, Source = $"{reader.File}:{line}" };
    }
}
