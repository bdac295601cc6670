namespace Courseware.Benchmarks;

/// <summary>
/// Loads tasks by name from a data folder laid out like the downloads, resolving each name through a
/// <see cref="TaskRegistry"/> (<see cref="TaskRegistry.Default"/> unless one is given). The built-in names read
/// mmlu/{dev,test}/*.csv (or mmlu_records/test.jsonl + dev.jsonl), hellaswag/hellaswag_val.jsonl (+ hellaswag_train.jsonl),
/// arc/ARC-Easy-Test.jsonl, arc/ARC-Challenge-Test.jsonl, truthfulqa/truthfulqa_mc.jsonl (the group truthfulqa is
/// truthfulqa_mc1 and truthfulqa_mc2); a registered task loads as it was registered; any other name is a path to a
/// custom task description (.yaml/.yml/.json).
/// </summary>
/// <example><code>var tasks = BenchmarkSuite.Load("datasets/benchmarks/tinyworld", "mmlu", "hellaswag");</code></example>
public static class BenchmarkSuite
{
    /// <summary>The task names <see cref="Load(string, IEnumerable{string}, bool)"/> understands besides groups and custom task files: those of <see cref="TaskRegistry.Default"/>.</summary>
    public static IReadOnlyList<string> Names => TaskRegistry.Default.Names;

    /// <summary>Loads each named task (a name may expand to many, e.g. mmlu to one task per subject).</summary>
    public static IReadOnlyList<BenchmarkTask> Load(string dataFolder, params string[] names) => Load(dataFolder, names, strict: false);

    /// <summary>Loads each named task; <paramref name="strict"/> fails on the first malformed row.</summary>
    public static IReadOnlyList<BenchmarkTask> Load(string dataFolder, IEnumerable<string> names, bool strict) =>
        TaskRegistry.Default.Load(dataFolder, names, strict);

    /// <summary>Loads each named task through <paramref name="registry"/>; <paramref name="strict"/> fails on the first malformed row.</summary>
    public static IReadOnlyList<BenchmarkTask> Load(TaskRegistry registry, string dataFolder, IEnumerable<string> names, bool strict = false) =>
        registry.Load(dataFolder, names, strict);
}
