using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Notebooks;

namespace Courseware.Benchmarks;

/// <summary>One scored item.</summary>
/// <param name="DocumentId">The item's id.</param>
/// <param name="Gold">Gold choice.</param>
/// <param name="Predicted">Choice with the highest summed log-likelihood.</param>
/// <param name="LogLikelihoods">Summed log-likelihood of each choice.</param>
/// <param name="Scores">Metric → this item's score (0/1 for accuracies, a probability mass for mc2).</param>
/// <param name="Truncated">Whether the model dropped context tokens from the left for any choice.</param>
/// <param name="Context">The full prompt the choices were scored after (description, few-shot examples, query).</param>
public sealed record SampleResult(string DocumentId, int Gold, int Predicted, IReadOnlyList<double> LogLikelihoods, IReadOnlyDictionary<string, double> Scores, bool Truncated, string Context)
{
    /// <summary>The item's subject, when the task has one.</summary>
    public string? Subject { get; init; }
}

/// <summary>A task's scores: per item and aggregated (mean ± sample standard error).</summary>
public sealed class TaskResult
{
    internal TaskResult(BenchmarkTask task, int shots, IReadOnlyList<SampleResult> samples)
    {
        Task = task;
        Shots = shots;
        Samples = samples;
        Metrics = Aggregate(samples);
    }

    /// <summary>The task definition.</summary>
    public BenchmarkTask Task { get; }

    /// <summary>Task name.</summary>
    public string Name => Task.Name;

    /// <summary>Few-shot examples per item.</summary>
    public int Shots { get; }

    /// <summary>Every scored item.</summary>
    public IReadOnlyList<SampleResult> Samples { get; }

    /// <summary>Metric → mean and standard error.</summary>
    public IReadOnlyDictionary<string, MetricValue> Metrics { get; }

    /// <summary>Scores recomputed on the items that satisfy <paramref name="predicate"/> (for example the clean items of a contamination check).</summary>
    public IReadOnlyDictionary<string, MetricValue> Subset(Func<SampleResult, bool> predicate)
    {
        var chosen = Samples.Where(predicate).ToList();
        return chosen.Count == 0 ? new Dictionary<string, MetricValue>() : Aggregate(chosen);
    }

    /// <summary>Items whose prompt was longer than the model's context (left-truncated, as the harness does).</summary>
    public int TruncatedItems => Samples.Count(s => s.Truncated);

    /// <summary>Per-item correctness for a metric (input to Courseware.Evaluation.Stats.Compare or McNemar).</summary>
    public IReadOnlyList<bool> Correct(string metric = "acc") => Samples.Select(s => s.Scores[metric] >= 0.5).ToList();

    private IReadOnlyDictionary<string, MetricValue> Aggregate(IReadOnlyList<SampleResult> samples) =>
        Task.Metrics.ToDictionary(m => m, m => Aggregation.Mean(samples.Select(s => s.Scores[m]).ToList()));
}

/// <summary>A group's aggregate over its subtasks (size-weighted unless macro averaging was asked for).</summary>
/// <param name="Name">Group name ("mmlu", "mmlu_stem").</param>
/// <param name="Subtasks">Child tasks and groups.</param>
/// <param name="Size">Items in the group.</param>
/// <param name="Metrics">Metric → value and pooled standard error.</param>
public sealed record GroupResult(string Name, IReadOnlyList<string> Subtasks, int Size, IReadOnlyDictionary<string, MetricValue> Metrics);

/// <summary>Where the time went.</summary>
/// <param name="Total">Wall time of the whole evaluation.</param>
/// <param name="Model">Time spent waiting for the model.</param>
/// <param name="Requests">Unique log-likelihood requests.</param>
/// <param name="FromCache">Requests answered by the cache.</param>
/// <param name="Items">Items scored.</param>
public sealed record EvaluationTiming(TimeSpan Total, TimeSpan Model, int Requests, int FromCache, int Items)
{
    /// <summary>Items scored per second of wall time.</summary>
    public double ItemsPerSecond => Items / Math.Max(Total.TotalSeconds, 1e-9);
}

