using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Courseware.Evaluation;
using Courseware.Models;
using Courseware.Notebooks;

namespace Courseware.Benchmarks;

/// <summary>One item of a generative task: the prompt and every acceptable answer.</summary>
public sealed record GenerativeDocument(string Id, string Prompt, IReadOnlyList<string> Targets)
{
    /// <summary>File and line the item came from.</summary>
    public string? Source { get; init; }
}

/// <summary>
/// One step of a filter pipeline applied to the generated text before scoring (lm-evaluation-harness's filters):
/// <c>take_first_line</c>, <c>strip</c> (surrounding whitespace), <c>lowercase</c>, or <c>regex</c> as the harness's
/// RegexFilter: of all matches of <see cref="Pattern"/> take number <see cref="MatchIndex"/> (group_select; −1 = the
/// last), its first non-empty capture group when the pattern has groups, stripped; <see cref="Fallback"/> when there is none.
/// </summary>
public sealed record AnswerFilter(string Function, string? Pattern = null, int MatchIndex = 0, string Fallback = "[invalid]")
{
    internal static readonly string[] Functions = ["take_first_line", "strip", "lowercase", "regex"];

    /// <summary>Applies the step.</summary>
    public string Apply(string text) => Function switch
    {
        "take_first_line" => text.Split('\n')[0],
        "strip" => text.Trim(),
        "lowercase" => PythonText.Lower(text), // Python's str.lower, as the harness applies it
        "regex" => RegexAnswer(text),
        _ => throw new InvalidOperationException($"unknown filter function '{Function}'"),
    };

    private string RegexAnswer(string text)
    {
        var matches = Regex.Matches(text, Pattern!);
        int index = MatchIndex < 0 ? matches.Count + MatchIndex : MatchIndex;
        if (index < 0 || index >= matches.Count) return Fallback;
        Match match = matches[index];
        string? value = match.Groups.Count > 1 ? match.Groups.Values.Skip(1).Select(g => g.Value).FirstOrDefault(v => v.Length > 0) : match.Value;
        return value?.Trim() ?? Fallback;
    }
}

/// <summary>A named filter pipeline; its metrics are reported as "metric,name" (e.g. "exact_match,first-line").</summary>
public sealed record FilterPipeline(string Name, IReadOnlyList<AnswerFilter> Steps)
{
    /// <summary>The harness's pipeline when a task names none: the text as generated.</summary>
    public static readonly FilterPipeline None = new("none", []);

    /// <summary>Runs every step in order.</summary>
    public string Apply(string text) => Steps.Aggregate(text, (t, step) => step.Apply(t));
}

/// <summary>
/// A metric of a generative task. Per item: <c>exact_match</c> (1 when the answer equals a target, after lower-casing
/// with <see cref="IgnoreCase"/> and dropping ASCII punctuation with <see cref="IgnorePunctuation"/>: the harness's
/// exact_match), <c>token_f1</c> (SQuAD), <c>rouge1</c>, <c>rouge2</c>, <c>rougeL</c> (F-measure), <c>semantic_similarity</c>
/// (all-MiniLM-L6-v2 cosine); each the best over the targets and averaged over items. Corpus: <c>bleu</c> and <c>chrf</c>
/// (sacreBLEU's corpus scores, every target a reference).
/// </summary>
public sealed record GenerativeMetric(string Name, bool IgnoreCase = false, bool IgnorePunctuation = false)
{
    internal static readonly string[] Names = ["exact_match", "token_f1", "rouge1", "rouge2", "rougeL", "semantic_similarity", "bleu", "chrf"];

    /// <summary>True for metrics computed over the whole corpus rather than averaged over items.</summary>
    public bool IsCorpusLevel => Name is "bleu" or "chrf";
}

