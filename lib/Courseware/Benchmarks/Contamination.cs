using System.Text;
using Courseware.Notebooks;

namespace Courseware.Benchmarks;

/// <summary>
/// Which benchmark items overlap a training corpus, by word n-grams after lm-evaluation-harness's janitor
/// normalisation (lm_eval/decontamination/janitor.py: ASCII letters lower-cased, string.punctuation deleted, split on
/// whitespace; 13-grams by default). An item is contaminated when any of its n-grams occurs in the corpus. Items
/// shorter than n words (most short questions) are matched whole, as one contiguous word sequence — otherwise they
/// could never be flagged; the janitor itself has no such rule, so this is the course's choice.
/// </summary>
/// <example><code>
/// var check = ContaminationCheck.Build(world.TrainingDocuments);
/// var report = check.Check(task);
/// results[task.Name].Subset(s => report.IsContaminated(s.DocumentId))
/// </code></example>
public sealed class ContaminationCheck
{
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private readonly Dictionary<int, HashSet<string>> _grams = [];
    private readonly List<string[]> _documents;

    private ContaminationCheck(List<string[]> documents, int n)
    {
        _documents = documents;
        N = n;
        _grams[n] = Grams(n);
    }

    /// <summary>The n-gram size.</summary>
    public int N { get; }

    /// <summary>Indexes a training corpus (one string per document).</summary>
    public static ContaminationCheck Build(IEnumerable<string> corpus, int n = 13)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be at least 1.");
        return new ContaminationCheck(corpus.Select(d => Words(Normalize(d))).ToList(), n);
    }

    /// <summary>
    /// Reads a corpus file: JSON Lines with a "text" field per document (as the course's corpus.jsonl is written), or
    /// plain text with one document per line.
    /// </summary>
    public static IReadOnlyList<string> ReadCorpus(string path)
    {
        var reader = new RowReader(path, strict: true);
        if (!path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            RowReader.RequireFile(path);
            return File.ReadLines(path).Where(l => l.Length > 0).ToList();
        }
        var documents = new List<string>();
        foreach (var (line, row) in reader.JsonRows())
        {
            documents.Add(JsonFields.String(row, "text") ?? throw new BenchmarkDataException($"{path}:{line}: expected a string field 'text'."));
        }
        return documents;
    }

    /// <summary>Clean-vs-contaminated scores of every task in <paramref name="results"/>.</summary>
    public IReadOnlyList<ContaminationSplit> Split(EvaluationResults results) =>
        results.Tasks.Select(t => Check(t.Task).Split(t)).ToList();

    /// <summary>The janitor's normalisation: A–Z → a–z, every character of Python's string.punctuation deleted; other characters kept.</summary>
    public static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is >= 'A' and <= 'Z') sb.Append((char)(c + 32));
            else if (!Punctuation.Contains(c)) sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Word n-grams of normalised text, joined by single spaces (the janitor's word_ngrams).</summary>
    public static IEnumerable<string> NGrams(string text, int n)
    {
        string[] words = Words(Normalize(text));
        for (int i = 0; i + n <= words.Length; i++) yield return string.Join(' ', words, i, n);
    }

    /// <summary>Whether this text overlaps the corpus.</summary>
    public bool Overlaps(string text)
    {
        string[] words = Words(Normalize(text));
        if (words.Length == 0) return false;
        int n = Math.Min(N, words.Length);
        if (!_grams.TryGetValue(n, out var grams)) _grams[n] = grams = Grams(n);
        for (int i = 0; i + n <= words.Length; i++)
        {
            if (grams.Contains(string.Join(' ', words, i, n))) return true;
        }
        return false;
    }

    /// <summary>Checks every item of a task (its decontamination text, or the query).</summary>
    public ContaminationReport Check(BenchmarkTask task) =>
        new(task.Name, N, task.Documents.Where(d => Overlaps(d.DecontaminationText ?? d.Query)).Select(d => d.Id).ToHashSet(), task.Documents.Count);

    private HashSet<string> Grams(int n)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string[] words in _documents)
        {
            for (int i = 0; i + n <= words.Length; i++) set.Add(string.Join(' ', words, i, n));
        }
        return set;
    }

    private static string[] Words(string normalized) => normalized.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>The contaminated items of one task.</summary>
/// <param name="Task">Task name.</param>
/// <param name="N">n-gram size used.</param>
/// <param name="Contaminated">Ids of the items found in the corpus.</param>
/// <param name="Items">Items checked.</param>
public sealed record ContaminationReport(string Task, int N, IReadOnlySet<string> Contaminated, int Items)
{
    /// <summary>Whether an item overlaps the corpus.</summary>
    public bool IsContaminated(string documentId) => Contaminated.Contains(documentId);

    /// <summary>Share of items found in the corpus.</summary>
    public double Rate => Items == 0 ? 0 : (double)Contaminated.Count / Items;

    /// <summary>Scores on the clean and the contaminated items of an evaluated task.</summary>
    public ContaminationSplit Split(TaskResult result) => new(result.Name, result.Subset(s => !IsContaminated(s.DocumentId)),
        result.Subset(s => IsContaminated(s.DocumentId)), result.Samples.Count(s => !IsContaminated(s.DocumentId)), result.Samples.Count(s => IsContaminated(s.DocumentId)));
}

/// <summary>A task's scores on clean vs contaminated items.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class ContaminationSplit(string task, IReadOnlyDictionary<string, MetricValue> clean, IReadOnlyDictionary<string, MetricValue> contaminated, int cleanItems, int contaminatedItems)
{
    /// <summary>Task name.</summary>
    public string Task { get; } = task;

    /// <summary>Metrics on items not found in the corpus.</summary>
    public IReadOnlyDictionary<string, MetricValue> Clean { get; } = clean;

    /// <summary>Metrics on items found in the corpus.</summary>
    public IReadOnlyDictionary<string, MetricValue> Contaminated { get; } = contaminated;

    /// <summary>Number of clean items.</summary>
    public int CleanItems { get; } = cleanItems;

    /// <summary>Number of contaminated items.</summary>
    public int ContaminatedItems { get; } = contaminatedItems;

    /// <summary>{"n", "contaminated", "clean": {"acc,none": …}, "contaminated": {…}} for the results JSON.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson()
    {
        static System.Text.Json.Nodes.JsonObject Block(IReadOnlyDictionary<string, MetricValue> metrics)
        {
            var json = new System.Text.Json.Nodes.JsonObject();
            foreach (var (metric, value) in metrics)
            {
                json[$"{metric},none"] = value.Value;
                json[$"{metric}_stderr,none"] = double.IsNaN(value.StandardError) ? "N/A" : value.StandardError;
            }
            return json;
        }
        return new() { ["n"] = CleanItems + ContaminatedItems, ["contaminated"] = ContaminatedItems, ["clean"] = Block(Clean), ["contaminated_scores"] = Block(Contaminated) };
    }

    /// <summary>One line per metric: "arc_easy acc: clean 0.5 ± 0.1 (n=10), contaminated 0.9 ± 0.1 (n=2)".</summary>
    public override string ToString() => string.Join("\n", Clean.Select(m =>
        $"{Task} {m.Key}: clean {m.Value} (n={CleanItems}), contaminated {(Contaminated.TryGetValue(m.Key, out var d) ? d.ToString() : "-")} (n={ContaminatedItems})"));
}
