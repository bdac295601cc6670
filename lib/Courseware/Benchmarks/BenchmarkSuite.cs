namespace Courseware.Benchmarks;

/// <summary>
/// Loads tasks by the harness's names from a data folder laid out like the downloads:
/// mmlu/{dev,test}/*.csv (or mmlu_records/test.jsonl + dev.jsonl), hellaswag/hellaswag_val.jsonl (+ hellaswag_train.jsonl),
/// arc/ARC-Easy-Test.jsonl, arc/ARC-Challenge-Test.jsonl, truthfulqa/truthfulqa_mc.jsonl; any other name is a path to a
/// custom task description (.yaml/.yml/.json).
/// </summary>
/// <example><code>var tasks = BenchmarkSuite.Load("datasets/benchmarks/tinyworld", "mmlu", "hellaswag");</code></example>
public static class BenchmarkSuite
{
    /// <summary>The names <see cref="Load(string, IEnumerable{string}, bool)"/> understands besides custom task files.</summary>
    public static readonly IReadOnlyList<string> Names = ["mmlu", "mmlu_records", "hellaswag", "arc_easy", "arc_challenge", "truthfulqa_mc1", "truthfulqa_mc2"];

    /// <summary>Loads each named task (a name may expand to many, e.g. mmlu to one task per subject).</summary>
    public static IReadOnlyList<BenchmarkTask> Load(string dataFolder, params string[] names) => Load(dataFolder, names, strict: false);

    /// <summary>Loads each named task; <paramref name="strict"/> fails on the first malformed row.</summary>
    public static IReadOnlyList<BenchmarkTask> Load(string dataFolder, IEnumerable<string> names, bool strict)
    {
        var tasks = new List<BenchmarkTask>();
        foreach (string name in names.Select(n => n.Trim()).Where(n => n.Length > 0))
        {
            string Data(params string[] parts) => Path.Combine([dataFolder, .. parts]);
            string? Optional(string path) => File.Exists(path) ? path : null;
            switch (name)
            {
                case "mmlu":
                    tasks.AddRange(Mmlu.LoadCsv(Data("mmlu"), strict: strict));
                    break;
                case "mmlu_records":
                    tasks.AddRange(Mmlu.LoadRecords(Data("mmlu_records", "test.jsonl"), Optional(Data("mmlu_records", "dev.jsonl")), strict: strict));
                    break;
                case "hellaswag":
                    tasks.Add(HellaSwag.Load(Data("hellaswag", "hellaswag_val.jsonl"), Optional(Data("hellaswag", "hellaswag_train.jsonl")), strict: strict));
                    break;
                case "arc_easy":
                    tasks.Add(Arc.Load(Data("arc", "ARC-Easy-Test.jsonl"), "arc_easy", Optional(Data("arc", "ARC-Easy-Train.jsonl")), strict));
                    break;
                case "arc_challenge":
                    tasks.Add(Arc.Load(Data("arc", "ARC-Challenge-Test.jsonl"), "arc_challenge", Optional(Data("arc", "ARC-Challenge-Train.jsonl")), strict));
                    break;
                case "truthfulqa_mc1" or "truthfulqa_mc2" or "truthfulqa":
                    var (mc1, mc2) = TruthfulQA.Load(Data("truthfulqa", "truthfulqa_mc.jsonl"), strict);
                    if (name != "truthfulqa_mc2") tasks.Add(mc1);
                    if (name != "truthfulqa_mc1") tasks.Add(mc2);
                    break;
                default:
                    if (name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                    {
                        tasks.Add(CustomTask.Load(File.Exists(name) ? name : Data(name), strict));
                        break;
                    }
                    throw new ArgumentException($"Unknown task '{name}'; expected one of {string.Join(", ", Names)}, truthfulqa, or a custom task file (.yaml/.json).", nameof(names));
            }
        }
        return tasks;
    }
}
