using System.Text.Json;
using System.Text.Json.Nodes;

namespace Courseware.Benchmarks;

/// <summary>
/// MMLU (Hendrycks et al. 2021) as lm-evaluation-harness runs it: one task per subject named mmlu_{subject}, grouped
/// into mmlu_{category} and mmlu; prompt "{question}\nA. …\nB. …\nC. …\nD. …\nAnswer:" scored on " A".." D"; the
/// per-subject description; few-shot examples are the first n of the dev split; metric acc.
/// Reads the original release (headerless CSV per subject in dev/val/test folders) and HF-style records
/// (<c>cais/mmlu</c>: question, subject, choices[4], answer 0–3) as JSON Lines.
/// </summary>
/// <example><code>var tasks = Mmlu.LoadCsv("data/mmlu");  // data/mmlu/{dev,test}/{subject}_{split}.csv</code></example>
public static class Mmlu
{
    [BuiltInTask]
    internal static readonly TaskDefinition Definition = TaskDefinition.Create("mmlu",
        c => LoadCsv(c.Data("mmlu"), strict: c.Strict), "MMLU from mmlu/{dev,test}/*.csv, one task per subject");

    [BuiltInTask]
    internal static readonly TaskDefinition RecordsDefinition = TaskDefinition.Create("mmlu_records",
        c => LoadRecords(c.Data("mmlu_records", "test.jsonl"), c.Optional("mmlu_records", "dev.jsonl"), strict: c.Strict),
        "MMLU from mmlu_records/test.jsonl (+ dev.jsonl), one task per subject");

    /// <summary>
    /// The 57 subjects and their category, exactly as lm-evaluation-harness's lm_eval/tasks/mmlu/_generate_configs.py
    /// maps them (EleutherAI/lm-evaluation-harness@3c511e38, SUBJECTS).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Categories = new Dictionary<string, string>
    {
        ["abstract_algebra"] = "stem", ["anatomy"] = "stem", ["astronomy"] = "stem", ["business_ethics"] = "other",
        ["clinical_knowledge"] = "other", ["college_biology"] = "stem", ["college_chemistry"] = "stem",
        ["college_computer_science"] = "stem", ["college_mathematics"] = "stem", ["college_medicine"] = "other",
        ["college_physics"] = "stem", ["computer_security"] = "stem", ["conceptual_physics"] = "stem",
        ["econometrics"] = "social_sciences", ["electrical_engineering"] = "stem", ["elementary_mathematics"] = "stem",
        ["formal_logic"] = "humanities", ["global_facts"] = "other", ["high_school_biology"] = "stem",
        ["high_school_chemistry"] = "stem", ["high_school_computer_science"] = "stem",
        ["high_school_european_history"] = "humanities", ["high_school_geography"] = "social_sciences",
        ["high_school_government_and_politics"] = "social_sciences", ["high_school_macroeconomics"] = "social_sciences",
        ["high_school_mathematics"] = "stem", ["high_school_microeconomics"] = "social_sciences",
        ["high_school_physics"] = "stem", ["high_school_psychology"] = "social_sciences", ["high_school_statistics"] = "stem",
        ["high_school_us_history"] = "humanities", ["high_school_world_history"] = "humanities", ["human_aging"] = "other",
        ["human_sexuality"] = "social_sciences", ["international_law"] = "humanities", ["jurisprudence"] = "humanities",
        ["logical_fallacies"] = "humanities", ["machine_learning"] = "stem", ["management"] = "other", ["marketing"] = "other",
        ["medical_genetics"] = "other", ["miscellaneous"] = "other", ["moral_disputes"] = "humanities",
        ["moral_scenarios"] = "humanities", ["nutrition"] = "other", ["philosophy"] = "humanities", ["prehistory"] = "humanities",
        ["professional_accounting"] = "other", ["professional_law"] = "humanities", ["professional_medicine"] = "other",
        ["professional_psychology"] = "social_sciences", ["public_relations"] = "social_sciences",
        ["security_studies"] = "social_sciences", ["sociology"] = "social_sciences", ["us_foreign_policy"] = "social_sciences",
        ["virology"] = "other", ["world_religions"] = "humanities",
    };

