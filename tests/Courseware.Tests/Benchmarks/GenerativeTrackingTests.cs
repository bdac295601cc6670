using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Benchmarks;
using Courseware.Cli.Commands;
using Courseware.Evaluation;
using Courseware.Models;
using Courseware.Tests.Models;
using Courseware.Tracking;

namespace Courseware.Tests.Benchmarks;

/// <summary>
/// Generative (generate_until) results logged to a real SQLite tracking store, alone and next to multiple-choice results;
/// every run is read back through a new store connection.
/// </summary>
public sealed class GenerativeTrackingTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Generates from a table keyed by the text after the last "Q: ", and scores multiple choice by continuation.</summary>
    private sealed class QuizModel(IReadOnlyDictionary<string, string> answers) : ILanguageModel
    {
        private static readonly Dictionary<string, double> Choices = new() { [" A"] = -1, [" B"] = -2, [" C"] = -3, [" D"] = -4 };
        public string Name => "quiz";
        public Microsoft.ML.Tokenizers.Tokenizer Tokenizer => ScriptedModel.Characters;
        public int MaxContextLength => 4096;
        public Task<IReadOnlyList<LogLikelihood>> LogLikelihoodAsync(IReadOnlyList<LogLikelihoodRequest> requests, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<LogLikelihood>>([.. requests.Select(r => new LogLikelihood(Choices[r.Continuation], false, [Choices[r.Continuation]], 0))]);
        public Task<IReadOnlyList<Generation>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<Generation>>([.. requests.Select(r => new Generation(answers[r.Prompt.Split("Q: ")[^1]], 1, FinishReason.Stop, 0))]);
        public void Dispose() { }
    }

    private static readonly QuizModel Model = new(new Dictionary<string, string>
    {
        ["Where does Ana live?"] = "Dunmere",
        ["Where does Bo live?"] = "Oromar",
        ["Where does Cy live?"] = "Varenne",
        ["Where does Di live?"] = "Kelso",
        ["Where does Ed live?"] = " Dunmere, by the sea.",
        ["Where does Flo live?"] = " oromar",
    });

    private string WriteTask(string name, string extra, params object[] rows)
    {
        _folder.Write($"{name}.jsonl", string.Join("\n", rows.Select(r => JsonSerializer.Serialize(r))) + "\n");
        return _folder.Write($"{name}.yaml", $"task: {name}\noutput_type: generate_until\ndataset_path: {name}.jsonl\ndoc_to_text: \"Q: {{{{q}}}}\"\ndoc_to_target: \"{{{{a}}}}\"\n{extra}");
    }

    // towns: 4 items, the filter "none" (no filter_list); the model is right on 3 (Kelso ≠ Dunmere).
    private GenerativeTask Towns() => GenerativeTask.Load(WriteTask("towns", "metric_list: [exact_match, chrf]\n",
        new { q = "Where does Ana live?", a = "Dunmere" }, new { q = "Where does Bo live?", a = "Oromar" },
        new { q = "Where does Cy live?", a = "Varenne" }, new { q = "Where does Di live?", a = "Dunmere" }));

    // first: 2 items through a named filter; "Dunmere" = target, "oromar" ≠ "Oromar" (case-sensitive).
    private GenerativeTask FirstWord() => GenerativeTask.Load(WriteTask("first",
        "filter_list: [{name: first-word, filter: [{function: strip}, {function: regex, regex_pattern: \"^(\\\\w+)\"}]}]\nmetric_list: [exact_match]\n",
        new { q = "Where does Ed live?", a = "Dunmere" }, new { q = "Where does Flo live?", a = "Oromar" }));

    private static readonly EvaluationOptions Options = new()
    {
        Limit = 4, Log = TextWriter.Null, Shots = 0,
        ModelConfig = new Dictionary<string, string> { ["backend"] = "scripted", ["device"] = "none", ["ignored"] = "x" },
    };

    [Fact]
    public async Task Generative_only_results_are_logged_with_metrics_stderr_params_and_the_results_json()
    {
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(Model, [Towns(), FirstWord()], Options);
        Assert.Empty(results.Tasks);
        Assert.Equal(["towns", "first"], results.Generative.Select(g => g.Name));
        Assert.Equal(6, results.Timing.Items);
        string store = Path.Combine(_folder.Path, "store");
        string runId;
        using (var tracker = Tracker.Open(store))
        using (var run = tracker.StartRun("generation", "quiz"))
        {
            results.LogTo(run);
            runId = run.RunId;
        }

        using var reader = Tracker.Open(store);
        Run logged = await reader.GetRunAsync(runId);
        Assert.Equal(RunStatus.Finished, logged.Info.Status);
        // Hand-computed: towns exact_match = mean(1, 1, 1, 0) = 0.75; sample variance 0.25, stderr √(0.25/4) = 0.25.
        Assert.Equal(0.75, logged.Metric("eval/towns/exact_match")!.Value, 12);
        Assert.Equal(0.25, logged.Metric("eval/towns/exact_match_stderr")!.Value, 12);
        // chrF is a corpus score: logged without a standard error.
        Assert.Equal(Chrf.Corpus(["Dunmere", "Oromar", "Varenne", "Kelso"], [["Dunmere"], ["Oromar"], ["Varenne"], ["Dunmere"]]), logged.Metric("eval/towns/chrf")!.Value, 9);
        Assert.Null(logged.Metric("eval/towns/chrf_stderr"));
        // first-word: mean(1, 0) = 0.5, sample variance 0.5, stderr √(0.5/2) = 0.5; the filter follows the metric after a slash.
        Assert.Equal(0.5, logged.Metric("eval/first/exact_match/first-word")!.Value, 12);
        Assert.Equal(0.5, logged.Metric("eval/first/exact_match_stderr/first-word")!.Value, 12);
        Assert.Equal(5, logged.Data.Metrics.Count);
        Assert.Equal("quiz", logged.Param("model"));
        Assert.Equal("towns,first", logged.Param("tasks"));
        Assert.Equal("0", logged.Param("shots"));
        Assert.Equal("4", logged.Param("limit"));
        Assert.Equal("scripted", logged.Param("backend"));
        Assert.Equal("none", logged.Param("device"));
        Assert.Null(logged.Param("ignored"));
        var json = JsonNode.Parse(await reader.ReadArtifactTextAsync(runId, EvaluationResults.ResultsArtifact))!;
        Assert.Equal(0.75, json["results"]!["towns"]!["exact_match,none"]!.GetValue<double>(), 12);
        Assert.Equal("N/A", json["results"]!["towns"]!["chrf_stderr,none"]!.GetValue<string>());
        Assert.Equal(0.5, json["results"]!["first"]!["exact_match,first-word"]!.GetValue<double>(), 12);
        Assert.Equal("generate_until", json["configs"]!["first"]!["output_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Mixed_runs_log_multiple_choice_and_generative_results_together()
    {
        // anatomy: golds A, A, B; the model always prefers A: 2/3, stderr √((1/3)/3) = 1/3 (as in TrackingAndRegistryTests).
        _folder.Write("mmlu/dev/anatomy_dev.csv", "d1,a,b,c,d,A\n");
        _folder.Write("mmlu/test/anatomy_test.csv", "q1,a,b,c,d,A\nq2,a,b,c,d,A\nq3,a,b,c,d,B\n");
        // No shots option: each task runs with its own default (anatomy 1, towns 0), as the harness does.
        var anatomy = Mmlu.LoadCsv(Path.Combine(_folder.Path, "mmlu")).Select(t => t with { DefaultShots = 1 });
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(Model, [Towns(), .. anatomy], Options with { Shots = null });
        string store = Path.Combine(_folder.Path, "store");
        string runId;
        using (var tracker = Tracker.Open(store))
        using (var run = tracker.StartRun("benchmarks", "quiz"))
        {
            results.LogTo(run);
            runId = run.RunId;
        }

        using var reader = Tracker.Open(store);
        Run logged = await reader.GetRunAsync(runId);
        Assert.Equal(2.0 / 3, logged.Metric("eval/mmlu_anatomy/acc")!.Value, 12);
        Assert.Equal(1.0 / 3, logged.Metric("eval/mmlu_anatomy/acc_stderr")!.Value, 12);
        Assert.Equal(0.75, logged.Metric("eval/towns/exact_match")!.Value, 12);
        Assert.Equal(0.25, logged.Metric("eval/towns/exact_match_stderr")!.Value, 12);
        Assert.Equal(results.MetricValues().Count(), logged.Data.Metrics.Count);
        Assert.Equal(3, results.Generative.Single().MetricValues().Count()); // towns: exact_match, its stderr, chrf
        Assert.Equal("mmlu_anatomy,towns", logged.Param("tasks"));
        Assert.Equal("mmlu_anatomy=1,towns=0", logged.Param("shots"));
        Assert.Equal("scripted", logged.Param("backend"));
        var json = JsonNode.Parse(await reader.ReadArtifactTextAsync(runId, EvaluationResults.ResultsArtifact))!;
        Assert.Equal(2.0 / 3, json["results"]!["mmlu_anatomy"]!["acc,none"]!.GetValue<double>(), 12);
        Assert.Equal(0.75, json["results"]!["towns"]!["exact_match,none"]!.GetValue<double>(), 12);
        Assert.Equal("generate_until", json["configs"]!["towns"]!["output_type"]!.GetValue<string>());
        Assert.Equal("multiple_choice", json["configs"]!["mmlu_anatomy"]!["output_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_evaluator_refuses_tasks_it_cannot_run_before_calling_the_model()
    {
        var clash = Mmlu.LoadCsv(WriteMmlu()).Select(t => t with { Name = "towns" });
        Assert.Contains("unique", (await Assert.ThrowsAsync<ArgumentException>(() => BenchmarkEvaluator.RunAsync(Model, [Towns(), .. clash], Options))).Message);
        Assert.Contains("'odd' is a OddTask; expected a BenchmarkTask or a GenerativeTask",
            (await Assert.ThrowsAsync<ArgumentException>(() => BenchmarkEvaluator.RunAsync(Model, [Towns(), new OddTask()], Options))).Message);
        Assert.Contains("No tasks", (await Assert.ThrowsAsync<ArgumentException>(() => BenchmarkEvaluator.RunAsync(Model, [], Options))).Message);
    }

    private sealed class OddTask : IEvaluationTask
    {
        public string Name => "odd";
        public string OutputType => "loglikelihood_rolling";
        public IReadOnlyList<DataProblem> Problems => [];
    }

    private string WriteMmlu()
    {
        _folder.Write("mmlu/dev/anatomy_dev.csv", "d1,a,b,c,d,A\n");
        _folder.Write("mmlu/test/anatomy_test.csv", "q1,a,b,c,d,A\n");
        return Path.Combine(_folder.Path, "mmlu");
    }

    [Fact]
    public async Task A_filter_name_with_characters_a_tracking_key_refuses_is_logged_with_them_replaced()
    {
        var task = GenerativeTask.Load(WriteTask("odd", "filter_list: [{name: \"strip,v2 (x)\", filter: [{function: strip}]}]\nmetric_list: [exact_match]\n",
            new { q = "Where does Ed live?", a = "Dunmere, by the sea." }));
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(Model, [task], Options);
        GenerativeTaskResult result = Assert.Single(results.Generative);
        using var tracker = Tracker.Open(Path.Combine(_folder.Path, "store"));
        using var run = tracker.StartRun("generation");
        results.LogTo(run);
        // The harness's key is "exact_match,strip,v2 (x)": the filter is all after the first comma.
        Assert.Equal(1.0, (await run.GetAsync()).Metric("eval/odd/exact_match/strip_v2 _x_"));
        Assert.NotNull(result.ToJson()["exact_match_stderr,strip,v2 (x)"]);
    }

    [Fact]
    public async Task Courseware_eval_logs_a_generative_only_run_and_a_mixed_run()
    {
        string yaml = _folder.Write("where.yaml", """
            task: where_cli
            output_type: generate_until
            dataset_path: where.jsonl
            doc_to_text: "Question: Where does {{person}} live?\nAnswer:"
            doc_to_target: "{{town}}"
            generation_kwargs: {until: ["\n"], max_gen_toks: 16}
            filter_list: [{name: stripped, filter: [{function: strip}]}]
            metric_list: [exact_match, chrf]
            """);
        _folder.Write("where.jsonl", "{\"person\": \"Zaezon Sionion\", \"town\": \"Dunmere\"}\n{\"person\": \"Lotom Biothur\", \"town\": \"Varenne\"}\n");
        string store = Path.Combine(_folder.Path, "store"), output = Path.Combine(_folder.Path, "results.json");
        string[] Args(string tasks, string experiment) => ["--model", Path.Combine(RepoPaths.Root, "datasets", "models", "tinygpt-small"), "--backend", "onnx", "--device", "cpu",
            "--data", Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld"), "--tasks", tasks, "--limit", "2", "--no-cache", "--out", output,
            "--tracking-uri", store, "--experiment", experiment];

        Assert.Equal(0, await EvalCommand.Create().Parse(Args(yaml, "generation")).InvokeAsync());
        var written = JsonNode.Parse(File.ReadAllText(output))!;
        using var tracker = Tracker.Open(store);
        Run generative = Assert.Single(await tracker.SearchRunsAsync("generation"));
        // What the run holds is what the results file says (the values themselves are checked by hand above).
        Assert.Equal(written["results"]!["where_cli"]!["exact_match,stripped"]!.GetValue<double>(), generative.Metric("eval/where_cli/exact_match/stripped")!.Value, 12);
        Assert.Equal(written["results"]!["where_cli"]!["chrf,stripped"]!.GetValue<double>(), generative.Metric("eval/where_cli/chrf/stripped")!.Value, 12);
        Assert.NotNull(generative.Metric("eval/where_cli/exact_match_stderr/stripped"));
        Assert.Equal(3, generative.Data.Metrics.Count);
        Assert.Equal("onnx", generative.Param("backend"));
        Assert.Equal("2", generative.Param("limit"));
        Assert.Equal("where_cli", generative.Param("tasks"));
        var artifact = JsonNode.Parse(await tracker.ReadArtifactTextAsync(generative.Info.RunId, EvaluationResults.ResultsArtifact))!;
        Assert.True(JsonNode.DeepEquals(written, artifact));

        Assert.Equal(0, await EvalCommand.Create().Parse(Args($"arc_easy,{yaml}", "mixed")).InvokeAsync());
        written = JsonNode.Parse(File.ReadAllText(output))!;
        Run mixed = Assert.Single(await tracker.SearchRunsAsync("mixed"));
        Assert.Equal(written["results"]!["arc_easy"]!["acc,none"]!.GetValue<double>(), mixed.Metric("eval/arc_easy/acc")!.Value, 12);
        Assert.Equal(written["results"]!["where_cli"]!["exact_match,stripped"]!.GetValue<double>(), mixed.Metric("eval/where_cli/exact_match/stripped")!.Value, 12);
        Assert.Equal("arc_easy,where_cli", mixed.Param("tasks"));
        artifact = JsonNode.Parse(await tracker.ReadArtifactTextAsync(mixed.Info.RunId, EvaluationResults.ResultsArtifact))!;
        Assert.True(JsonNode.DeepEquals(written, artifact));
    }
}
