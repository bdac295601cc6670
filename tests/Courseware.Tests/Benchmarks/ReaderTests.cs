using Courseware.Benchmarks;

namespace Courseware.Tests.Benchmarks;

public class ReaderTests
{
    [Fact]
    public void MmluCsvReadsQuotedFieldsAndReportsBadRowsWithLines()
    {
        using var folder = new TempFolder();
        string file = folder.Write("test/virology_test.csv",
            "\"Which, if any,\nis a virus?\",HIV,\"the \"\"common\"\" cold\",both,neither,C\n" + // lines 1-2
            "Too few,a,b,c,D\n" +                                                            // line 3: 5 columns
            "Bad letter,a,b,c,d,E\n" +                                                       // line 4
            "\n" +
            "Fine?,a,b,c,d, D \n");                                                          // line 6
        BenchmarkTask task = Assert.Single(Mmlu.LoadCsv(folder.Path));
        Assert.Equal(2, task.Documents.Count);
        Assert.Equal("Which, if any,\nis a virus?\nA. HIV\nB. the \"common\" cold\nC. both\nD. neither\nAnswer:", task.Documents[0].Query);
        Assert.Equal(2, task.Documents[0].Gold);
        Assert.Equal(3, task.Documents[1].Gold);
        Assert.Equal($"{file}:6", task.Documents[1].Source);
        Assert.Equal(["mmlu_other", "mmlu"], task.Groups);
        Assert.Collection(task.Problems,
            p => Assert.Equal($"{file}:3: expected 6 columns (question,A,B,C,D,answer); found 5", p.ToString()),
            p => Assert.Equal($"{file}:4: answer 'E' is not one of A, B, C, D", p.ToString()));
    }

    [Fact]
    public void StrictModeAndAllBadRowsFailTheTask()
    {
        using var folder = new TempFolder();
        string file = folder.Write("test/anatomy_test.csv", "ok,a,b,c,d,A\nbad,a,b,c,d,Z\n");
        var strict = Assert.Throws<BenchmarkDataException>(() => Mmlu.LoadCsv(folder.Path, strict: true));
        Assert.StartsWith($"{file}:2: answer 'Z'", strict.Message);
        folder.Write("test/anatomy_test.csv", "bad,a,b,c,d,Z\n");
        var none = Assert.Throws<BenchmarkDataException>(() => Mmlu.LoadCsv(folder.Path));
        Assert.Contains("no usable benchmark rows (all 1 rows are malformed", none.Message);
        Assert.Contains("not found", Assert.Throws<BenchmarkDataException>(() => Mmlu.LoadCsv(Path.Combine(folder.Path, "missing"))).Message);
    }

    [Fact]
    public void UnknownSubjectNeedsACategoryFile()
    {
        using var folder = new TempFolder();
        folder.Write("test/dragons_test.csv", "q,a,b,c,d,A\n");
        Assert.Contains("subject 'dragons' is not one of MMLU's 57 subjects", Assert.Throws<BenchmarkDataException>(() => Mmlu.LoadCsv(folder.Path)).Message);
        folder.Write("categories.json", "{\"dragons\": \"stem\"}");
        Assert.Equal(["mmlu_stem", "mmlu"], Assert.Single(Mmlu.LoadCsv(folder.Path)).Groups);
    }

    [Fact]
    public void MmluRecordsGroupBySubject()
    {
        using var folder = new TempFolder();
        string test = folder.Write("test.jsonl",
            "{\"question\":\"Q1\",\"subject\":\"anatomy\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"answer\":3}\n" +
            "{\"question\":\"Q2\",\"subject\":\"marketing\",\"choices\":[\"a\",\"b\",\"c\"],\"answer\":0}\n" +
            "{\"question\":\"Q3\",\"subject\":\"marketing\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"answer\":\"1\"}\n" +
            "not json\n");
        var tasks = Mmlu.LoadRecords(test);
        Assert.Equal(["mmlu_anatomy", "mmlu_marketing"], tasks.Select(t => t.Name));
        Assert.Equal(3, tasks[0].Documents[0].Gold);
        Assert.Equal(1, tasks[1].Documents[0].Gold);
        Assert.Equal(2, tasks[0].Problems.Count);
        Assert.StartsWith($"{test}:2: expected 'choices' to be 4 strings", tasks[0].Problems[0].ToString());
        Assert.StartsWith($"{test}:4: not valid JSON", tasks[0].Problems[1].ToString());
        Assert.Empty(tasks[1].Problems);
    }

