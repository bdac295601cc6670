using Courseware.Notebooks;
using Courseware.Benchmarks;

namespace Courseware.Tests.Benchmarks;

public class ContaminationTests
{
    [Fact]
    public void NormalisationMatchesTheJanitor()
    {
        // harness_reference.py (janitor translation table): ASCII lower-cased, string.punctuation deleted, other characters kept.
        Assert.Equal("hello world its 13grams “quoted” É", ContaminationCheck.Normalize("Hello, World! It's 13-grams: “quoted” É."));
    }

    [Fact]
    public void ThirteenGramsAreFoundAcrossPunctuationAndCase()
    {
        string corpus = "Noise before. The quick brown fox jumps over the lazy dog while seven small birds sing loudly today, and then more words.";
        var check = ContaminationCheck.Build([corpus]);
        Assert.True(check.Overlaps("THE QUICK brown fox jumps over the lazy dog; while seven small birds sing loudly!"));
        Assert.False(check.Overlaps("The quick brown fox jumps over the lazy cat while seven small birds sing loudly"));
        Assert.Equal(["a b c", "b c d"], ContaminationCheck.NGrams("A, b. C d", 3));
    }

    [Fact]
    public void ShortItemsAreMatchedWhole()
    {
        var check = ContaminationCheck.Build(["Question: Where does Ilsa Brandt live?\nAnswer: Oromar"]);
        Assert.True(check.Overlaps("Where does Ilsa Brandt live?"));
        Assert.False(check.Overlaps("Where does Ilsa Brandt work?"));
        Assert.False(check.Overlaps("Brandt live Where"));
    }

    [Fact]
    public async Task ScoresSplitIntoCleanAndContaminated()
    {
        var docs = new List<BenchmarkDocument>
        {
            new("seen", "Question: Where does Ilsa Brandt live?\nAnswer:", ["Oromar", "Telvi"], 0) { DecontaminationText = "Where does Ilsa Brandt live?" },
            new("held", "Question: Where does Tom Vane live?\nAnswer:", ["Oromar", "Telvi"], 1) { DecontaminationText = "Where does Tom Vane live?" },
            new("held2", "Question: Where does Ada Kos live?\nAnswer:", ["Oromar", "Telvi"], 1) { DecontaminationText = "Where does Ada Kos live?" },
        };
        var task = new BenchmarkTask { Name = "towns", Documents = docs, Metrics = ["acc"] };
        ContaminationReport report = ContaminationCheck.Build(["Question: Where does Ilsa Brandt live?\nAnswer: Oromar"]).Check(task);
        Assert.Equal(["seen"], report.Contaminated);
        Assert.Equal(1.0 / 3, report.Rate, 12);

        var model = ScriptedModel.ByContinuation(new Dictionary<string, double> { [" Oromar"] = -1, [" Telvi"] = -2 });
        var results = await BenchmarkEvaluator.RunAsync(model, [task], new() { Log = TextWriter.Null });
        ContaminationSplit split = report.Split(results["towns"]);
        Assert.Equal(1, split.ContaminatedItems);
        Assert.Equal(2, split.CleanItems);
        Assert.Equal(1.0, split.Contaminated["acc"].Value);
        Assert.Equal(0.0, split.Clean["acc"].Value);
        Assert.Contains("clean (n=2)", HtmlRenderers.Render(split));
    }

    [Fact]
    public void CorpusFilesAreJsonLinesOrOneDocumentPerLine()
    {
        using var folder = new TempFolder();
        string jsonl = folder.Write("c.jsonl", "{\"text\":\"Question: Where?\\nAnswer: here\"}\n{\"text\":\"two\"}\n");
        Assert.Equal(["Question: Where?\nAnswer: here", "two"], ContaminationCheck.ReadCorpus(jsonl));
        string text = folder.Write("c.txt", "one\n\ntwo words\n");
        Assert.Equal(["one", "two words"], ContaminationCheck.ReadCorpus(text));
        string bad = folder.Write("bad.jsonl", "{\"text\":\"ok\"}\n{\"body\":\"no\"}\n");
        Assert.Equal($"{bad}:2: expected a string field 'text'.", Assert.Throws<BenchmarkDataException>(() => ContaminationCheck.ReadCorpus(bad)).Message);
    }
}
