using System.CommandLine;
using Courseware.Benchmarks;
using Courseware.Registry;
using Courseware.Tracking;

namespace Courseware.Cli.Commands;

/// <summary>
/// <c>courseware eval</c>: runs benchmark tasks on a model (Courseware.Benchmarks) and writes harness-shaped results;
/// <c>courseware eval generate</c> rewrites the course's fictional-world benchmark files.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (model.safetensors / model.onnx + config.json + tokenizer.json), a registry URI (models:/name/3, models:/name@alias, models:/name/latest; see --store), or an OpenAI-compatible endpoint URL (http://host:port/v1).", Required = true };
        var served = new Option<string?>("--served-model") { Description = "With an endpoint: the model name it serves (the API key is read from OPENAI_API_KEY)." };
        var backend = new Option<string>("--backend") { Description = "torch (TorchSharp) or onnx (ONNX Runtime).", DefaultValueFactory = _ => "torch" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda (torch backend).", DefaultValueFactory = _ => "auto" };
        var tasks = new Option<string>("--tasks") { Description = $"Comma-separated: {string.Join(", ", TaskRegistry.Default.Names.Concat(TaskRegistry.Default.Groups))}, a task registered from --include-path, or a custom task .yaml (multiple choice or generate_until).", DefaultValueFactory = _ => "mmlu,hellaswag,arc_easy,arc_challenge" };
        var include = new Option<string[]>("--include-path") { Description = "Folder of task description files (.yaml/.yml/.json, subfolders too) to register by their 'task' names (repeatable)." };
        var data = new Option<string>("--data") { Description = "Folder holding the task data.", DefaultValueFactory = _ => "datasets/benchmarks/tinyworld" };
        var shots = new Option<int?>("--shots") { Description = "Few-shot examples per item (default: each task's own, 0)." };
        var limit = new Option<int?>("--limit") { Description = "Score only the first N items of each task." };
        var batch = new Option<int>("--batch-size") { Description = "Requests per model call.", DefaultValueFactory = _ => 64 };
        var cache = new Option<string?>("--cache") { Description = "Log-likelihood cache folder (a rerun is answered from it).", DefaultValueFactory = _ => ".cache/eval" };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not read or write the cache." };
        var macro = new Option<bool>("--macro") { Description = "Group scores as the plain mean of subtasks instead of size-weighted." };
        var strict = new Option<bool>("--strict") { Description = "Fail on the first malformed data row instead of skipping it." };
        var corpus = new Option<string?>("--corpus") { Description = "Training corpus (.jsonl with 'text', or one document per line): report scores on items with and without 13-gram overlap." };
        var samples = new Option<string?>("--log-samples") { Description = "Write samples_{task}.jsonl (prompt, choices, log-likelihoods, scores per item) into this folder." };
        var output = new Option<string?>("--out") { Description = "Write the results JSON here." };
        var location = new TrackingLocationOptions("Tracking store that resolves models:/ URIs and receives the run of --experiment");
        var experiment = new Option<string?>("--experiment") { Description = "Log the evaluation as a run in this experiment: metrics eval/<task>/<metric> (+ _stderr), params, results JSON artifact." };
        var runName = new Option<string?>("--run-name") { Description = "Name of the logged run (default: generated)." };
        var command = new Command("eval", "Score a model on benchmarks the lm-evaluation-harness way (multiple choice; custom generate_until task files too).")
        {
            model, served, backend, device, tasks, include, data, shots, limit, batch, cache, noCache, macro, strict, corpus, samples, output, experiment, runName,
        };
        location.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                string[] includePaths = parseResult.GetValue(include) ?? [];
                TaskRegistry registry = includePaths.Length == 0 ? TaskRegistry.Default : TaskRegistry.WithBuiltIns();
                foreach (string folder in includePaths) registry.RegisterFolder(folder);
                var taskList = registry.LoadAll(parseResult.GetValue(data)!, parseResult.GetValue(tasks)!.Split(','), parseResult.GetValue(strict));
                string modelName = parseResult.GetValue(model)!;
                string? experimentName = parseResult.GetValue(experiment);
                // The store is opened only when a registry URI or a logged run needs it.
                var where = experimentName is not null || modelName.StartsWith("models:/", StringComparison.Ordinal) ? location.Get(parseResult) : null;
                using Tracker? tracker = where is null ? null : Tracker.Open(where);
                using OpenedModel opened = await ModelSource.OpenAsync(modelName, tracker is null ? null : new ModelRegistry(tracker.Store),
                    parseResult.GetValue(backend)!, parseResult.GetValue(device)!, parseResult.GetValue(served), Environment.GetEnvironmentVariable("OPENAI_API_KEY"), cancellationToken);
                // One warning per over-long request would bury the table; the count per task is printed instead.
                if (opened.Model is Courseware.Models.LocalLanguageModel local) local.Log = TextWriter.Null;
                var options = new EvaluationOptions
                {
                    Shots = parseResult.GetValue(shots),
                    Limit = parseResult.GetValue(limit),
                    BatchSize = parseResult.GetValue(batch),
                    CacheFolder = parseResult.GetValue(noCache) ? null : parseResult.GetValue(cache),
                    ModelKey = opened.CacheKey,
                    ModelConfig = opened.Config,
                    MacroAverage = parseResult.GetValue(macro),
                    Progress = new Progress<EvaluationProgress>(p => Console.Error.Write($"\r{p}   ")),
                    Contamination = parseResult.GetValue(corpus) is string corpusPath ? ContaminationCheck.Build(ContaminationCheck.ReadCorpus(corpusPath)) : null,
                };
                EvaluationResults results = await BenchmarkEvaluator.RunAsync(opened.Model, taskList, options, cancellationToken);
                Console.Error.WriteLine();
                Console.WriteLine(results);
                foreach (TaskResult task in results.Tasks.Where(t => t.TruncatedItems > 0))
                    Console.WriteLine($"note: {task.Name}: {task.TruncatedItems} of {task.Samples.Count} prompts exceeded the model's context and were truncated from the left");
                Console.WriteLine($"{results.Timing.Items} items, {results.Timing.ItemsPerSecond:0.0} items/s, {results.Timing.FromCache}/{results.Timing.Requests} requests from cache");
                if (parseResult.GetValue(samples) is string samplesFolder)
                {
                    foreach (string file in results.SaveSamples(samplesFolder)) Console.WriteLine($"wrote {file}");
                }
                if (parseResult.GetValue(output) is string path)
                {
                    results.Save(path);
                    Console.WriteLine($"wrote {path}");
                }
                if (tracker is not null && experimentName is not null)
                {
                    using ActiveRun run = tracker.StartRun(experimentName, parseResult.GetValue(runName));
                    results.LogTo(run);
                    Console.WriteLine($"logged run {run.RunId} ({run.Name}) in experiment '{experimentName}' at {where}");
                }
                return results.Failures.Count == 0 ? 0 : 1;
            }
            catch (Exception e) when (e is BenchmarkDataException or ArgumentException or IOException or NotSupportedException or InvalidDataException or TrackingException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });

        var folder = new Option<string>("--out") { Description = "Folder to write.", DefaultValueFactory = _ => "datasets/benchmarks/tinyworld" };
        var generate = new Command("generate", "Rewrite the fictional-world benchmark files (deterministic).") { folder };
        generate.SetAction(parseResult =>
        {
            foreach (string file in TinyWorldBenchmarks.Write(parseResult.GetValue(folder)!)) Console.WriteLine(file);
            return 0;
        });
        command.Subcommands.Add(generate);
        return command;
    }
}
