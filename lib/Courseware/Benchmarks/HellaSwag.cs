using System.Text.RegularExpressions;

namespace Courseware.Benchmarks;

/// <summary>
/// HellaSwag (Zellers et al. 2019) as lm-evaluation-harness runs it (lm_eval/tasks/hellaswag/utils.py): query =
/// preprocess(activity_label + ": " + ctx_a + " " + capitalize(ctx_b)), choices = preprocess(ending) for the 4
/// endings, gold = int(label); metrics acc and acc_norm (papers quote acc_norm). The validation split is scored
/// (test labels are hidden); few-shot examples are drawn at random from the training file when one is given.
/// </summary>
/// <example><code>var task = HellaSwag.Load("hellaswag_val.jsonl");</code></example>
public static partial class HellaSwag
{
    [BuiltInTask]
    internal static readonly TaskDefinition Definition = TaskDefinition.Create("hellaswag",
        c => [Load(c.Data("hellaswag", "hellaswag_val.jsonl"), c.Optional("hellaswag", "hellaswag_train.jsonl"), strict: c.Strict)],
        "HellaSwag from hellaswag/hellaswag_val.jsonl (+ hellaswag_train.jsonl)");

    /// <summary>
    /// The harness's preprocess: strip; " [title]" → ". "; remove every "[…]" (shortest match); replace "  " with " "
    /// (Python's str.replace: every non-overlapping occurrence, left to right, in one pass).
    /// </summary>
    public static string Preprocess(string text)
    {
        text = text.Trim(PythonWhitespace);
        text = text.Replace(" [title]", ". ", StringComparison.Ordinal);
        text = Brackets().Replace(text, "");
        return text.Replace("  ", " ", StringComparison.Ordinal);
    }

    /// <summary>Python's str.capitalize: first character upper case, every other character lower case.</summary>
    public static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    /// <summary>The harness's query for one row.</summary>
    public static string Query(string activityLabel, string contextA, string contextB) =>
        Preprocess(activityLabel + ": " + contextA + " " + Capitalize(contextB));

    /// <summary>Reads HellaSwag JSON Lines (the original release and HF records share the fields activity_label, ctx_a, ctx_b, endings, label).</summary>
    /// <param name="file">Validation JSONL.</param>
    /// <param name="trainFile">Optional training JSONL for few-shot examples.</param>
    /// <param name="name">Task name.</param>
    /// <param name="strict">Fail on the first malformed row instead of skipping it.</param>
    public static BenchmarkTask Load(string file, string? trainFile = null, string name = "hellaswag", bool strict = false)
    {
        var (documents, train, problems) = RowReader.ReadSplits(file, trainFile, strict, Parse);
        return new BenchmarkTask
        {
            Name = name,
            Documents = documents,
            FewShotDocuments = train,
            Sampler = FewShotSampler.Random,
            Metrics = BenchmarkTask.AccuracyMetrics,
            Version = 1.0,
            DataSource = file,
            Problems = problems,
        };
    }

    private static BenchmarkDocument? Parse(RowReader reader, RowAt line, System.Text.Json.Nodes.JsonObject row)
    {
        string? label = JsonFields.String(row, "activity_label"), a = JsonFields.String(row, "ctx_a"), b = JsonFields.String(row, "ctx_b");
        List<string>? endings = JsonFields.Strings(row["endings"]);
        int? gold = JsonFields.Integer(row["label"]);
        if (label is null || a is null || b is null) { reader.Problem(line, "expected string fields 'activity_label', 'ctx_a' and 'ctx_b'"); return null; }
        if (endings is not { Count: 4 }) { reader.Problem(line, $"expected 'endings' to be 4 strings; found {JsonFields.Describe(row["endings"])}"); return null; }
        if (gold is not (>= 0 and <= 3)) { reader.Problem(line, $"expected 'label' 0-3; found {JsonFields.Describe(row["label"])}"); return null; }
        string query = Query(label, a, b);
        string id = row["ind"] is { } ind ? $"hellaswag-{ind.ToJsonString().Trim('"')}" : $"{Path.GetFileName(reader.File)}:{line}";
        return new BenchmarkDocument(id, query, endings.Select(Preprocess).ToList(), gold.Value)
        {
            DecontaminationText = query,
            Source = $"{reader.File}:{line}",
        };
    }

    // Python's str.strip() with no argument strips Unicode whitespace; these are the characters it removes.
    private static readonly char[] PythonWhitespace = [' ', '\t', '\n', '\r', '\v', '\f', '\u001c', '\u001d', '\u001e', '\u001f', '\u0085', '\u00a0', '\u1680',
        '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000'];

    // re.sub("\\[.*?\\]", "", text): '.' does not match a newline in Python's default mode, as in .NET's.
    [GeneratedRegex(@"\[.*?\]", RegexOptions.CultureInvariant)]
    private static partial Regex Brackets();
}
