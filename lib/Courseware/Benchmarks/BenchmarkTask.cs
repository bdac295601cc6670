namespace Courseware.Benchmarks;

/// <summary>How few-shot examples are drawn (lm-evaluation-harness's fewshot_config.sampler).</summary>
public enum FewShotSampler
{
    /// <summary>The same first n examples of the few-shot split for every item (MMLU's dev split).</summary>
    FirstN,

    /// <summary>n examples drawn without replacement by one seeded generator per task, advancing item by item (the harness default).</summary>
    Random,
}

/// <summary>How the choices' log-likelihoods become a score.</summary>
public enum ScoringRule
{
    /// <summary>acc, acc_norm and acc_bytes: argmax of the (normalised) log-likelihood equals the gold index.</summary>
    MultipleChoice,

    /// <summary>TruthfulQA mc2: probability mass of the true choices, reported under the name "acc" as the harness does.</summary>
    TrueProbabilityMass,
}

/// <summary>
/// A benchmark task the lm-evaluation-harness way: data already turned into prompt, choices and gold
/// (<see cref="BenchmarkDocument"/>), a description prefix, a few-shot source, and the metrics to report. Tasks are
/// plain data: the readers (<see cref="Mmlu"/>, <see cref="HellaSwag"/>, <see cref="Arc"/>, <see cref="TruthfulQA"/>,
/// <see cref="CustomTask"/>) build them, <see cref="BenchmarkEvaluator"/> runs them on any model.
/// </summary>
public sealed record BenchmarkTask : IEvaluationTask
{
    /// <summary>Default metrics of a multiple-choice task.</summary>
    public static readonly IReadOnlyList<string> AccuracyMetrics = ["acc", "acc_norm"];

    /// <summary>Task name in results ("mmlu_anatomy", "hellaswag").</summary>
    public required string Name { get; init; }

    /// <summary>"multiple_choice".</summary>
    public string OutputType => "multiple_choice";

    /// <summary>The items scored.</summary>
    public required IReadOnlyList<BenchmarkDocument> Documents { get; init; }

    /// <summary>Groups this task belongs to, innermost first ("mmlu_stem", "mmlu"): results are aggregated per group.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Text put before the few-shot examples (MMLU: "The following are multiple choice questions (with answers) about anatomy.\n\n").</summary>
    public string Description { get; init; } = "";

    /// <summary>Where few-shot examples come from; none means the task is always zero-shot.</summary>
    public IReadOnlyList<BenchmarkDocument> FewShotDocuments { get; init; } = [];

    /// <summary>How examples are drawn from <see cref="FewShotDocuments"/>.</summary>
    public FewShotSampler Sampler { get; init; } = FewShotSampler.Random;

    /// <summary>Shots used when the evaluator is not told otherwise.</summary>
    public int DefaultShots { get; init; }

    /// <summary>Between the context and a choice (" ").</summary>
    public string TargetDelimiter { get; init; } = " ";

    /// <summary>The continuations scored for a document: each choice after <see cref="TargetDelimiter"/> (" Paris").</summary>
    public IEnumerable<string> Continuations(BenchmarkDocument document) => document.Choices.Select(c => TargetDelimiter + c);

    /// <summary>Between few-shot examples, and between the last example and the query ("\n\n").</summary>
    public string FewShotDelimiter { get; init; } = "\n\n";

    /// <summary>Metrics reported: any of "acc", "acc_norm", "acc_bytes" (with <see cref="ScoringRule.TrueProbabilityMass"/>, only "acc").</summary>
    public IReadOnlyList<string> Metrics { get; init; } = AccuracyMetrics;

    /// <summary>How log-likelihoods become scores.</summary>
    public ScoringRule Scoring { get; init; } = ScoringRule.MultipleChoice;

    /// <summary>Version of the task definition, reported in results like the harness's "versions".</summary>
    public double Version { get; init; } = 1.0;

    /// <summary>Where the data came from (file or folder), for the results' config block.</summary>
    public string DataSource { get; init; } = "";

    /// <summary>
    /// Rows skipped because they were malformed (file, line, what was wrong). The readers skip a bad row and carry on;
    /// the evaluator prints each skipped row and the results JSON lists them under "problems". A missing file, a file
    /// with no usable row, or any bad row when a reader is called with strict: true fails with a BenchmarkDataException.
    /// </summary>
    public IReadOnlyList<DataProblem> Problems { get; init; } = [];

    /// <summary>
    /// The full context of every document with <paramref name="shots"/> examples: description + examples joined by
    /// the few-shot delimiter + delimiter + query, exactly as the harness's fewshot_context builds it. Random sampling
    /// uses one generator seeded with <paramref name="seed"/> that advances document by document, and never picks the
    /// document itself when examples and documents come from the same split.
    /// </summary>
    public IReadOnlyList<string> Contexts(int shots, int seed = 1234, int? limit = null)
    {
        if (shots < 0) throw new ArgumentOutOfRangeException(nameof(shots), shots, "Shots must be 0 or more.");
        var documents = limit is int n ? Documents.Take(n).ToList() : Documents;
        if (shots > 0 && FewShotDocuments.Count < shots + (Sampler == FewShotSampler.Random && SharesSplit ? 1 : 0))
            throw new ArgumentOutOfRangeException(nameof(shots), shots, $"Task '{Name}' has {FewShotDocuments.Count} few-shot examples; {shots} shots asked for.");
        var random = new Random(seed);
        var contexts = new List<string>(documents.Count);
        foreach (BenchmarkDocument document in documents)
        {
            if (shots == 0)
            {
                contexts.Add(Description + document.Query);
                continue;
            }
            IEnumerable<BenchmarkDocument> examples = Sampler == FewShotSampler.FirstN
                ? FewShotDocuments.Take(shots)
                : Sample(random, shots, document);
            contexts.Add(Description + string.Join(FewShotDelimiter, examples.Select(e => e.Example(TargetDelimiter))) + FewShotDelimiter + document.Query);
        }
        return contexts;
    }

    private bool SharesSplit => FewShotDocuments.Count > 0 && ReferenceEquals(FewShotDocuments, Documents);

    private IEnumerable<BenchmarkDocument> Sample(Random random, int shots, BenchmarkDocument current)
    {
        // Partial Fisher–Yates over indices; draw one extra and drop the current item, as the harness does.
        int draw = SharesSplit ? shots + 1 : shots;
        var indices = Enumerable.Range(0, FewShotDocuments.Count).ToArray();
        for (int i = 0; i < draw; i++)
        {
            int j = i + random.Next(indices.Length - i);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
        return indices.Take(draw).Select(i => FewShotDocuments[i]).Where(d => !ReferenceEquals(d, current)).Take(shots);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Documents.Count} items, {Metrics.Count} metric(s){(Problems.Count > 0 ? $", {Problems.Count} malformed row(s) skipped" : "")}";
}
