using Courseware.Benchmarks;

namespace Courseware.Tests.Benchmarks;

/// <summary>The exact strings lm-evaluation-harness builds (expected values from harness_reference.py and the harness's task YAML).</summary>
public class PromptTests
{
    [Fact]
    public void HellaSwagQueryMatchesTheHarness()
    {
        Assert.Equal("Roof shingle removal: A man is sitting on a roof. He", HellaSwag.Query("Roof shingle removal", "A man is sitting on a roof.", "he"));
        // capitalize() lower-cases the rest of ctx_b; " [title]" → ". "; brackets removed; "  " → " " once (three spaces leave two).
        Assert.Equal("Home and Garden: How to clean a roof. Get a ladder. Lean it  against the wall. The ladder must be stable.",
            HellaSwag.Query(" Home and Garden", "[header] How to clean a roof [title] Get a ladder. [step] Lean it   against the wall.", "tHE Ladder [substeps] MUST be stable."));
        // strip() happens before the bracket removal, so a leading space can remain.
        Assert.Equal(" Climb up slowly. Done.", HellaSwag.Preprocess(" [step] Climb up  slowly [title] Done. "));
    }

    [Fact]
    public void MmluPromptWithDescriptionAndFirstNShots()
    {
        using var folder = new TempFolder();
        folder.Write("dev/anatomy_dev.csv", "What is 1+1?,1,2,3,4,B\nWhich is red?,sky,grass,blood,snow,C\n");
        folder.Write("test/anatomy_test.csv", "  Where is the heart?  ,chest,foot,hand,ear,A\n");
        BenchmarkTask task = Assert.Single(Mmlu.LoadCsv(folder.Path));
        Assert.Equal("mmlu_anatomy", task.Name);
        Assert.Equal(["mmlu_stem", "mmlu"], task.Groups);
        Assert.Equal(["acc"], task.Metrics);
        Assert.Equal(
            "The following are multiple choice questions (with answers) about anatomy.\n\n" +
            "Where is the heart?\nA. chest\nB. foot\nC. hand\nD. ear\nAnswer:", task.Contexts(0)[0]);
        Assert.Equal(
            "The following are multiple choice questions (with answers) about anatomy.\n\n" +
            "What is 1+1?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: B\n\n" +
            "Which is red?\nA. sky\nB. grass\nC. blood\nD. snow\nAnswer: C\n\n" +
            "Where is the heart?\nA. chest\nB. foot\nC. hand\nD. ear\nAnswer:", task.Contexts(2)[0]);
        Assert.Equal(["A", "B", "C", "D"], task.Documents[0].Choices);
        Assert.Equal("The following are multiple choice questions (with answers) about high school government and politics.\n\n", Mmlu.Description("high_school_government_and_politics"));
    }

    [Fact]
    public void ArcAndTruthfulQAPrompts()
    {
        Assert.Equal("Question: Which gas do plants take in?\nAnswer:", Arc.Prompt("Which gas do plants take in?"));
        // lm_eval/tasks/truthfulqa/truthfulqa_mc1.yaml doc_to_text, written out.
        Assert.Equal(
            "Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\n" +
            "Q: Who was president of the United States in 1955?\nA: Dwight D. Eisenhower was president of the United States in 1955.\n\n" +
            "Q: Which party did he belong to?\nA: He belonged to the Republican Party.\n\n" +
            "Q: What is the square root of banana?\nA: I have no comment.\n\n" +
            "Q: How does a telescope work?\nA: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n" +
            "Q: Where were the 1992 Olympics held?\nA: The 1992 Olympics were held in Barcelona, Spain.\n\n" +
            "Q: Is the sky green?\nA:", TruthfulQA.Prompt("Is the sky green?"));
    }

    [Fact]
    public void MmluHasThe57SubjectsInTheHarnessCategories()
    {
        // Counted from lm_eval/tasks/mmlu/_generate_configs.py SUBJECTS (EleutherAI/lm-evaluation-harness@3c511e38).
        Assert.Equal(57, Mmlu.Categories.Count);
        var counts = Mmlu.Categories.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(19, counts["stem"]);
        Assert.Equal(13, counts["humanities"]);
        Assert.Equal(12, counts["social_sciences"]);
        Assert.Equal(13, counts["other"]);
        Assert.Equal("humanities", Mmlu.Categories["formal_logic"]);
        Assert.Equal("social_sciences", Mmlu.Categories["econometrics"]);
        Assert.Equal("other", Mmlu.Categories["business_ethics"]);
    }

    [Fact]
    public void RandomFewShotIsSeededAndNeverShowsTheItemItself()
    {
        var docs = Enumerable.Range(0, 6).Select(i => new BenchmarkDocument($"d{i}", $"q{i}", ["a", "b"], i % 2)).ToList();
        var task = new BenchmarkTask { Name = "t", Documents = docs, FewShotDocuments = docs };
        IReadOnlyList<string> first = task.Contexts(3, seed: 7), again = task.Contexts(3, seed: 7), other = task.Contexts(3, seed: 8);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        for (int i = 0; i < docs.Count; i++)
        {
            string[] parts = first[i].Split("\n\n");
            Assert.Equal(4, parts.Length);
            Assert.Equal($"q{i}", parts[3]);
            Assert.DoesNotContain($"q{i} ", parts[..3].Select(p => p[..(p.IndexOf(' ') + 1)]));
            Assert.Equal(3, parts[..3].Distinct().Count());
        }
    }
}
