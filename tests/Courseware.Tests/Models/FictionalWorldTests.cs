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
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FictionalWorld.Generate(people: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => FictionalWorld.Generate(heldOutShare: 1.5));
    }
}