/// <summary>
/// A generative task described in YAML or JSON with lm-evaluation-harness's field names (<c>output_type: generate_until</c>):
/// <code>
/// task: tinyworld_where_gen
/// output_type: generate_until
/// dataset_path: lives_in.jsonl          # JSON Lines
/// doc_to_text: "Question: Where does {{person}} live?\nAnswer:"
/// doc_to_target: "{{answer}}"           # a string, or a field holding a list of acceptable answers
/// generation_kwargs: {until: ["\n"], max_gen_toks: 16, temperature: 0}
/// filter_list:                          # optional; each pipeline scores separately
///   - name: first-word
///     filter: [{function: strip}, {function: regex, regex_pattern: "^(\\w+)"}]
/// metric_list: [exact_match, token_f1, {metric: exact_match, ignore_case: true}]
/// num_fewshot: 0                        # few-shot items (first_n) come from fewshot_path
/// </code>
/// Run with <see cref="RunAsync"/>; the results give per-item scores for the paired statistics of Courseware.Evaluation.
/// </summary>
/// <example><code>var task = GenerativeTask.Load("tasks/where_gen.yaml"); var results = await task.RunAsync(model);</code></example>
public sealed record GenerativeTask : IEvaluationTask
{
    private static readonly string[] Known = ["task", "output_type", "dataset_path", "fewshot_path", "description", "doc_to_text", "doc_to_target",
        "generation_kwargs", "filter_list", "metric_list", "num_fewshot", "target_delimiter", "fewshot_delimiter", "version"];

    /// <summary>Task name.</summary>
    public required string Name { get; init; }

    /// <summary>"generate_until".</summary>
    public string OutputType => "generate_until";

    /// <summary>The items.</summary>
    public required IReadOnlyList<GenerativeDocument> Documents { get; init; }

    /// <summary>Text before the few-shot examples.</summary>
    public string Description { get; init; } = "";

    /// <summary>Few-shot source (the first n are used for every item).</summary>
    public IReadOnlyList<GenerativeDocument> FewShotDocuments { get; init; } = [];

    /// <summary>Few-shot examples per item.</summary>
    public int DefaultShots { get; init; }

    /// <summary>Between a few-shot prompt and its answer.</summary>
    public string TargetDelimiter { get; init; } = " ";

    /// <summary>Between few-shot examples.</summary>
    public string FewShotDelimiter { get; init; } = "\n\n";

    /// <summary>How the model generates (from generation_kwargs: until, max_gen_toks, temperature).</summary>
    public GenerationOptions Generation { get; init; } = GenerationOptions.Greedy(256, "\n\n");

    /// <summary>Filter pipelines; <see cref="FilterPipeline.None"/> when the description names none.</summary>
    public IReadOnlyList<FilterPipeline> Filters { get; init; } = [FilterPipeline.None];

    /// <summary>Metrics reported for every pipeline.</summary>
    public required IReadOnlyList<GenerativeMetric> Metrics { get; init; }

    /// <summary>Rows of the data files that were skipped, with line and reason.</summary>
    public IReadOnlyList<DataProblem> Problems { get; init; } = [];

    /// <summary>The prompt the model sees for item <paramref name="index"/>: description, few-shot examples, the item.</summary>
    public string Context(int index, int? shots = null)
    {
        var examples = FewShotDocuments.Take(shots ?? DefaultShots).Select(d => d.Prompt + TargetDelimiter + d.Targets[0]);
        return Description + string.Concat(examples.Select(e => e + FewShotDelimiter)) + Documents[index].Prompt;
    }

