using System.Diagnostics;
using Courseware.Models;

namespace Courseware.Benchmarks;

/// <summary>How to run an evaluation.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Few-shot examples per item; null uses each task's default (0 for the built-in readers, as in the harness).</summary>
    public int? Shots { get; init; }

    /// <summary>Score only the first N items of each task (the harness's --limit; results are then not comparable to published ones).</summary>
    public int? Limit { get; init; }

    /// <summary>Seed of random few-shot sampling (the harness's fewshot_random_seed, 1234).</summary>
    public int FewShotSeed { get; init; } = 1234;

    /// <summary>Requests per call to the model; requests are sorted longest first so each batch pads little.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Folder of the on-disk log-likelihood cache; null disables caching.</summary>
    public string? CacheFolder { get; init; }

    /// <summary>What identifies the model's answers in the cache (name + weights hash, or endpoint + model id); defaults to the model's name.</summary>
    public string? ModelKey { get; init; }

    /// <summary>Group scores as the plain mean of subtask scores instead of the size-weighted mean (the harness's weight_by_size: false).</summary>
    public bool MacroAverage { get; init; }

    /// <summary>Free-form description of the model for the results' config block (path or endpoint, backend, device).</summary>
    public IReadOnlyDictionary<string, string> ModelConfig { get; init; } = new Dictionary<string, string>();

    /// <summary>Progress after each batch.</summary>
    public IProgress<EvaluationProgress>? Progress { get; init; }

    /// <summary>Where skipped malformed rows are reported (standard error by default).</summary>
    public TextWriter Log { get; init; } = Console.Error;

    /// <summary>
    /// A training corpus index (<see cref="ContaminationCheck.Build"/>): when set, each multiple-choice task is also scored
    /// on its clean and its contaminated items (<see cref="EvaluationResults.Contamination"/>).
    /// </summary>
    public ContaminationCheck? Contamination { get; init; }
}

/// <summary>Progress of an evaluation: requests answered so far (from cache or model) out of all unique requests.</summary>
public sealed record EvaluationProgress(int Done, int Total, int FromCache, TimeSpan Elapsed)
{
    /// <inheritdoc />
    public override string ToString() => $"{Done}/{Total} requests ({FromCache} cached), {Elapsed.TotalSeconds:0.0} s";
}