    /// <summary>A sidecar file that maps subjects outside the 57 (for example the course's fictional ones) to a category: {"subject": "category"}.</summary>
    public const string CategoriesFile = "categories.json";

    private static readonly string[] Letters = ["A", "B", "C", "D"];

    /// <summary>The harness's description for a subject: "The following are multiple choice questions (with answers) about {subject with spaces}.\n\n".</summary>
    public static string Description(string subject) =>
        $"The following are multiple choice questions (with answers) about {subject.Replace('_', ' ')}.\n\n";

    /// <summary>The harness's prompt: "{question.strip()}\nA. {c0}\nB. {c1}\nC. {c2}\nD. {c3}\nAnswer:".</summary>
    public static string Prompt(string question, IReadOnlyList<string> choices) =>
        question.Trim() + "\n" + string.Concat(choices.Select((c, i) => $"{Letters[i]}. {c}\n")) + "Answer:";

    /// <summary>
    /// The original release: <paramref name="folder"/>/{split}/{subject}_{split}.csv (no header: question,A,B,C,D,answer
    /// letter) plus dev/{subject}_dev.csv for few-shot examples. One task per subject, sorted by name.
    /// </summary>
    /// <param name="folder">The folder holding dev/, val/ and test/.</param>
    /// <param name="split">"test" (what the harness scores) or "val".</param>
    /// <param name="prefix">Task and group name prefix ("mmlu" gives mmlu_anatomy, mmlu_stem, mmlu).</param>
    /// <param name="strict">Fail on the first malformed row instead of skipping it.</param>
    public static IReadOnlyList<BenchmarkTask> LoadCsv(string folder, string split = "test", string prefix = "mmlu", bool strict = false)
    {
        string splitFolder = Path.Combine(folder, split);
        if (!Directory.Exists(splitFolder)) throw new BenchmarkDataException($"{splitFolder}: folder not found (expected {folder}/{split}/{{subject}}_{split}.csv).");
        var categories = ReadCategories(folder);
        var tasks = new List<BenchmarkTask>();
        foreach (string file in Directory.GetFiles(splitFolder, $"*_{split}.csv").Order(StringComparer.Ordinal))
        {
            string subject = Path.GetFileName(file)[..^$"_{split}.csv".Length];
            var (documents, problems) = ReadCsv(file, subject, strict);
            string devFile = Path.Combine(folder, "dev", $"{subject}_dev.csv");
            var (dev, devProblems) = File.Exists(devFile) ? ReadCsv(devFile, subject, strict) : ([], []);
            tasks.Add(SubjectTask(prefix, subject, categories, documents, dev, [.. problems, .. devProblems], file));
        }
        if (tasks.Count == 0) throw new BenchmarkDataException($"{splitFolder}: no *_{split}.csv files.");
        return tasks;
    }

    /// <summary>HF-style records (<c>cais/mmlu</c>): JSON Lines with question, subject, choices (4 strings) and answer (0–3); dev records give the few-shot examples.</summary>
    public static IReadOnlyList<BenchmarkTask> LoadRecords(string testFile, string? devFile = null, string prefix = "mmlu", bool strict = false)
    {
        var categories = ReadCategories(Path.GetDirectoryName(Path.GetFullPath(testFile))!);
        var (test, problems) = ReadRecords(testFile, strict);
        var (dev, devProblems) = devFile is null ? ([], []) : ReadRecords(devFile, strict);
        return test.GroupBy(d => d.Subject!).OrderBy(g => g.Key, StringComparer.Ordinal)
            // Malformed rows have no trustworthy subject: the first task carries the file's problems, once.
            .Select((g, i) => SubjectTask(prefix, g.Key, categories, g.ToList(), dev.Where(d => d.Subject == g.Key).ToList(),
                i == 0 ? [.. problems, .. devProblems] : [], testFile))
            .ToList();
    }