    [Fact]
    public void HellaSwagRowsNeedFourEndingsAndALabel()
    {
        using var folder = new TempFolder();
        string file = folder.Write("val.jsonl",
            "{\"ind\":4,\"activity_label\":\"Roof shingle removal\",\"ctx_a\":\"A man is sitting on a roof.\",\"ctx_b\":\"he\",\"endings\":[\"is using wrap to wrap a pair of skis.\",\" [step] starts pulling up roofing on a roof.\",\"c\",\"d\"],\"label\":\"3\"}\n" +
            "{\"ind\":5,\"activity_label\":\"x\",\"ctx_a\":\"y\",\"ctx_b\":\"z\",\"endings\":[\"a\",\"b\",\"c\"],\"label\":0}\n" +
            "{\"ind\":6,\"activity_label\":\"x\",\"ctx_a\":\"y\",\"ctx_b\":\"z\",\"endings\":[\"a\",\"b\",\"c\",\"d\"],\"label\":7}\n" +
            "{\"ind\":7,\"ctx_a\":\"y\",\"ctx_b\":\"z\",\"endings\":[\"a\",\"b\",\"c\",\"d\"],\"label\":0}\n");
        BenchmarkTask task = HellaSwag.Load(file);
        BenchmarkDocument doc = Assert.Single(task.Documents);
        Assert.Equal("hellaswag-4", doc.Id);
        Assert.Equal("Roof shingle removal: A man is sitting on a roof. He", doc.Query);
        // strip() runs before the brackets go, so the space after "[step]" stays, as in the harness.
        Assert.Equal(" starts pulling up roofing on a roof.", doc.Choices[1]);
        Assert.Equal(3, doc.Gold);
        Assert.Equal(["acc", "acc_norm"], task.Metrics);
        Assert.Equal([2, 3, 4], task.Problems.Select(p => p.Line));
        Assert.Contains("expected 'endings' to be 4 strings", task.Problems[0].Message);
        Assert.Contains("expected 'label' 0-3; found 7", task.Problems[1].Message);
        Assert.Contains("'activity_label'", task.Problems[2].Message);
    }

    [Fact]
    public void ArcReadsRawAndHfLayoutsAndChecksTheAnswerKey()
    {
        using var folder = new TempFolder();
        string raw = folder.Write("raw.jsonl",
            "{\"id\":\"Mercury_1\",\"question\":{\"stem\":\"Which is a gas?\",\"choices\":[{\"text\":\"ice\",\"label\":\"A\"},{\"text\":\"steam\",\"label\":\"B\"}]},\"answerKey\":\"B\"}\n" +
            "{\"id\":\"Mercury_2\",\"question\":{\"stem\":\"Odd?\",\"choices\":[{\"text\":\"x\",\"label\":\"A\"},{\"text\":\"y\",\"label\":\"B\"}]},\"answerKey\":\"E\"}\n");
        string hf = folder.Write("hf.jsonl",
            "{\"id\":\"NYSED_3\",\"question\":\"Pick two.\",\"choices\":{\"text\":[\"one\",\"two\",\"three\"],\"label\":[\"1\",\"2\",\"3\"]},\"answerKey\":\"2\"}\n");
        BenchmarkTask easy = Arc.Load(raw);
        Assert.Equal("Question: Which is a gas?\nAnswer:", Assert.Single(easy.Documents).Query);
        Assert.Equal(["ice", "steam"], easy.Documents[0].Choices);
        Assert.Equal(1, easy.Documents[0].Gold);
        Assert.Equal($"{raw}:2: answerKey 'E' is not one of the choice labels A, B", Assert.Single(easy.Problems).ToString());
        BenchmarkTask challenge = Arc.Load(hf, "arc_challenge");
        Assert.Equal(1, Assert.Single(challenge.Documents).Gold);
        Assert.Equal("NYSED_3", challenge.Documents[0].Id);
    }