/// <summary>
/// Joins tasks and a model, as lm-evaluation-harness's evaluator does, for tasks of either output type. Multiple choice
/// (<see cref="BenchmarkTask"/>): builds every (context, " " + choice) request, removes duplicates, answers what the cache
/// knows, sends the rest to the model in batches ordered longest first, scores each item and aggregates per task and
/// group. A task whose prompts the model's tokenizer cannot encode is left out and listed in
/// <see cref="EvaluationResults.Failures"/> (the run fails only when every task does). Generative
/// (<see cref="GenerativeTask"/>): generates, filters and scores through <see cref="GenerativeTask.RunAsync"/>. One
/// results object holds both, ready to print, save as the harness's results JSON and log to a run.
/// </summary>
/// <example><code>
/// var tasks = TaskRegistry.Default.LoadAll("datasets/benchmarks/tinyworld", ["mmlu", "tasks/where_gen.yaml"]);
/// var results = await BenchmarkEvaluator.RunAsync(model, tasks, new() { Shots = 5, CacheFolder = ".cache/eval" });
/// results  // renders the table in a notebook
/// </code></example>
public static class BenchmarkEvaluator
{
    /// <summary>Runs every task on the model: multiple-choice tasks first, batched together, then generative ones in order.</summary>
    public static async Task<EvaluationResults> RunAsync(ILanguageModel model, IEnumerable<IEvaluationTask> tasks, EvaluationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new EvaluationOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (options.Limit is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Limit, "Limit must be at least 1.");
        var allTasks = tasks.ToList();
        if (allTasks.Count == 0) throw new ArgumentException("No tasks to run.", nameof(tasks));
        if (allTasks.Select(t => t.Name).Distinct().Count() != allTasks.Count) throw new ArgumentException("Task names must be unique.", nameof(tasks));
        if (allTasks.FirstOrDefault(t => t is not (BenchmarkTask or GenerativeTask)) is { } unknown)
            throw new ArgumentException($"Task '{unknown.Name}' is a {unknown.GetType().Name}; expected a BenchmarkTask or a GenerativeTask.", nameof(tasks));
        foreach (IEvaluationTask task in allTasks)
        {
            foreach (DataProblem problem in task.Problems) options.Log.WriteLine($"warning: {task.Name}: skipped malformed row {problem}");
        }
        var taskList = allTasks.OfType<BenchmarkTask>().ToList();
        var total = Stopwatch.StartNew();

        // 1. Requests per item (the harness's construct_requests).
        var lengths = new Dictionary<LogLikelihoodRequest, int>();
        var failures = new Dictionary<string, string>();
        var plans = new List<(BenchmarkTask Task, int Shots, List<BenchmarkDocument> Documents, List<LogLikelihoodRequest[]> Requests)>();
        foreach (BenchmarkTask task in taskList)
        {
            int shots = options.Shots ?? task.DefaultShots;
            if (shots > 0 && task.FewShotDocuments.Count == 0)
                throw new ArgumentException($"Task '{task.Name}' has no few-shot examples; run it with 0 shots.", nameof(options));
            var documents = task.Documents.Take(options.Limit ?? int.MaxValue).ToList();
            IReadOnlyList<string> contexts = task.Contexts(shots, options.FewShotSeed, options.Limit);
            var requests = documents.Select((d, i) => task.Continuations(d).Select(c => new LogLikelihoodRequest(contexts[i], c)).ToArray()).ToList();
            try
            {
                for (int i = 0; i < documents.Count; i++)
                {
                    foreach (LogLikelihoodRequest request in requests[i]) lengths.TryAdd(request, TokenCount(model, task, documents[i], request));
                }
            }
            catch (BenchmarkDataException e)
            {
                // A task the model cannot read fails alone, by name; the other tasks still run.
                failures.Add(task.Name, e.Message);
                options.Log.WriteLine($"error: {e.Message}");
                if (failures.Count == allTasks.Count) throw;
                continue;
            }
            plans.Add((task, shots, documents, requests));
        }

        // 2. Answers: cache first, then the model, longest requests first.
        var unique = plans.SelectMany(p => p.Requests).SelectMany(r => r).Distinct().ToList();
        var answers = new Dictionary<LogLikelihoodRequest, LogLikelihood>(unique.Count);
        using LogLikelihoodCache? cache = options.CacheFolder is null ? null : new LogLikelihoodCache(options.CacheFolder, options.ModelKey ?? model.Name);
        if (cache is not null)
        {
            foreach (LogLikelihoodRequest request in unique)
            {
                if (cache.Get(request) is { } hit) answers[request] = hit;
            }
        }
        int fromCache = answers.Count;
        if (taskList.Count > 0) options.Progress?.Report(new EvaluationProgress(fromCache, unique.Count, fromCache, total.Elapsed));
        var pending = unique.Where(r => !answers.ContainsKey(r))
            .OrderByDescending(r => lengths[r]).ToList();
        var modelTime = Stopwatch.StartNew();
        for (int start = 0; start < pending.Count; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = pending.GetRange(start, Math.Min(options.BatchSize, pending.Count - start));
            IReadOnlyList<LogLikelihood> results = await model.LogLikelihoodAsync(batch, cancellationToken).ConfigureAwait(false);
            if (results.Count != batch.Count) throw new InvalidOperationException($"{model.Name} returned {results.Count} answers for {batch.Count} requests.");
            cache?.Put(batch, results);
            for (int i = 0; i < batch.Count; i++) answers[batch[i]] = results[i];
            options.Progress?.Report(new EvaluationProgress(answers.Count, unique.Count, fromCache, total.Elapsed));
        }
        modelTime.Stop();

        // 3. Scores per item and task.
        var taskResults = new List<TaskResult>();
        foreach (var (task, shots, documents, requests) in plans)
        {
            var samples = documents.Select((d, i) =>
            {
                double[] ll = requests[i].Select(r => answers[r].Sum).ToArray();
                var scores = task.Metrics.ToDictionary(m => m, m => Scoring.Score(m, d, ll, task.Scoring));
                bool truncated = requests[i].Any(r => answers[r].TruncatedTokens > 0);
                return new SampleResult(d.Id, d.Gold, Scoring.ArgMax(ll, _ => 1), ll, scores, truncated, requests[i][0].Context) { Subject = d.Subject };
            }).ToList();
            taskResults.Add(new TaskResult(task, shots, samples));
        }
        var contamination = options.Contamination is { } corpus ? taskResults.Select(t => corpus.Check(t.Task).Split(t)).ToList() : [];

        // 4. Generative tasks: each generates, filters and scores its items.
        var generated = new List<GenerativeTaskResult>();
        modelTime.Start();
        foreach (GenerativeTask task in allTasks.OfType<GenerativeTask>())
            generated.Add(await task.RunAsync(model, options.Shots, options.Limit, cancellationToken).ConfigureAwait(false));
        modelTime.Stop();
        total.Stop();
        int generations = generated.Sum(g => g.Samples.Count);
        var timing = new EvaluationTiming(total.Elapsed, modelTime.Elapsed, unique.Count + generations, fromCache, taskResults.Sum(t => t.Samples.Count) + generations);
        return new EvaluationResults(model.Name, taskResults, generated, contamination, options, timing, failures);
    }

    /// <summary>A prompt the model's tokenizer cannot encode fails its task up front, naming the item, instead of failing a whole batch later.</summary>
    private static int TokenCount(ILanguageModel model, BenchmarkTask task, BenchmarkDocument document, LogLikelihoodRequest request)
    {
        try
        {
            return model.Tokenizer.CountTokens(request.Context + request.Continuation);
        }
        catch (ArgumentException e)
        {
            throw new BenchmarkDataException($"{task.Name}: item {document.Id} ({document.Source}): {model.Name}'s tokenizer cannot encode the prompt: {e.Message}", inner: e);
        }
    }
}