    private static BenchmarkTask SubjectTask(string prefix, string subject, IReadOnlyDictionary<string, string> categories,
        IReadOnlyList<BenchmarkDocument> documents, IReadOnlyList<BenchmarkDocument> dev, IReadOnlyList<DataProblem> problems, string source)
    {
        if (!categories.TryGetValue(subject, out string? category))
            throw new BenchmarkDataException($"{source}: subject '{subject}' is not one of MMLU's 57 subjects and {CategoriesFile} does not map it to a category.");
        return new BenchmarkTask
        {
            Name = $"{prefix}_{subject}",
            Groups = [$"{prefix}_{category}", prefix],
            Description = Description(subject),
            Documents = documents,
            FewShotDocuments = dev,
            Sampler = FewShotSampler.FirstN,
            Metrics = ["acc"],
            Version = 1.0,
            DataSource = source,
            Problems = problems,
        };
    }

    private static Dictionary<string, string> ReadCategories(string folder)
    {
        var map = new Dictionary<string, string>(Categories);
        string path = Path.Combine(folder, CategoriesFile);
        if (!File.Exists(path)) return map;
        try
        {
            foreach (var (subject, category) in JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? [])
                map[subject] = category;
        }
        catch (JsonException e)
        {
            throw new BenchmarkDataException($"{path}: expected {{\"subject\": \"category\", ...}} ({e.Message}).", inner: e);
        }
        return map;
    }

    private static (List<BenchmarkDocument>, IReadOnlyList<DataProblem>) ReadCsv(string file, string subject, bool strict)
    {
        var reader = new RowReader(file, strict);
        var documents = new List<BenchmarkDocument>();
        foreach (var (line, fields) in reader.CsvRecords())
        {
            if (fields.Count != 6)
            {
                reader.Problem(line, $"expected 6 columns (question,A,B,C,D,answer); found {fields.Count}");
                continue;
            }
            int gold = Array.IndexOf(Letters, fields[5].Trim());
            if (gold < 0)
            {
                reader.Problem(line, $"answer '{fields[5]}' is not one of A, B, C, D");
                continue;
            }
            documents.Add(Document($"{Path.GetFileName(file)}:{line}", fields[0], fields.GetRange(1, 4), gold, subject, $"{file}:{line}"));
        }
        reader.RequireRows(documents.Count);
        return (documents, reader.Problems);
    }

    private static (List<BenchmarkDocument>, IReadOnlyList<DataProblem>) ReadRecords(string file, bool strict)
    {
        var reader = new RowReader(file, strict);
        var documents = new List<BenchmarkDocument>();
        foreach (var (line, row) in reader.JsonRows())
        {
            string? question = JsonFields.String(row, "question"), subject = JsonFields.String(row, "subject");
            List<string>? choices = JsonFields.Strings(row["choices"]);
            int? answer = JsonFields.Integer(row["answer"]);
            if (question is null || subject is null) { reader.Problem(line, "expected string fields 'question' and 'subject'"); continue; }
            if (choices is not { Count: 4 }) { reader.Problem(line, $"expected 'choices' to be 4 strings; found {JsonFields.Describe(row["choices"])}"); continue; }
            if (answer is not (>= 0 and <= 3)) { reader.Problem(line, $"expected 'answer' 0-3; found {JsonFields.Describe(row["answer"])}"); continue; }
            documents.Add(Document($"{Path.GetFileName(file)}:{line}", question, choices, answer.Value, subject, $"{file}:{line}"));
        }
        reader.RequireRows(documents.Count);
        return (documents, reader.Problems);
    }

    private static BenchmarkDocument Document(string id, string question, IReadOnlyList<string> choices, int gold, string subject, string source) =>
        new(id, Prompt(question, choices), Letters, gold) { Subject = subject, DecontaminationText = question, Source = source };
}
