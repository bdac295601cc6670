using Courseware.Models;

namespace Courseware.Tests.Models;

public class FictionalWorldTests
{
    [Fact]
    public void The_same_seed_gives_the_same_world_and_another_seed_another()
    {
        var a = FictionalWorld.Generate(seed: 4);
        var b = FictionalWorld.Generate(seed: 4);
        var c = FictionalWorld.Generate(seed: 5);
        Assert.Equal(a.CorpusText(), b.CorpusText());
        Assert.Equal(a.Facts, b.Facts);
        Assert.NotEqual(a.CorpusText(), c.CorpusText());
    }

    [Fact]
    public void Held_out_facts_never_appear_in_the_corpus_and_seen_facts_do()
    {
        var world = FictionalWorld.Generate(seed: 0);
        string corpus = world.CorpusText();
        var heldOut = world.Questions(inTraining: false);
        var seen = world.Questions(inTraining: true);
        Assert.NotEmpty(heldOut);
        Assert.All(heldOut, q => Assert.DoesNotContain(q.Prompt, corpus));
        Assert.All(seen, q => Assert.Contains(q.Prompt + " " + q.Choices[q.Answer], corpus));
        // Held-out share: 30 % requested, binomial(192, 0.3) → within 4 standard deviations (±25 facts).
        Assert.InRange(world.Facts.Count(f => !f.InTraining), 58 - 25, 58 + 25);
    }

    [Fact]
    public void Questions_have_four_distinct_choices_including_the_gold_answer()
    {
        var world = FictionalWorld.Generate(seed: 1);
        foreach (var question in world.Questions(true).Concat(world.Questions(false)))
        {
            Assert.Equal(4, question.Choices.Count);
            Assert.Equal(4, question.Choices.Distinct().Count());
            var fact = world.Facts.Single(f => $"{f.Relation}/{f.Person}" == question.Id);
            Assert.Equal(fact.Value, question.Choices[question.Answer]);
            Assert.EndsWith("\nAnswer:", question.Prompt);
        }
        // Gold positions are spread: no position holds more than 40 % of the answers.
        var positions = world.Questions(true).GroupBy(q => q.Answer).Select(g => g.Count()).ToArray();
        Assert.All(positions, count => Assert.True(count < 0.4 * world.Questions(true).Count));
    }

    [Fact]
    public void Seen_facts_appear_as_the_harness_mmlu_items_of_the_shipped_benchmark_and_held_out_ones_do_not()
    {
        var world = FictionalWorld.Generate(seed: 0);
        var corpus = world.TrainingDocuments.ToHashSet();
        var inTraining = File.ReadLines(Path.Combine(RepoPaths.Root, "datasets/benchmarks/tinyworld/facts.csv")).Skip(1)
            .Select(line => line.Split(',')).ToDictionary(f => $"{f[2]}|{f[1]}", f => f[4] == "1");
        // The prompts the benchmark reader builds from the shipped CSVs (Mmlu.LoadCsv), not FictionalWorld's own text.
        int seen = 0, heldOut = 0;
        foreach (var task in Courseware.Benchmarks.Mmlu.LoadCsv(Path.Combine(RepoPaths.Root, "datasets/benchmarks/tinyworld/mmlu")))
        {
            var contexts = task.Contexts(0);
            for (int i = 0; i < task.Documents.Count; i++)
            {
                var document = task.Documents[i];
                string relation = Courseware.Benchmarks.TinyWorldBenchmarks.Subjects.Single(s => "mmlu_" + s.Value.Subject == task.Name).Key;
                string person = world.People.Single(p => document.Query.StartsWith(AskText(relation, p) + "\n", StringComparison.Ordinal));
                string leaked = contexts[i] + " " + document.Choices[document.Gold];
                if (inTraining[$"{person}|{relation}"]) { seen++; Assert.Contains(leaked, corpus); }
                else { heldOut++; Assert.DoesNotContain(world.TrainingDocuments, d => d.Contains(AskText(relation, person), StringComparison.Ordinal)); }
            }
        }
        Assert.True(seen > 50 && heldOut > 30, $"seen {seen}, held out {heldOut}");
        Assert.Equal(world.MmluQuestions(true).Select(q => q.Prompt + " " + q.Choices[q.Answer]).Order(), world.TrainingDocuments.Where(d => d.StartsWith("The following", StringComparison.Ordinal)).Order());
    }

    private static string AskText(string relation, string person) => relation switch
    {
        "lives_in" => $"Where does {person} live?",
        "works_as" => $"What is the trade of {person}?",
        "pet" => $"Which pet does {person} keep?",
        _ => $"What is the favourite colour of {person}?",
    };

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FictionalWorld.Generate(people: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => FictionalWorld.Generate(heldOutShare: 1.5));
    }
}
