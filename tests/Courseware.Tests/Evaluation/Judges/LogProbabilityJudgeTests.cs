using Courseware.Evaluation;
using Courseware.Models;
using Courseware.Tests.Models;

namespace Courseware.Tests.Evaluation.Judges;

/// <summary>The log-probability judge on the shipped tinygpt-small checkpoint, against LogLikelihoodAsync called directly.</summary>
public sealed class LogProbabilityJudgeTests : IDisposable
{
    private readonly TinyGpt _model = TinyGpt.Load(Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small"), "cpu");

    public LogProbabilityJudgeTests() => _model.Log = TextWriter.Null;

    public void Dispose() => _model.Dispose();

    private static readonly AnswerPair[] Pairs =
    [
        new("Where does Fusur Badrum live?", "Dunmere", "Oromar"),
        new("Which pet does Tekon Drotir keep?", "a cat", "a goat"),
        new("What is the trade of Bibrem Bothio?", "baker", "Bibrem Bothio is a baker."),
        new("What is the favourite colour of Drefeth Braeke?", "indigo", "grey"),
        new("Where does Lotom Biothur live?", "Varenne", "Varenne, i think"),
    ];

    /// <summary>The verdict recomputed by hand: the same prompt text written out, both tokens scored in one call.</summary>
    private async Task<(double A, double B)> Independent(string question, string first, string second)
    {
        string context = $"Q: {question}\nA: {first}\nB: {second}\nBetter:";
        var scores = await _model.LogLikelihoodAsync([new(context, " A"), new(context, " B")]);
        return (scores[0].Sum, scores[1].Sum);
    }

    private static Verdict Decide((double A, double B) s, double margin) =>
        Math.Abs(s.A - s.B) <= margin ? Verdict.Tie : s.A > s.B ? Verdict.A : Verdict.B;

    [Fact]
    public async Task Scores_equal_an_independent_log_likelihood_computation()
    {
        var judge = new LogProbabilityJudge(_model);
        foreach (var pair in Pairs)
        {
            var expected = await Independent(pair.Question, pair.First, pair.Second);
            var scores = await judge.ScoreAsync(pair.Question, pair.First, pair.Second);
            Assert.NotNull(scores);
            Assert.Equal(expected.A, scores.LogProbA, 12);
            Assert.Equal(expected.B, scores.LogProbB, 12);
            Assert.True(scores.LogProbA < 0 && scores.LogProbB < 0, "log-probabilities of a proper distribution are negative");
            Assert.Equal(Decide(expected, 0), scores.Verdict);
        }
    }

    [Fact]
    public async Task The_protocol_outcomes_are_deterministic_and_follow_the_independent_verdicts()
    {
        // A margin at the median |difference| makes some verdicts ties, so all three branches are exercised.
        var differences = new List<double>();
        foreach (var p in Pairs)
        {
            var s = await Independent(p.Question, p.First, p.Second);
            var t = await Independent(p.Question, p.Second, p.First);
            differences.Add(Math.Abs(s.A - s.B));
            differences.Add(Math.Abs(t.A - t.B));
        }
        double margin = differences.Order().ElementAt(differences.Count / 2);

        var first = await new PairwiseProtocol().JudgeAllAsync(Pairs, new LogProbabilityJudge(_model, margin: margin).JudgeAsync);
        var second = await new PairwiseProtocol().JudgeAllAsync(Pairs, new LogProbabilityJudge(_model, margin: margin).JudgeAsync);
        Assert.Equal(first.Outcomes, second.Outcomes);
        Assert.Equal(1.0, first.SelfAgreement);

        for (int i = 0; i < Pairs.Length; i++)
        {
            var p = Pairs[i];
            Verdict original = Decide(await Independent(p.Question, p.First, p.Second), margin);
            Verdict swapped = Decide(await Independent(p.Question, p.Second, p.First), margin);
            Assert.Equal([original, original, original], first.Judgements[i].Original);
            Assert.Equal([swapped, swapped, swapped], first.Judgements[i].Swapped);
            // Answer level: original A / swapped B = first answer; original B / swapped A = second; anything else that differs is a flip.
            Preference expected = (original, swapped) switch
            {
                (Verdict.A, Verdict.B) => Preference.First,
                (Verdict.B, Verdict.A) => Preference.Second,
                (Verdict.Tie, Verdict.Tie) => Preference.Tie,
                _ => Preference.Tie,
            };
            Assert.Equal(expected, first.Outcomes[i]);
        }
        Assert.Contains(first.Judgements, j => j.Original.Contains(Verdict.Tie) || j.Swapped.Contains(Verdict.Tie));
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_an_abstention_not_a_truncated_verdict()
    {
        var judge = new LogProbabilityJudge(_model);
        string longAnswer = string.Join(" ", Enumerable.Repeat("Fusur Badrum lives in Dunmere.", 3));
        var scores = await judge.ScoreAsync("Where does Fusur Badrum live?", longAnswer, "Oromar");
        Assert.Null(scores);
        Assert.Equal("", await judge.JudgeAsync("Where does Fusur Badrum live?", longAnswer, "Oromar", default));
        Assert.Contains("the model reads 96", judge.Failures[0]);
        Assert.Equal(2, judge.Failures.Count);

        var report = await new PairwiseProtocol { Repetitions = 1 }.JudgeAllAsync([new("Where does Fusur Badrum live?", longAnswer, "Oromar")], judge.JudgeAsync);
        Assert.Equal([Preference.Unparseable], report.Outcomes);
    }

    [Fact]
    public async Task Characters_the_tokenizer_lacks_are_named()
    {
        var judge = new LogProbabilityJudge(_model);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => judge.ScoreAsync("Where does Fusur Badrum live?", "in Dunmere – 1 km north", "Oromar"));
        Assert.Contains("Unknown character '–' (U+2013)", error.Message);
    }

    [Fact]
    public void Bad_settings_are_rejected_with_the_reason()
    {
        Assert.Contains("{answer_b}", Assert.Throws<ArgumentException>(() => new LogProbabilityJudge(_model, "Q: {question}\nA: {answer_a}\nBetter:")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogProbabilityJudge(_model, margin: -0.1));
        Assert.Contains("two different verdict tokens", Assert.Throws<ArgumentException>(() => new LogProbabilityJudge(_model, tokenA: " A", tokenB: " A")).Message);
    }

    [Fact]
    public void Placeholders_are_filled_in_one_pass()
    {
        var prompt = new JudgePrompt("{question}|{answer_a}|{answer_b}");
        Assert.Equal("q|says {answer_b}|b", prompt.Render("q", "says {answer_b}", "b"));
    }
}
