using System.Text.Json;
using Courseware.Benchmarks;
using Courseware.Evaluation;
using Courseware.Models;
using Courseware.Tests.Models;

namespace Courseware.Tests.Benchmarks;

public sealed class GenerativeTaskTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("generative-task-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Answers each prompt from a table and records the requests; what a real model would generate is tested below.</summary>
    private sealed class TableModel(IReadOnlyDictionary<string, string> answers) : ILanguageModel
    {
        public List<GenerationRequest> Requests { get; } = [];
        public string Name => "table";
        public Microsoft.ML.Tokenizers.Tokenizer Tokenizer => ScriptedModel.Characters;
        public int MaxContextLength => 4096;
        public Task<IReadOnlyList<LogLikelihood>> LogLikelihoodAsync(IReadOnlyList<LogLikelihoodRequest> requests, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
        public Task<IReadOnlyList<Generation>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
        {
            Requests.AddRange(requests);
            return Task.FromResult<IReadOnlyList<Generation>>([.. requests.Select(r => new Generation(answers[r.Prompt.Split("Q: ")[^1]], 1, FinishReason.Stop, 0))]);
        }
        public void Dispose() { }
    }

    private string Write(string yaml, params object[] rows)
    {
        File.WriteAllLines(Path.Combine(_folder, "data.jsonl"), rows.Select(r => JsonSerializer.Serialize(r)));
        string path = Path.Combine(_folder, "task.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private const string Yaml = """
        task: towns_gen
        output_type: generate_until
        dataset_path: data.jsonl
        doc_to_text: "Q: {{q}}"
        doc_to_target: "{{a}}"
        generation_kwargs: {until: ["\n"], max_gen_toks: 12, temperature: 0}
        filter_list:
          - name: first-word
            filter: [{function: strip}, {function: regex, regex_pattern: "^(\\w+)"}]
        metric_list: [exact_match, {metric: exact_match, ignore_case: true, ignore_punctuation: true}, token_f1, bleu]
        """;

    [Fact]
    public async Task Generations_are_filtered_and_scored_as_computed_by_hand()
    {
        var task = GenerativeTask.Load(Write(Yaml,
            new { q = "Where does Ana live?", a = "Dunmere" },
            new { q = "Where does Bo live?", a = "Oromar" },
            new { q = "Where does Cy live?", a = new[] { "Varenne", "Varenne town" } }));
        var model = new TableModel(new Dictionary<string, string>
        {
            ["Where does Ana live?"] = " Dunmere, by the sea.",
            ["Where does Bo live?"] = " oromar",
            ["Where does Cy live?"] = " Varenne town",
        });
        var result = await task.RunAsync(model);

        Assert.All(model.Requests, r => Assert.Equal(["\n"], r.Options.Stop));
        Assert.Equal(12, model.Requests[0].Options.MaxNewTokens);
        Assert.Equal(["Varenne", "Varenne town"], task.Documents[2].Targets);
        Assert.Equal(["Dunmere", "oromar", "Varenne"], result.Samples.Select(s => s.Filtered["first-word"]));
        // Raw text (filter "none" is not run when a filter_list is given): exact, case-sensitive equality.
        // first-word: "Dunmere" = target; "oromar" ≠ "Oromar" unless ignore_case; "Varenne" = first target.
        Assert.Equal([1.0, 0, 1], result.Scores("exact_match,first-word"));
        Assert.Equal([1.0, 1, 1], result.Scores("exact_match_ignore_case_ignore_punctuation,first-word"));
        Assert.Equal(2.0 / 3, result.Metrics["exact_match,first-word"].Value, 12);
        // Sample standard error of (1, 0, 1): sqrt(1/3 / 3) = 1/3.
        Assert.Equal(1.0 / 3, result.Metrics["exact_match,first-word"].StandardError, 12);
        Assert.Equal(AnswerMatch.TokenF1("Varenne", "Varenne", "Varenne town"), result.Scores("token_f1,first-word")[2], 12);
        double bleu = Bleu.Corpus(["Dunmere", "oromar", "Varenne"], [["Dunmere"], ["Oromar"], ["Varenne", "Varenne town"]]).Score;
        Assert.Equal(bleu, result.Metrics["bleu,first-word"].Value, 12);
        Assert.True(double.IsNaN(result.Metrics["bleu,first-word"].StandardError));
        Assert.Throws<KeyNotFoundException>(() => result.Scores("bleu,first-word"));
    }

    [Fact]
    public async Task Without_filters_the_raw_generation_is_scored_and_few_shot_examples_lead_the_prompt()
    {
        File.WriteAllLines(Path.Combine(_folder, "dev.jsonl"), [JsonSerializer.Serialize(new { q = "Where does Di live?", a = "Calder" })]);
        var task = GenerativeTask.Load(Write("""
            task: raw
            dataset_path: data.jsonl
            fewshot_path: dev.jsonl
            num_fewshot: 1
            doc_to_text: "Q: {{q}}\nA:"
            doc_to_target: "{{a}}"
            metric_list: [exact_match]
            """, new { q = "Where does Ana live?", a = "Dunmere" }));
        var model = new TableModel(new Dictionary<string, string> { ["Where does Ana live?\nA:"] = " Dunmere" });
        var result = await task.RunAsync(model);
        Assert.Equal("Q: Where does Di live?\nA: Calder\n\nQ: Where does Ana live?\nA:", model.Requests[0].Prompt);
        Assert.Equal(["\n\n"], model.Requests[0].Options.Stop); // the harness's default until
        Assert.Equal(0, result.Metrics["exact_match,none"].Value); // " Dunmere" keeps its space
    }

    [Fact]
    public async Task A_real_checkpoint_generates_what_it_generates_alone()
    {
        // The fictional world's first 12 lives_in facts, answered by tinygpt-small; exact match after strip is
        // recomputed here from an independent GenerateAsync call with the same prompt and settings.
        var facts = File.ReadLines(Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld", "facts.csv")).Skip(1)
            .Select(l => l.Split(',')).Where(f => f[1] == "lives_in").Take(12).ToList();
        var task = GenerativeTask.Load(Write("""
            task: where
            dataset_path: data.jsonl
            doc_to_text: "Question: Where does {{person}} live?\nAnswer:"
            doc_to_target: "{{town}}"
            generation_kwargs: {until: ["\n"], max_gen_toks: 16}
            filter_list: [{name: stripped, filter: [{function: take_first_line}, {function: strip}]}]
            metric_list: [exact_match, token_f1]
            """, [.. facts.Select(f => (object)new { person = f[2], town = f[3] })]));
        using var model = TinyGpt.Load(Path.Combine(RepoPaths.Root, "datasets", "models", "tinygpt-small"), "cpu");
        model.Log = TextWriter.Null;
        var result = await task.RunAsync(model);

        var alone = await model.GenerateAsync([.. facts.Select(f => new GenerationRequest($"Question: Where does {f[2]} live?\nAnswer:", GenerationOptions.Greedy(16, "\n")))]);
        double[] expected = [.. facts.Select((f, i) => alone[i].Text.Trim() == f[3] ? 1.0 : 0.0)];
        Assert.Equal(alone.Select(g => g.Text), result.Samples.Select(s => s.Generation));
        Assert.Equal(expected, result.Scores("exact_match,stripped"));
        Assert.Equal(expected.Average(), result.Metrics["exact_match,stripped"].Value, 12);
    }

    [Fact]
    public async Task Courseware_eval_runs_a_generative_task_file_next_to_the_built_in_tasks()
    {
        string yaml = Write("""
            task: where_cli
            output_type: generate_until
            dataset_path: data.jsonl
            doc_to_text: "Question: Where does {{person}} live?\nAnswer:"
            doc_to_target: "{{town}}"
            generation_kwargs: {until: ["\n"], max_gen_toks: 16}
            filter_list: [{name: stripped, filter: [{function: strip}]}]
            metric_list: [exact_match, chrf]
            """, new { person = "Zaezon Sionion", town = "Dunmere" }, new { person = "Lotom Biothur", town = "Varenne" }, new { person = "Nobody", town = "Oromar" });
        string output = Path.Combine(_folder, "results.json");
        string data = Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld");
        int exit = await Courseware.Cli.Commands.EvalCommand.Create().Parse([
            "--model", Path.Combine(RepoPaths.Root, "datasets", "models", "tinygpt-small"), "--backend", "onnx", "--device", "cpu", "--data", data,
            "--tasks", $"arc_easy,{yaml}", "--limit", "2", "--no-cache", "--out", output]).InvokeAsync();
        Assert.Equal(0, exit);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(output))!;
        var where = json["results"]!["where_cli"]!;
        double em = where["exact_match,stripped"]!.GetValue<double>();
        Assert.Contains(em, new[] { 0, 0.5, 1 }); // --limit 2: two items
        Assert.Equal("N/A", where["chrf_stderr,stripped"]!.GetValue<string>());
        Assert.Equal("generate_until", json["configs"]!["where_cli"]!["output_type"]!.GetValue<string>());
        Assert.NotNull(json["results"]!["arc_easy"]!["acc,none"]);
    }

    [Theory]
    [InlineData("metric_list: [accuracy]", "metric 'accuracy' is not supported")]
    [InlineData("metric_list: []", "metric_list is required")]
    [InlineData("metric_list: [exact_match]\noutput_type: multiple_choice", "load multiple-choice tasks with CustomTask.Load")]
    [InlineData("metric_list: [exact_match]\ngeneration_kwargs: {top_p: 0.9}", "generation_kwargs.top_p is not supported")]
    [InlineData("metric_list: [exact_match]\nfilter_list: [{name: x, filter: [{function: upper}]}]", "filter_list[0].filter[0].function must be one of")]
    [InlineData("metric_list: [exact_match]\nfilter_list: [{name: x, filter: [{function: regex, regex_pattern: \"(\"}]}]", "filter_list[0].filter[0].regex_pattern is not a valid regular expression")]
    [InlineData("metric_list: [exact_match]\nnum_fewshot: 2", "num_fewshot is 2 but fewshot_path has 0 items")]
    public void Bad_descriptions_are_named(string extra, string expected)
    {
        string path = Write("task: t\ndataset_path: data.jsonl\ndoc_to_text: \"Q: {{q}}\"\ndoc_to_target: \"{{a}}\"\n" + extra, new { q = "x", a = "y" });
        var e = Assert.Throws<BenchmarkDataException>(() => GenerativeTask.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("task.yaml", e.Message);
    }

    [Theory]
    // The harness's RegexFilter: findall, pick match group_select, first non-empty group, strip, else the fallback.
    [InlineData("The answer is 42. Final: 7", @"(\d+)", 0, "42")]
    [InlineData("The answer is 42. Final: 7", @"(\d+)", -1, "7")]
    [InlineData("A: Dunmere ", @"A:(.*)", 0, "Dunmere")]
    [InlineData("no digits", @"(\d+)", 0, "[invalid]")]
    [InlineData("x=", @"x=(\d*)", 0, "[invalid]")]
    [InlineData("ab", "b", 0, "b")]
    public void Regex_steps_follow_the_harness(string text, string pattern, int matchIndex, string expected) =>
        Assert.Equal(expected, new AnswerFilter("regex", pattern, matchIndex).Apply(text));

    [Theory]
    // Python's str.lower (the harness's lowercase filter): final sigma at a word's end, İ → i + U+0307 ('ΟΔΟΣ'.lower() == 'οδος').
    [InlineData("ΟΔΟΣ ΟΔΟΣ.", "οδος οδος.")]
    [InlineData("İSTANBUL", "i\u0307stanbul")]
    public void The_lowercase_step_lowercases_as_python_does(string text, string expected) =>
        Assert.Equal(expected, new AnswerFilter("lowercase").Apply(text));

    [Fact]
    public void The_multiple_choice_loader_points_a_generative_task_to_its_own_loader() =>
        Assert.Contains("load it with GenerativeTask.Load", Assert.Throws<BenchmarkDataException>(() => CustomTask.Load(Write(Yaml, new { q = "a", a = "b" }))).Message);

    [Fact]
    public void A_row_without_the_target_field_is_skipped_with_its_line()
    {
        var task = GenerativeTask.Load(Write(Yaml, new { q = "a", a = "b" }, new { q = "c" }));
        Assert.Single(task.Documents);
        Assert.Contains("'a' is missing", Assert.Single(task.Problems).ToString());
    }
}