    [Fact]
    public void TruthfulQAReadsBothLayoutsAndChecksLabelOrder()
    {
        using var folder = new TempFolder();
        string file = folder.Write("mc.jsonl",
            "{\"question\":\"Q1?\",\"mc1_targets\":{\"choices\":[\"yes\",\"no\"],\"labels\":[1,0]},\"mc2_targets\":{\"choices\":[\"yes\",\"sure\",\"no\"],\"labels\":[1,1,0]}}\n" +
            "{\"question\":\"Q2?\",\"mc1_targets\":{\"right\":1,\"wrong\":0,\"worse\":0},\"mc2_targets\":{\"right\":1,\"wrong\":0}}\n" +
            "{\"question\":\"Q3?\",\"mc1_targets\":{\"choices\":[\"no\",\"yes\"],\"labels\":[0,1]},\"mc2_targets\":{\"choices\":[\"a\",\"b\"],\"labels\":[1,0]}}\n" +
            "{\"question\":\"Q4?\",\"mc1_targets\":{\"choices\":[\"yes\",\"no\"],\"labels\":[1,0]},\"mc2_targets\":{\"choices\":[\"a\",\"b\",\"c\"],\"labels\":[1,0,1]}}\n");
        var (mc1, mc2) = TruthfulQA.Load(file);
        Assert.Equal(2, mc1.Documents.Count);
        Assert.Equal(["right", "wrong", "worse"], mc1.Documents[1].Choices);
        Assert.Equal([1, 1, 0], mc2.Documents[0].Labels);
        Assert.Equal(ScoringRule.TrueProbabilityMass, mc2.Scoring);
        Assert.Equal([3, 4], mc1.Problems.Select(p => p.Line));
        Assert.EndsWith(TruthfulQA.Prompt("Q1?"), mc1.Documents[0].Query);
    }

    // ---- issue #16: the original mc_task.json (one JSON array), and JSON arrays for every JSON Lines reader ----

    [Fact]
    public void TruthfulQAReadsTheOriginalMcTaskJsonArray()
    {
        using var folder = new TempFolder();
        // Indented like the original file, with a BOM; element 1 has its mc1 answers in the wrong order.
        string file = folder.Write("mc_task.json", "\uFEFF [\n" +
            "  {\n    \"question\": \"Q1?\",\n    \"mc1_targets\": {\"right\": 1, \"wrong\": 0},\n    \"mc2_targets\": {\"right\": 1, \"also right\": 1, \"wrong\": 0}\n  },\n" +
            "  {\n    \"question\": \"Q2?\",\n    \"mc1_targets\": {\"wrong\": 0, \"right\": 1},\n    \"mc2_targets\": {\"right\": 1, \"wrong\": 0}\n  },\n" +
            "  {\"question\": \"Q3?\", \"mc1_targets\": {\"yes\": 1, \"no\": 0}, \"mc2_targets\": {\"yes\": 1, \"no\": 0}}, {\"question\": \"Q4?\", \"mc1_targets\": {\"a\": 1, \"b\": 0}, \"mc2_targets\": {\"a\": 1, \"b\": 0}}\n" +
            "]\n");
        var (mc1, mc2) = TruthfulQA.Load(file);
        Assert.Equal(["Q1?", "Q3?", "Q4?"], mc1.Documents.Select(d => d.DecontaminationText));
        Assert.Equal(["right", "also right", "wrong"], mc2.Documents[0].Choices);
        Assert.Equal([1, 1, 0], mc2.Documents[0].Labels);
        // Two elements on one line keep distinct ids: file:line[index].
        Assert.Equal(["mc_task.json:2[0]", "mc_task.json:12[2]", "mc_task.json:12[3]"], mc1.Documents.Select(d => d.Id));
        var problem = Assert.Single(mc1.Problems);
        Assert.Equal((7, 1), (problem.Line, problem.Index));
        Assert.Equal($"{file}:7: array element 1: mc1_targets must list the one true answer first (labels 1, 0, 0, ...)", problem.ToString());
    }