    /// <summary>Reads a generative task description (.yaml, .yml or .json) and its data.</summary>
    public static GenerativeTask Load(string descriptionFile, bool strict = false)
    {
        RowReader.RequireFile(descriptionFile);
        JsonObject spec = CustomTask.ReadSpec(descriptionFile);
        BenchmarkDataException Bad(string message) => new($"{descriptionFile}: {message}");
        string? Optional(string name) => spec[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        string Field(string name) => Optional(name) ?? throw Bad($"'{name}' is required (a string).");
        foreach (var (key, _) in spec)
            if (!Known.Contains(key)) throw Bad($"unknown field '{key}'; expected one of {string.Join(", ", Known)}.");
        if (Optional("output_type") is { } type && type != "generate_until")
            throw Bad($"output_type '{type}' is not generate_until; load multiple-choice tasks with CustomTask.Load.");

        string folder = Path.GetDirectoryName(Path.GetFullPath(descriptionFile))!;
        string text = Field("doc_to_text"), target = Field("doc_to_target");
        var (documents, problems) = Read(Path.Combine(folder, Field("dataset_path")), text, target, strict);
        var (fewShot, fewShotProblems) = Optional("fewshot_path") is string f ? Read(Path.Combine(folder, f), text, target, strict) : ([], []);
        int shots = JsonFields.Integer(spec["num_fewshot"]) ?? 0;
        if (shots > fewShot.Count) throw Bad($"num_fewshot is {shots} but fewshot_path has {fewShot.Count} items.");
        return new GenerativeTask
        {
            Name = Field("task"),
            Documents = documents,
            Description = Optional("description") ?? "",
            FewShotDocuments = fewShot,
            DefaultShots = shots,
            TargetDelimiter = Optional("target_delimiter") ?? " ",
            FewShotDelimiter = Optional("fewshot_delimiter") ?? "\n\n",
            Generation = ReadGeneration(spec["generation_kwargs"], Bad),
            Filters = ReadFilters(spec["filter_list"], Bad),
            Metrics = ReadMetrics(spec["metric_list"], Bad),
            Problems = [.. problems, .. fewShotProblems],
        };
    }

    /// <summary>
    /// Generates an answer for every item (prompts longer than the model's context keep their end, as the harness
    /// does), filters it through each pipeline and scores it. <paramref name="limit"/> scores only the first items.
    /// </summary>
    public async Task<GenerativeTaskResult> RunAsync(ILanguageModel model, int? shots = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (limit is < 1) throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be at least 1.");
        if (shots is { } n && (n < 0 || n > FewShotDocuments.Count)) throw new ArgumentOutOfRangeException(nameof(shots), shots, $"{Name} has {FewShotDocuments.Count} few-shot examples.");
        var documents = Documents.Take(limit ?? int.MaxValue).ToList();
        var requests = documents.Select((_, i) => new GenerationRequest(Context(i, shots), Generation)).ToList();
        var generations = await model.GenerateAsync(requests, cancellationToken).ConfigureAwait(false);
        using var similarity = Metrics.Any(m => m.Name == "semantic_similarity") ? SemanticSimilarity.LoadMiniLM() : null;
        var filtered = documents.Select((_, i) => Filters.ToDictionary(p => p.Name, p => p.Apply(generations[i].Text))).ToList();
        var targets = documents.Select(d => d.Targets).ToList();
        var itemScores = documents.Select(_ => new Dictionary<string, double>()).ToList();
        var metrics = new Dictionary<string, MetricValue>();
        foreach (var pipeline in Filters)
        {
            var answers = filtered.Select(f => f[pipeline.Name]).ToList();
            foreach (var metric in Metrics)
            {
                string key = $"{MetricKey(metric)},{pipeline.Name}";
                if (metric.IsCorpusLevel)
                {
                    double score = metric.Name == "bleu" ? Bleu.Corpus(answers, targets).Score : Chrf.Corpus(answers, targets);
                    metrics[key] = new MetricValue(score, double.NaN);
                    continue;
                }
                var scores = ItemScores(metric, answers, targets, similarity);
                for (int i = 0; i < scores.Length; i++) itemScores[i][key] = scores[i];
                metrics[key] = Aggregation.Mean(scores);
            }
        }
        var samples = documents.Select((d, i) => new GenerativeSample(d.Id, requests[i].Prompt, generations[i].Text, d.Targets, filtered[i], itemScores[i])).ToList();
        return new GenerativeTaskResult(this, model.Name, shots ?? DefaultShots, samples, metrics);
    }

    private static string MetricKey(GenerativeMetric m) =>
        m.Name + (m.IgnoreCase ? "_ignore_case" : "") + (m.IgnorePunctuation ? "_ignore_punctuation" : "");

    private static double[] ItemScores(GenerativeMetric metric, List<string> answers, List<IReadOnlyList<string>> targets, SemanticSimilarity? similarity)
    {
        Func<string, IReadOnlyList<string>, double> score = metric.Name switch
        {
            "exact_match" => (a, t) => t.Any(x => Normalize(a, metric) == Normalize(x, metric)) ? 1 : 0,
            "token_f1" => AnswerMatch.TokenF1,
            "rouge1" => (a, t) => Rouge.Score(a, t).Rouge1.FMeasure,
            "rouge2" => (a, t) => Rouge.Score(a, t).Rouge2.FMeasure,
            "rougeL" => (a, t) => Rouge.Score(a, t).RougeL.FMeasure,
            "semantic_similarity" => similarity!.Score,
            _ => throw new InvalidOperationException($"metric '{metric.Name}' is not an item metric"),
        };
        return [.. answers.Select((a, i) => score(a, targets[i]))];
    }

    // The harness's exact_match options: lower-case, then drop Python's string.punctuation.
    private static string Normalize(string text, GenerativeMetric metric)
    {
        const string AsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
        if (metric.IgnoreCase) text = PythonText.Lower(text);
        return metric.IgnorePunctuation ? string.Concat(text.Where(c => !AsciiPunctuation.Contains(c))) : text;
    }

    private static GenerationOptions ReadGeneration(JsonNode? node, Func<string, BenchmarkDataException> bad)
    {
        if (node is null) return GenerationOptions.Greedy(256, "\n\n");
        if (node is not JsonObject kwargs) throw bad($"generation_kwargs must be a mapping; found {JsonFields.Describe(node)}.");
        foreach (var (key, _) in kwargs)
            if (key is not ("until" or "max_gen_toks" or "temperature" or "do_sample" or "seed"))
                throw bad($"generation_kwargs.{key} is not supported; expected until, max_gen_toks, temperature, do_sample or seed.");
        var until = kwargs["until"] is JsonValue one && one.TryGetValue(out string? single) ? [single] : JsonFields.Strings(kwargs["until"]) ?? ["\n\n"];
        int max = JsonFields.Integer(kwargs["max_gen_toks"]) ?? 256;
        if (max < 1) throw bad($"generation_kwargs.max_gen_toks is {max}; expected at least 1.");
        double temperature = kwargs["temperature"] is JsonValue t && t.TryGetValue(out double value) ? value : 0;
        if (temperature < 0) throw bad($"generation_kwargs.temperature is {temperature}; expected 0 or more.");
        return new GenerationOptions { MaxNewTokens = max, Stop = until, Temperature = temperature, Seed = JsonFields.Integer(kwargs["seed"]) ?? 0 };
    }

    private static List<FilterPipeline> ReadFilters(JsonNode? node, Func<string, BenchmarkDataException> bad)
    {
        if (node is null) return [FilterPipeline.None];
        if (node is not JsonArray pipelines || pipelines.Count == 0) throw bad("filter_list must be a non-empty list of {name, filter: [...]} pipelines.");
        return [.. pipelines.Select((p, i) =>
        {
            string where = $"filter_list[{i}]";
            if (p is not JsonObject pipeline || pipeline["name"] is not JsonValue n || !n.TryGetValue(out string? name) || pipeline["filter"] is not JsonArray steps)
                throw bad($"{where} must have a 'name' and a 'filter' list of steps.");
            return new FilterPipeline(name, [.. steps.Select((s, k) => ReadStep(s, $"{where}.filter[{k}]", bad))]);
        })];
    }

    private static AnswerFilter ReadStep(JsonNode? node, string where, Func<string, BenchmarkDataException> bad)
    {
        string? function = node is JsonObject o && o["function"] is JsonValue f && f.TryGetValue(out string? s) ? s : null;
        if (function is null || !AnswerFilter.Functions.Contains(function))
            throw bad($"{where}.function must be one of {string.Join(", ", AnswerFilter.Functions)}; found {JsonFields.Describe(node is JsonObject x ? x["function"] : node)}.");
        if (function != "regex") return new AnswerFilter(function);
        var step = (JsonObject)node!;
        string pattern = step["regex_pattern"] is JsonValue p && p.TryGetValue(out string? value) ? value : throw bad($"{where}: a regex step needs regex_pattern.");
        try { _ = new Regex(pattern); }
        catch (ArgumentException e) { throw bad($"{where}.regex_pattern is not a valid regular expression: {e.Message}"); }
        return new AnswerFilter("regex", pattern, JsonFields.Integer(step["group_select"]) ?? 0,
            step["fallback"] is JsonValue fb && fb.TryGetValue(out string? fallback) ? fallback : "[invalid]");
    }

    private static List<GenerativeMetric> ReadMetrics(JsonNode? node, Func<string, BenchmarkDataException> bad)
    {
        if (node is not JsonArray list || list.Count == 0) throw bad("metric_list is required: a list such as [exact_match, token_f1].");
        return [.. list.Select((m, i) =>
        {
            var (name, options) = m switch
            {
                JsonValue v when v.TryGetValue(out string? s) => (s, null),
                JsonObject o when o["metric"] is JsonValue v && v.TryGetValue(out string? s) => (s, o),
                _ => throw bad($"metric_list[{i}] must be a metric name or {{metric: name, ...}}; found {JsonFields.Describe(m)}."),
            };
            if (!GenerativeMetric.Names.Contains(name)) throw bad($"metric '{name}' is not supported; expected one of {string.Join(", ", GenerativeMetric.Names)}.");
            bool Flag(string key) => options?[key] is JsonValue f && (f.TryGetValue(out bool b) ? b : f.TryGetValue(out string? t) && t is "true" or "True");
            return new GenerativeMetric(name, Flag("ignore_case"), Flag("ignore_punctuation"));
        })];
    }

    private static (List<GenerativeDocument>, IReadOnlyList<DataProblem>) Read(string file, string text, string target, bool strict)
    {
        var reader = new RowReader(file, strict);
        var documents = new List<GenerativeDocument>();
        foreach (var (line, row) in reader.JsonRows())
        {
            try
            {
                documents.Add(new GenerativeDocument($"{Path.GetFileName(file)}:{line}", CustomTask.Render(text, row), Targets(target, row)) { Source = $"{file}:{line}" });
            }
            catch (Exception e) when (e is KeyNotFoundException or FormatException)
            {
                reader.Problem(line, e.Message);
            }
        }
        reader.RequireRows(documents.Count);
        return (documents, reader.Problems);
    }

    // A target template that is exactly one placeholder of a list field gives several acceptable answers.
    private static List<string> Targets(string template, JsonObject row)
    {
        string rendered = CustomTask.Render(template, row);
        if (rendered.StartsWith('[') && JsonFields.Strings(JsonNode.Parse(rendered)) is { Count: > 0 } list) return list;
        return rendered.Length > 0 ? [rendered] : throw new FormatException($"target '{template}' is empty for this row");
    }
}

/// <summary>One generated answer with its filtered forms and scores ("metric,pipeline" → score).</summary>
public sealed record GenerativeSample(string DocumentId, string Prompt, string Generation, IReadOnlyList<string> Targets,
    IReadOnlyDictionary<string, string> Filtered, IReadOnlyDictionary<string, double> Scores);

/// <summary>A generative task's results: "metric,pipeline" → mean and standard error (corpus metrics: no standard error).</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class GenerativeTaskResult
{
    internal GenerativeTaskResult(GenerativeTask task, string model, int shots, IReadOnlyList<GenerativeSample> samples, IReadOnlyDictionary<string, MetricValue> metrics) =>
        (Task, Model, Shots, Samples, Metrics) = (task, model, shots, samples, metrics);

    /// <summary>The task definition.</summary>
    public GenerativeTask Task { get; }

    /// <summary>Task name.</summary>
    public string Name => Task.Name;

    /// <summary>Few-shot examples per item.</summary>
    public int Shots { get; }

    /// <summary>The model that generated.</summary>
    public string Model { get; }

    /// <summary>Every item.</summary>
    public IReadOnlyList<GenerativeSample> Samples { get; }

    /// <summary>"metric,pipeline" → value and standard error.</summary>
    public IReadOnlyDictionary<string, MetricValue> Metrics { get; }

    /// <summary>Per-item scores of one item metric, e.g. <c>Scores("exact_match,none")</c> (input to Stats.Compare).</summary>
    public IReadOnlyList<double> Scores(string key) => Samples.Count > 0 && Samples[0].Scores.ContainsKey(key)
        ? Samples.Select(s => s.Scores[key]).ToList()
        : throw new KeyNotFoundException($"'{key}' is not a per-item score of {Name}; item scores: {string.Join(", ", Samples.FirstOrDefault()?.Scores.Keys ?? [])}.");

    /// <summary>The task's entry in the harness's results JSON: "metric,filter" and "metric_stderr,filter" ("N/A" for corpus metrics).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["alias"] = Name };
        foreach (var (key, value) in Metrics)
        {
            int comma = key.IndexOf(',');
            json[key] = value.Value;
            json[$"{key[..comma]}_stderr{key[comma..]}"] = double.IsNaN(value.StandardError) ? "N/A" : value.StandardError;
        }
        return json;
    }

