using System.Text.Json.Nodes;
using Courseware.Benchmarks;
using Courseware.Cli.Commands;
using Courseware.Tests.Models;

namespace Courseware.Tests.Benchmarks;

/// <summary>
/// The task registry: built-in names come from their registrations, a learner's task file registers the same way
/// and is then loaded and evaluated by name through the path the built-ins take. Tests register into their own
/// registries (<see cref="TaskRegistry.WithBuiltIns"/>), never into <see cref="TaskRegistry.Default"/>.
/// </summary>
public class TaskRegistryTests
{
    private static readonly string Data = Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld");
    private static readonly string[] BuiltInNames = ["arc_challenge", "arc_easy", "hellaswag", "mmlu", "mmlu_records", "truthfulqa_mc1", "truthfulqa_mc2"];

    private static string WriteTask(string folder, string name, string outputType = "multiple_choice")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllLines(Path.Combine(folder, $"{name}.jsonl"),
        [
            """{"question": "Which colour is the sky?", "choices": ["blue", "green"], "answer": 0}""",
            """{"question": "Which colour is grass?", "choices": ["blue", "green"], "answer": 1}""",
        ]);
        string yaml = outputType == "generate_until"
            ? $"task: {name}\noutput_type: generate_until\ndataset_path: {name}.jsonl\ndoc_to_text: \"Q: {{{{question}}}}\\nA:\"\ndoc_to_target: \"{{{{choices[0]}}}}\"\ngeneration_kwargs: {{until: [\"\\n\"], max_gen_toks: 4}}\nmetric_list: [exact_match]\n"
            : $"task: {name}\ndataset_path: {name}.jsonl\ndoc_to_text: \"Q: {{{{question}}}}\\nA:\"\ndoc_to_choice: \"{{{{choices}}}}\"\ndoc_to_target: \"{{{{answer}}}}\"\nmetric_list: [acc]\n";
        string path = Path.Combine(folder, $"{name}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void TheRegistrysNamesAreTheBuiltInsDeclaredBesideTheirReaders()
    {
        Assert.Equal(BuiltInNames, TaskRegistry.BuiltIns.Where(d => !d.IsGroup).Select(d => d.Name));
        Assert.Equal(BuiltInNames, TaskRegistry.WithBuiltIns().Names);
        Assert.Equal(BuiltInNames, BenchmarkSuite.Names);
        Assert.Equal(["truthfulqa"], TaskRegistry.WithBuiltIns().Groups);
        Assert.Equal(["truthfulqa_mc1", "truthfulqa_mc2"], TaskRegistry.Default.Find("truthfulqa")!.Members);
        Assert.All(TaskRegistry.BuiltIns, d => Assert.NotEmpty(d.Description));
    }

    [Fact]
    public void EveryBuiltInNameAndTheGroupLoadAsBefore()
    {
        var tasks = BenchmarkSuite.Load(Data, [.. BuiltInNames, "truthfulqa", "custom/tinyworld_pets.yaml"], strict: true);
        Assert.Equal(["arc_challenge", "arc_easy", "hellaswag"], tasks.Take(3).Select(t => t.Name));
        Assert.Equal(4 + 4 + 1 + 2 + 2 + 2 + 1, tasks.Count);
        Assert.All(tasks, t => Assert.Empty(t.Problems));
        Assert.Equal(["truthfulqa_mc1", "truthfulqa_mc2", "truthfulqa_mc1", "truthfulqa_mc2", "tinyworld_pets_custom"], tasks.TakeLast(5).Select(t => t.Name));
    }

    [Fact]
    public async Task ATaskRegisteredFromAFileIsLoadedAndEvaluatedByNameLikeTheBuiltIns()
    {
        using var folder = new TempFolder();
        var registry = TaskRegistry.WithBuiltIns();
        TaskDefinition definition = registry.RegisterFile(WriteTask(Path.Combine(folder.Path, "tasks"), "colours"));
        Assert.Equal("colours", definition.Name);
        Assert.Contains("colours", registry.Names);
        Assert.DoesNotContain("colours", TaskRegistry.Default.Names);
        Assert.Same(definition, registry.RegisterFile(Path.Combine(folder.Path, "tasks", "colours.yaml"))); // same file again: a no-op

        var tasks = BenchmarkSuite.Load(registry, Data, ["arc_easy", "colours"]);
        Assert.Equal(["arc_easy", "colours"], tasks.Select(t => t.Name));
        var model = ScriptedModel.ByContinuation(new Dictionary<string, double> { [" blue"] = -1, [" green"] = -2 });
        EvaluationResults results = await BenchmarkEvaluator.RunAsync(model, [tasks[1]], new() { Log = TextWriter.Null });
        Assert.Equal(0.5, results.Tasks.Single(t => t.Name == "colours").Metrics["acc"].Value);
    }

    [Fact]
    public void TasksRegisterInCodeAndNamesAreUnique()
    {
        var registry = TaskRegistry.WithBuiltIns();
        registry.Register("arc_pair", c => TaskRegistry.Default.Load(c.DataFolder, ["arc_easy", "arc_challenge"], c.Strict), "both ARC sets");
        Assert.Equal(["arc_easy", "arc_challenge"], BenchmarkSuite.Load(registry, Data, ["arc_pair"]).Select(t => t.Name));
        Assert.Contains("already registered", Assert.Throws<ArgumentException>(() => registry.Register("mmlu", _ => [])).Message);
        Assert.Throws<ArgumentException>(() => registry.Register("a,b", _ => []));
        registry.Register(TaskDefinition.Group("loop", "a group naming itself", "loop"));
        Assert.Contains("contains itself", Assert.Throws<ArgumentException>(() => registry.Load(Data, ["loop"])).Message);
    }

    [Fact]
    public void AnUnknownNameListsTheRegisteredNames()
    {
        var registry = TaskRegistry.WithBuiltIns();
        registry.Register("mine", _ => []);
        string message = Assert.Throws<ArgumentException>(() => BenchmarkSuite.Load(registry, Data, ["mmlu_pro"])).Message;
        Assert.Contains("Unknown task 'mmlu_pro'", message);
        Assert.Contains("arc_challenge, arc_easy, hellaswag, mine, mmlu, mmlu_records, truthfulqa_mc1, truthfulqa_mc2, truthfulqa", message);
        Assert.Contains(".yaml", message);
    }

    [Fact]
    public void RegisteringAFolderNeedsATaskNameInEveryFile()
    {
        using var folder = new TempFolder();
        var registry = new TaskRegistry();
        WriteTask(Path.Combine(folder.Path, "a"), "first");
        WriteTask(Path.Combine(folder.Path, "b"), "second", "generate_until");
        Assert.Equal(["first", "second"], registry.RegisterFolder(folder.Path).Select(d => d.Name));
        // Either output type loads through one call, in the order named.
        var tasks = registry.LoadAll(Data, ["second", "first"]);
        Assert.Equal(["second", "first"], tasks.Select(t => t.Name));
        Assert.Equal([typeof(GenerativeTask), typeof(BenchmarkTask)], tasks.Select(t => t.GetType()));
        Assert.Equal(["generate_until", "multiple_choice"], tasks.Select(t => t.OutputType));
        File.WriteAllText(Path.Combine(folder.Path, "nameless.yaml"), "dataset_path: x.jsonl\n");
        Assert.Contains("'task' is required", Assert.Throws<BenchmarkDataException>(() => new TaskRegistry().RegisterFolder(folder.Path)).Message);
    }

    [Fact]
    public async Task EvalFindsTasksRegisteredFromAnIncludePath()
    {
        using var folder = new TempFolder();
        string tasks = Path.Combine(folder.Path, "tasks");
        WriteTask(tasks, "colours");
        WriteTask(tasks, "colours_gen", "generate_until");
        string output = Path.Combine(folder.Path, "results.json");
        int exit = await EvalCommand.Create().Parse([
            "--model", Path.Combine(RepoPaths.Root, "datasets", "models", "tinygpt-small"), "--backend", "onnx", "--device", "cpu", "--data", Data,
            "--include-path", tasks, "--tasks", "colours,colours_gen", "--no-cache", "--out", output]).InvokeAsync();
        Assert.Equal(0, exit);
        var json = JsonNode.Parse(File.ReadAllText(output))!;
        Assert.NotNull(json["results"]!["colours"]!["acc,none"]);
        Assert.NotNull(json["results"]!["colours_gen"]);
        Assert.DoesNotContain("colours", TaskRegistry.Default.Names);
        Assert.Equal(2, await EvalCommand.Create().Parse(["--model", "x", "--data", Data, "--tasks", "colours"]).InvokeAsync());
    }
}