    [Fact]
    public void EveryJsonLinesReaderAcceptsAJsonArray()
    {
        using var folder = new TempFolder();
        var mmlu = Mmlu.LoadRecords(folder.Write("mmlu.json",
            "[{\"question\":\"Q1\",\"subject\":\"anatomy\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"answer\":3}, 7]"));
        Assert.Equal(3, Assert.Single(Assert.Single(mmlu).Documents).Gold);
        Assert.Equal("array element 1: expected a JSON object", Assert.Single(mmlu[0].Problems).ToString().Split(": ", 2)[1]);
        var hellaswag = HellaSwag.Load(folder.Write("hs.json",
            "\n[{\"ind\":4,\"activity_label\":\"x\",\"ctx_a\":\"y\",\"ctx_b\":\"z\",\"endings\":[\"a\",\"b\",\"c\",\"d\"],\"label\":\"3\"}]"));
        Assert.Equal(3, Assert.Single(hellaswag.Documents).Gold);
        var arc = Arc.Load(folder.Write("arc.json",
            "[{\"id\":\"N_3\",\"question\":\"Pick two.\",\"choices\":{\"text\":[\"one\",\"two\"],\"label\":[\"1\",\"2\"]},\"answerKey\":\"2\"}]"));
        Assert.Equal(1, Assert.Single(arc.Documents).Gold);

        // A broken array fails the task at the place it breaks; an empty one has no rows.
        string broken = folder.Write("broken.json", "[\n  {\"question\": \"Q1?\"},\n  {\"question\": \n]");
        var e = Assert.Throws<BenchmarkDataException>(() => TruthfulQA.Load(broken));
        Assert.StartsWith($"{broken}:4: not valid JSON (column 1):", e.Message);
        e = Assert.Throws<BenchmarkDataException>(() => TruthfulQA.Load(folder.Write("empty.json", "[]")));
        Assert.Contains("the file has no rows", e.Message);
    }

    [Fact]
    public void CustomTaskFromYamlAndJson()
    {
        using var folder = new TempFolder();
        folder.Write("data.jsonl",
            "{\"q\":\"Which pet?\",\"opts\":[\"cat\",\"goat\"],\"gold\":\"goat\"}\n" +
            "{\"q\":\"Which colour?\",\"opts\":[\"red\",\"teal\"],\"gold\":\"B\"}\n" +
            "{\"q\":\"Which town?\",\"opts\":[\"Telvi\",\"Oromar\"],\"gold\":5}\n" +
            "{\"opts\":[\"x\",\"y\"],\"gold\":0}\n");
        string yaml = folder.Write("task.yaml", """
            task: my_task
            dataset_path: data.jsonl
            doc_to_text: "Question: {{q}}\nAnswer:"
            doc_to_choice: "{{opts}}"
            doc_to_target: "{{gold}}"
            metric_list: [acc, acc_bytes]
            num_fewshot: 1
            """);
        BenchmarkTask task = CustomTask.Load(yaml);
        Assert.Equal("my_task", task.Name);
        Assert.Equal(2, task.Documents.Count);
        Assert.Equal("Question: Which pet?\nAnswer:", task.Documents[0].Query);
        Assert.Equal(1, task.Documents[0].Gold);
        Assert.Equal(1, task.Documents[1].Gold);
        Assert.Equal(1, task.DefaultShots);
        Assert.Equal(["acc", "acc_bytes"], task.Metrics);
        Assert.Equal([3, 4], task.Problems.Select(p => p.Line));
        Assert.Contains("target index 5 is outside 0..1", task.Problems[0].Message);
        Assert.Contains("field 'q' is missing", task.Problems[1].Message);

        folder.Write("data.csv", "Which pet?,cat,goat,1\n");
        string json = folder.Write("task.json", """
            {"task": "csv_task", "dataset_path": "data.csv", "columns": ["question", "a", "b", "answer"],
             "doc_to_text": "{{question}}", "doc_to_choice": ["cat", "goat"], "doc_to_target": "{{answer}}"}
            """);
        BenchmarkTask csv = CustomTask.Load(json);
        Assert.Equal(1, Assert.Single(csv.Documents).Gold);

        string unknown = folder.Write("bad.yaml", "task: t\ndataset_path: data.jsonl\ndoc_to_text: x\ndoc_to_choice: x\ndoc_to_target: x\nshots: 3\n");
        Assert.Contains("unknown field 'shots'", Assert.Throws<BenchmarkDataException>(() => CustomTask.Load(unknown)).Message);
        string broken = folder.Write("broken.yaml", "task: [unclosed\n");
        Assert.Contains("not valid YAML", Assert.Throws<BenchmarkDataException>(() => CustomTask.Load(broken)).Message);
    }
}