    /// <summary>
    /// Every metric as a (name, value) pair for a tracking run, named as <see cref="EvaluationResults.MetricValues"/> names
    /// them: "exact_match,none" → eval/&lt;task&gt;/exact_match and eval/&lt;task&gt;/exact_match_stderr; another
    /// filter follows after a slash, as the harness's comma ("exact_match,first-word" → eval/&lt;task&gt;/exact_match/first-word,
    /// eval/&lt;task&gt;/exact_match_stderr/first-word). Corpus metrics (bleu, chrf) have no standard error.
    /// </summary>
    public IEnumerable<(string Name, double Value)> MetricValues()
    {
        foreach (var (key, value) in Metrics)
        {
            int comma = key.IndexOf(',');
            string metric = key[..comma], filter = key[(comma + 1)..];
            // Tracking keys allow letters, digits, _ - . space : and /; a filter name is user text.
            string suffix = filter == FilterPipeline.None.Name ? "" : "/" + string.Concat(filter.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or ' ' or ':' ? c : '_'));
            yield return ($"eval/{Name}/{metric}{suffix}", value.Value);
            if (!double.IsNaN(value.StandardError)) yield return ($"eval/{Name}/{metric}_stderr{suffix}", value.StandardError);
        }
    }

    /// <summary>Adds each result's entries to a harness-shaped results document (<c>results</c>, <c>configs</c> and <c>n-shot</c>).</summary>
    internal static void AddTo(JsonObject document, IEnumerable<GenerativeTaskResult> results)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(results);
        JsonObject Section(string name) => document[name] as JsonObject ?? (JsonObject)(document[name] = new JsonObject());
        foreach (GenerativeTaskResult result in results)
        {
            Section("results")[result.Name] = result.ToJson();
            Section("configs")[result.Name] = new JsonObject { ["task"] = result.Name, ["output_type"] = "generate_until", ["num_fewshot"] = result.Shots };
            Section("n-shot")[result.Name] = result.Shots;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Model}): " + string.Join(", ",
        Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} = {m.Value.Value:0.####}")));
}