/// <summary>
/// The outcome of <see cref="BenchmarkEvaluator.RunAsync"/>: per-task and per-group metrics of multiple-choice tasks,
/// generative task results, clean-vs-contaminated splits when a corpus was given, per-item details, a JSON document
/// shaped like lm-evaluation-harness's results file, metric name/value pairs for a tracking store, and an HTML table in
/// notebooks.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class EvaluationResults
{
    private readonly EvaluationOptions _options;

    internal EvaluationResults(string model, IReadOnlyList<TaskResult> tasks, IReadOnlyList<GenerativeTaskResult> generative,
        IReadOnlyList<ContaminationSplit> contamination, EvaluationOptions options, EvaluationTiming timing, IReadOnlyDictionary<string, string> failures)
    {
        Failures = failures;
        Model = model;
        Tasks = tasks;
        Generative = generative;
        Contamination = contamination;
        _options = options;
        Timing = timing;
        Groups = BuildGroups(tasks, options.MacroAverage);
        Date = DateTimeOffset.UtcNow;
    }

    /// <summary>The model's name.</summary>
    public string Model { get; }

    /// <summary>Per-task results of the multiple-choice tasks, in the order the tasks were given.</summary>
    public IReadOnlyList<TaskResult> Tasks { get; }

    /// <summary>Results of the generative (generate_until) tasks, in the order the tasks were given.</summary>
    public IReadOnlyList<GenerativeTaskResult> Generative { get; }

    /// <summary>Clean-vs-contaminated scores per multiple-choice task, when <see cref="EvaluationOptions.Contamination"/> was set; else empty.</summary>
    public IReadOnlyList<ContaminationSplit> Contamination { get; }

    /// <summary>Group aggregates, innermost first.</summary>
    public IReadOnlyList<GroupResult> Groups { get; }

    /// <summary>Tasks that could not run (task name → why), for example prompts with characters the model's tokenizer lacks.</summary>
    public IReadOnlyDictionary<string, string> Failures { get; }

    /// <summary>Timings and cache use.</summary>
    public EvaluationTiming Timing { get; }

    /// <summary>When the evaluation finished.</summary>
    public DateTimeOffset Date { get; }

    /// <summary>A task's result by name.</summary>
    public TaskResult this[string task] => Tasks.FirstOrDefault(t => t.Name == task)
        ?? throw new KeyNotFoundException($"No task '{task}'; the results hold {string.Join(", ", Tasks.Select(t => t.Name))}.");

    /// <summary>
    /// Every task and group metric as a (name, value) pair named eval/&lt;task&gt;/&lt;metric&gt; (and
    /// eval/&lt;task&gt;/&lt;metric&gt;_stderr), generative ones as <see cref="GenerativeTaskResult.MetricValues"/> names
    /// them, ready to log to a tracking run.
    /// </summary>
    public IEnumerable<(string Name, double Value)> MetricValues() => ChoiceMetricValues().Concat(Generative.SelectMany(g => g.MetricValues()));

    private IEnumerable<(string Name, double Value)> ChoiceMetricValues()
    {
        var rows = Groups.Select(g => (g.Name, g.Metrics)).Concat(Tasks.Select(t => (t.Name, t.Metrics)));
        foreach (var (name, metrics) in rows)
        {
            foreach (var (metric, value) in metrics)
            {
                yield return ($"eval/{name}/{metric}", value.Value);
                if (!double.IsNaN(value.StandardError)) yield return ($"eval/{name}/{metric}_stderr", value.StandardError);
            }
        }
    }

    /// <summary>Artifact path of the results document <see cref="LogTo"/> stores in a run.</summary>
    public const string ResultsArtifact = "eval/results.json";

    /// <summary>
    /// Logs the evaluation to a tracking run: every <see cref="MetricValues"/> pair as a metric at step 0 (eval/mmlu/acc,
    /// eval/mmlu/acc_stderr, …), params model, tasks, shots, limit, batch_size and fewshot_seed (plus backend, device,
    /// the model's path or endpoint, registry URI and weights hash when known), and <see cref="ToJson"/> as the artifact
    /// <see cref="ResultsArtifact"/>.
    /// </summary>
    /// <param name="run">An active run.</param>
    /// <example><code>using var run = tracker.StartRun("benchmarks", "tinygpt-base"); results.LogTo(run);</code></example>
    public void LogTo(Tracking.ActiveRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var tasks = Tasks.Select(t => (t.Name, t.Shots)).Concat(Generative.Select(g => (g.Name, g.Shots))).ToList();
        var shots = tasks.Select(t => t.Shots).Distinct().ToList();
        var parameters = new Dictionary<string, object?>
        {
            ["model"] = Model,
            ["tasks"] = string.Join(",", tasks.Select(t => t.Name)),
            // One number when every task ran with the same shots, else task=shots pairs.
            ["shots"] = shots.Count == 1 ? shots[0].ToString(CultureInfo.InvariantCulture) : string.Join(",", tasks.Select(t => $"{t.Name}={t.Shots}")),
            ["limit"] = _options.Limit?.ToString(CultureInfo.InvariantCulture) ?? "none",
            ["batch_size"] = _options.BatchSize,
            ["fewshot_seed"] = _options.FewShotSeed,
        };
        foreach (string key in (string[])["backend", "device", "path", "endpoint", "model_uri", "registered_version", "weights_sha256"])
        {
            if (_options.ModelConfig.TryGetValue(key, out string? value)) parameters[key] = value;
        }
        run.LogParams(parameters);
        var time = DateTimeOffset.UtcNow;
        foreach (var (name, value) in MetricValues()) run.LogMetric(name, value, step: 0, time);
        run.LogJson(ToJson(), ResultsArtifact);
        run.Flush();
    }

    /// <summary>
    /// The results as lm-evaluation-harness writes them (results, groups, group_subtasks, configs, versions, n-shot,
    /// higher_is_better, n-samples, config, timings), generative tasks included, and a contamination block per task when
    /// a corpus was given.
    /// </summary>
    public JsonObject ToJson()
    {
        var results = new JsonObject();
        var groups = new JsonObject();
        var groupSubtasks = new JsonObject();
        var versions = new JsonObject();
        var depth = Depths();
        foreach (GroupResult group in Groups.OrderBy(g => depth[g.Name]))
        {
            results[group.Name] = MetricsJson(group.Metrics, Alias(group.Name, depth[group.Name]));
            groups[group.Name] = MetricsJson(group.Metrics, Alias(group.Name, depth[group.Name]));
            groupSubtasks[group.Name] = new JsonArray(group.Subtasks.Select(s => (JsonNode)s).ToArray());
            versions[group.Name] = 1.0;
        }
        var configs = new JsonObject();
        var nShot = new JsonObject();
        var higher = new JsonObject();
        var nSamples = new JsonObject();
        var problems = new JsonObject();
        foreach (TaskResult task in Tasks)
        {
            results[task.Name] = MetricsJson(task.Metrics, Alias(task.Name, depth[task.Name]));
            versions[task.Name] = task.Task.Version;
            nShot[task.Name] = task.Shots;
            higher[task.Name] = new JsonObject(task.Task.Metrics.Select(m => KeyValuePair.Create(m, (JsonNode?)true)));
            nSamples[task.Name] = new JsonObject { ["original"] = task.Task.Documents.Count, ["effective"] = task.Samples.Count, ["truncated"] = task.TruncatedItems };
            configs[task.Name] = new JsonObject
            {
                ["task"] = task.Name,
                ["tag"] = new JsonArray(task.Task.Groups.Select(g => (JsonNode)g).ToArray()),
                ["dataset_path"] = task.Task.DataSource,
                ["description"] = task.Task.Description,
                ["target_delimiter"] = task.Task.TargetDelimiter,
                ["fewshot_delimiter"] = task.Task.FewShotDelimiter,
                ["fewshot_config"] = new JsonObject { ["sampler"] = task.Task.Sampler == FewShotSampler.FirstN ? "first_n" : "default" },
                ["num_fewshot"] = task.Shots,
                ["metric_list"] = new JsonArray(task.Task.Metrics.Select(m => (JsonNode)new JsonObject { ["metric"] = m, ["aggregation"] = "mean", ["higher_is_better"] = true }).ToArray()),
                ["output_type"] = "multiple_choice",
                ["metadata"] = new JsonObject { ["version"] = task.Task.Version },
            };
            if (task.Task.Problems.Count > 0) problems[task.Name] = new JsonArray(task.Task.Problems.Select(p => (JsonNode)p.ToString()).ToArray());
        }
        var config = new JsonObject
        {
            ["model"] = Model,
            ["model_args"] = new JsonObject(_options.ModelConfig.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["batch_size"] = _options.BatchSize,
            ["limit"] = _options.Limit,
            ["fewshot_seed"] = _options.FewShotSeed,
            ["weight_by_size"] = !_options.MacroAverage,
            ["bootstrap_iters"] = 0,
        };
        var document = new JsonObject
        {
            ["results"] = results,
            ["groups"] = groups,
            ["group_subtasks"] = groupSubtasks,
            ["configs"] = configs,
            ["versions"] = versions,
            ["n-shot"] = nShot,
            ["higher_is_better"] = higher,
            ["n-samples"] = nSamples,
            ["config"] = config,
            ["problems"] = problems,
            ["failed"] = new JsonObject(Failures.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))),
            ["date"] = Date.ToUnixTimeMilliseconds() / 1000.0,
            ["total_evaluation_time_seconds"] = Timing.Total.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            ["timings"] = new JsonObject
            {
                ["model_seconds"] = Math.Round(Timing.Model.TotalSeconds, 3),
                ["requests"] = Timing.Requests,
                ["requests_from_cache"] = Timing.FromCache,
                ["items"] = Timing.Items,
                ["items_per_second"] = Math.Round(Timing.ItemsPerSecond, 2),
            },
        };
        GenerativeTaskResult.AddTo(document, Generative);
        if (Contamination.Count > 0) document["contamination"] = new JsonObject(Contamination.Select(c => KeyValuePair.Create(c.Task, (JsonNode?)c.ToJson())));
        return document;
    }

    /// <summary>Writes <see cref="ToJson"/> to a file atomically.</summary>
    public void Save(string path) => Save(path, ToJson());

    private static void Save(string path, JsonObject json) =>
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");

    /// <summary>
    /// Writes one samples_{task}.jsonl per task into <paramref name="folder"/>, like the harness's --log_samples: per item
    /// its id, gold, prediction, prompt, choices (as scored, after the target delimiter: " Paris"), log-likelihoods and
    /// scores, to read what the model got wrong and why.
    /// </summary>
    public IReadOnlyList<string> SaveSamples(string folder)
    {
        var files = new List<string>();
        var options = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (TaskResult task in Tasks)
        {
            var documents = task.Task.Documents.ToDictionary(d => d.Id, d => d);
            var lines = new StringBuilder();
            foreach (SampleResult sample in task.Samples)
            {
                BenchmarkDocument? document = documents.GetValueOrDefault(sample.DocumentId);
                var row = new JsonObject
                {
                    ["doc_id"] = sample.DocumentId,
                    ["source"] = document?.Source,
                    ["target"] = sample.Gold,
                    ["predicted"] = sample.Predicted,
                    ["context"] = sample.Context,
                    // As the harness logs them: with the target delimiter, exactly the strings scored.
                    ["choices"] = new JsonArray((document is null ? [] : task.Task.Continuations(document)).Select(c => (JsonNode)c).ToArray()),
                    ["loglikelihoods"] = new JsonArray(sample.LogLikelihoods.Select(l => (JsonNode)l).ToArray()),
                    ["truncated"] = sample.Truncated,
                };
                foreach (var (metric, score) in sample.Scores) row[metric] = score;
                lines.Append(row.ToJsonString(options)).Append('\n');
            }
            string path = Path.Combine(folder, $"samples_{task.Name}.jsonl");
            AtomicFile.WriteAllText(path, lines.ToString());
            files.Add(path);
        }
        return files;
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join("\n", Groups.Select(g => (g.Name, g.Metrics)).Concat(Tasks.Select(t => (t.Name, t.Metrics)))
            .SelectMany(r => r.Metrics.Select(m => $"{r.Name} {m.Key} {m.Value}"))
            .Concat(Generative.Select(g => g.ToString()))
            .Concat(Contamination.Select(c => c.ToString()))
            .Concat(Failures.Select(f => $"{f.Key} FAILED: {f.Value}")));

    /// <summary>The harness's per-task block: "acc,none", "acc_stderr,none" ("N/A" when there is none), "alias".</summary>
    private static JsonObject MetricsJson(IReadOnlyDictionary<string, MetricValue> metrics, string alias)
    {
        var json = new JsonObject { ["alias"] = alias };
        foreach (var (metric, value) in metrics)
        {
            json[$"{metric},none"] = value.Value;
            json[$"{metric}_stderr,none"] = double.IsNaN(value.StandardError) ? "N/A" : value.StandardError;
        }
        return json;
    }

    internal static string Alias(string name, int depth) => depth == 0 ? name : new string(' ', depth - 1) + " - " + name;

    /// <summary>Nesting depth of every task and group (top-level groups and ungrouped tasks are 0).</summary>
    internal Dictionary<string, int> Depths()
    {
        var depth = new Dictionary<string, int>();
        foreach (TaskResult task in Tasks)
        {
            var chain = task.Task.Groups;
            depth[task.Name] = chain.Count;
            for (int i = 0; i < chain.Count; i++) depth[chain[i]] = chain.Count - 1 - i;
        }
        return depth;
    }

    private static List<GroupResult> BuildGroups(IReadOnlyList<TaskResult> tasks, bool macro)
    {
        // Children of each group: tasks name their innermost group; each group names the next one out.
        var children = new Dictionary<string, List<string>>();
        var size = tasks.ToDictionary(t => t.Name, t => t.Samples.Count);
        var metrics = tasks.ToDictionary(t => t.Name, t => t.Metrics);
        var order = new List<string>();
        foreach (TaskResult task in tasks)
        {
            string child = task.Name;
            foreach (string group in task.Task.Groups)
            {
                if (!children.TryGetValue(group, out var list)) children[group] = list = [];
                if (!list.Contains(child)) list.Add(child);
                if (!order.Contains(group)) order.Add(group);
                child = group;
            }
        }
        var results = new List<GroupResult>();
        // Innermost groups first, so a group's children are computed before it (the harness's consolidate_group_results).
        foreach (string group in order.OrderBy(g => tasks.Max(t => t.Task.Groups.ToList().IndexOf(g))))
        {
            var kids = children[group];
            var shared = kids.Select(k => metrics[k].Keys).Aggregate((a, b) => a.Intersect(b).ToList());
            var sizes = kids.Select(k => size[k]).ToList();
            var values = shared.ToDictionary(m => m, m => Aggregation.Group(kids.Select(k => metrics[k][m]).ToList(), sizes, !macro));
            size[group] = sizes.Sum();
            metrics[group] = values;
            results.Add(new GroupResult(group, kids, sizes.Sum(), values));
        }
        return results;
    }
}
