using Courseware.Notebooks;
using System.Text.RegularExpressions;
using Courseware.Evaluation;

namespace Courseware.Tests.Evaluation;

public class VerdictParserTests
{
    [Theory]
    [InlineData("Both are fine but the first is more precise. [[A]]", Verdict.A)]
    [InlineData("My final verdict is: [[B]]", Verdict.B)]
    [InlineData("[[C]]", Verdict.Tie)]
    [InlineData("[[ tie ]]", Verdict.Tie)]
    [InlineData("Verdict: B", Verdict.B)]
    [InlineData("Final decision - **Assistant A**", Verdict.A)]
    [InlineData("Winner: Response B.", Verdict.B)]
    [InlineData("Verdict: tie", Verdict.Tie)]
    [InlineData("Having read both, Assistant B is clearly better.", Verdict.B)]
    [InlineData("Honestly, it's a tie.", Verdict.Tie)]
    [InlineData("Both answers are equally good.", Verdict.Tie)]
    [InlineData("  A ", Verdict.A)]
    [InlineData("Response B", Verdict.B)]
    [InlineData("**tie**", Verdict.Tie)]
    // Markers win over prose that says otherwise; the letter in prose is only read when no marker exists.
    [InlineData("Assistant B is better at style, but on accuracy: [[A]]", Verdict.A)]
    public void Reads_common_verdict_formats(string text, Verdict expected) =>
        Assert.Equal(expected, VerdictParser.ParsePairwise(text));

    [Theory]
    [InlineData("")]
    [InlineData("I'm sorry, I can't help with comparing these answers.")]
    [InlineData("Output [[A]] if assistant A is better, [[B]] if assistant B is better.")] // contradictory markers
    [InlineData("Verdict: A ... on reflection, Verdict: B")]
    [InlineData("The better answer is a longer one.")] // lower-case "a" is an article, not a verdict
    [InlineData("Tied neckties are a tie-breaker topic")]
    public void Unclear_text_is_unparseable_never_a_default(string text) =>
        Assert.Equal(Verdict.Unparseable, VerdictParser.ParsePairwise(text));

    [Theory]
    [InlineData("The answer is accurate and helpful. Rating: [[7]]", 7.0)]
    [InlineData("Rating: [[8.5]]", 8.5)]
    [InlineData("Score: 6/10", 6.0)]
    [InlineData("Overall rating: 4 out of 10", 4.0)]
    [InlineData("grade = 10", 10.0)]
    public void Reads_ratings(string text, double expected)
    {
        var rating = VerdictParser.ParseRating(text);
        Assert.True(rating.IsParsed, rating.Problem);
        Assert.Equal(expected, rating.Score);
    }

    [Theory]
    [InlineData("Rating: [[11]]", "grade 11 outside 1–10")]
    [InlineData("Rating: [[3]] ... Rating: [[9]]", "conflicting grades 3, 9")]
    [InlineData("Quite good overall.", "no grade found")]
    [InlineData(null, "empty reply")]
    public void Bad_ratings_say_why(string? text, string problem)
    {
        var rating = VerdictParser.ParseRating(text);
        Assert.False(rating.IsParsed);
        Assert.Equal(problem, rating.Problem);
    }
}

public class PairwiseProtocolTests
{
    /// <summary>
    /// Scripted test double for a judge with a known position bias. Each answer carries its true quality as "(q=N)".
    /// When the qualities differ by 3 or more it picks the better answer; otherwise it picks whatever is shown first.
    /// Questions containing "flaky" get the opposite verdict on the 2nd call of each order; "garbled" questions get a
    /// refusal. Replies rotate through several formats to exercise the parser.
    /// </summary>
    private sealed class ScriptedJudge
    {
        private readonly Dictionary<(string, string), int> _calls = [];
        public int Calls { get; private set; }

        public Task<string> Judge(string question, string answerA, string answerB, CancellationToken _)
        {
            Calls++;
            var key = (question, answerA);
            int call = _calls[key] = _calls.GetValueOrDefault(key) + 1;
            if (question.Contains("garbled")) return Task.FromResult("I'm sorry, but I can't evaluate these responses.");
            int qa = Quality(answerA), qb = Quality(answerB);
            bool pickA = Math.Abs(qa - qb) >= 3 ? qa > qb : true;
            if (question.Contains("flaky") && call == 2) pickA = !pickA;
            string letter = pickA ? "A" : "B";
            return Task.FromResult((call % 3) switch
            {
                1 => $"Comparing helpfulness and accuracy... [[{letter}]]",
                2 => $"Verdict: {letter}",
                _ => $"Assistant {letter} is better.",
            });
        }

        private static int Quality(string answer) => int.Parse(Regex.Match(answer, @"\(q=(\d+)\)").Groups[1].Value);
    }

    // Expected outcomes, worked out by hand from the script above:
    //   q1 9 vs 2: clear → First in both orders → First
    //   q2 3 vs 8: clear → Second
    //   q3 5 vs 6: close → the judge says A in both orders → flip → Tie (favoured first position)
    //   q4 flaky 9 vs 1: A,B,A then B,A,B → majorities A and B → First; each order agrees with itself on 1 of 3 pairs
    //   q5 garbled: refusals → Unparseable
    //   q6 4 vs 4: close → flip → Tie (favoured first position)
    private static readonly AnswerPair[] Pairs =
    [
        new("q1", "Paris is the capital of France, on the Seine (q=9)", "Lyon (q=2)"),
        new("q2", "Maybe (q=3)", "Water boils at 100 °C at sea level, lower at altitude (q=8)"),
        new("q3", "Photosynthesis makes sugar from light (q=5)", "Plants use light, water and CO2 to make glucose (q=6)"),
        new("q4 flaky", "Seven (q=9)", "Five, if you merge the Americas and count Eurasia once (q=1)"),
        new("q5 garbled", "Yes (q=5)", "No (q=5)"),
        new("q6", "Use a hash map (q=4)", "Sort, then scan (q=4)"),
    ];

    private static readonly Preference[] Human = [Preference.First, Preference.Second, Preference.Second, Preference.First, Preference.First, Preference.Tie];

    [Fact]
    public async Task Swap_and_majority_give_the_hand_computed_outcomes()
    {
        var judge = new ScriptedJudge();
        var report = await new PairwiseProtocol().JudgeAllAsync(Pairs, judge.Judge);
        Assert.Equal(6 * 2 * 3, judge.Calls);
        Assert.Equal([Preference.First, Preference.Second, Preference.Tie, Preference.First, Preference.Unparseable, Preference.Tie], report.Outcomes);
        Assert.Equal([Verdict.A, Verdict.B, Verdict.A], report.Judgements[3].Original);
        Assert.Equal([Verdict.B, Verdict.A, Verdict.B], report.Judgements[3].Swapped);
        Assert.True(report.Judgements[2].FavouredFirstPosition);
    }

    [Fact]
    public async Task Meta_metrics_match_the_hand_computation()
    {
        var report = await new PairwiseProtocol().JudgeAllAsync(Pairs, new ScriptedJudge().Judge);
        // 10 readable (pair, order)s: 8 unanimous, the two flaky ones agree on 1 of 3 pairs → (8 + 2/3) / 10
        Assert.Equal((8 + 2.0 / 3) / 10, report.SelfAgreement, 1e-12);
        // 5 pairs readable in both orders, q3 and q6 flip → 2/5, both flips chose the first position
        Assert.Equal(0.4, report.PositionFlipRate, 1e-12);
        Assert.Equal(1.0, report.FirstPositionShareOfFlips, 1e-12);
        // decided pairs: q1 and q2 won by the longer answer, q4 by the shorter → 2/3
        Assert.Equal(2.0 / 3, report.LongerAnswerWinRate, 1e-12);
        Assert.Equal(1.0 / 6, report.UnparseableRate, 1e-12);
    }

    [Fact]
    public async Task Agreement_with_human_labels_by_hand()
    {
        var report = await new PairwiseProtocol().JudgeAllAsync(Pairs, new ScriptedJudge().Judge);
        var agreement = report.AgreementWith(Human);
        // q5 is excluded. Judge F,S,T,F,T vs human F,S,S,F,T: 4 of 5 agree.
        // p_e = (2·2 + 1·2 + 2·1) / 25 = 0.32 → κ = (0.8 − 0.32) / 0.68
        Assert.Equal(5, agreement.Items);
        Assert.Equal(1, agreement.Excluded);
        Assert.Equal(0.8, agreement.RawAgreement, 1e-12);
        Assert.Equal(0.48 / 0.68, agreement.Kappa, 1e-12);
        Assert.Equal(3, agreement.ItemsWithoutTies);
        Assert.Equal(1.0, agreement.AgreementWithoutTies, 1e-12);
    }

    [Fact]
    public void Majority_needs_more_than_half()
    {
        Assert.Equal(Verdict.A, PairwiseProtocol.Majority([Verdict.A, Verdict.Unparseable, Verdict.A]));
        Assert.Equal(Verdict.Tie, PairwiseProtocol.Majority([Verdict.A, Verdict.B, Verdict.Tie]));
        Assert.Equal(Verdict.Unparseable, PairwiseProtocol.Majority([Verdict.Unparseable, Verdict.A, Verdict.Unparseable]));
        Assert.Equal(Verdict.Tie, PairwiseProtocol.Majority([Verdict.A, Verdict.B]));
    }

    [Fact]
    public void Recorded_verdicts_can_be_judged_without_a_model()
    {
        // Verdict data recorded earlier: the second (longer) answer wins in both orders.
        var pair = new AnswerPair("q", "short", "a much longer answer");
        var j = new PairwiseJudgement(pair, [Verdict.B, Verdict.B, Verdict.B], [Verdict.A, Verdict.A, Verdict.Tie]);
        Assert.Equal(Preference.Second, j.Outcome); // B in the original order and A (= second answer) after the swap
        Assert.False(j.PositionFlip);
        var report = new JudgeReport([j]);
        Assert.Equal(1.0, report.LongerAnswerWinRate, 1e-12);
        Assert.Equal((1 + 1.0 / 3) / 2, report.SelfAgreement, 1e-12);
        Assert.True(double.IsNaN(report.FirstPositionShareOfFlips)); // no flips: undefined, not 0
        Assert.Contains("self-agreement", HtmlRenderers.Render(report));
    }

    [Fact]
    public void Human_labels_must_be_decisions()
    {
        var report = new JudgeReport([new PairwiseJudgement(Pairs[0], [Verdict.A], [Verdict.B])]);
        var e = Assert.Throws<ArgumentException>(() => report.AgreementWith([Preference.Unparseable]));
        Assert.Contains("humanLabels[0] is Unparseable", e.Message);
        e = Assert.Throws<ArgumentException>(() => report.AgreementWith([Preference.First, Preference.Tie]));
        Assert.Contains("judgements has 1 values but humanLabels has 2", e.Message);
    }
}

public class GradingProtocolTests
{
    // Scripted grader: replies from a fixed list per answer, in call order.
    private static GradingJudge Scripted(Dictionary<string, string[]> replies)
    {
        var calls = new Dictionary<string, int>();
        return (_, answer, _) =>
        {
            int call = calls[answer] = calls.GetValueOrDefault(answer) + 1;
            return Task.FromResult(replies[answer][call - 1]);
        };
    }

    [Fact]
    public async Task Median_of_the_parsed_grades_or_nothing()
    {
        var judge = Scripted(new()
        {
            ["good"] = ["Rating: [[8]]", "Rating: [[9]]", "Rating: [[6]]"],        // median 8, spread 3
            ["one lost"] = ["Rating: [[7]]", "no idea", "Score: 5/10"],            // 2 of 3 parsed → (5 + 7) / 2
            ["mostly lost"] = ["Rating: [[4]]", "I can't grade this.", "Rating: [[42]]"], // 1 of 3 parsed → none
        });
        var protocol = new GradingProtocol();
        var good = await protocol.JudgeAsync("q", "good", judge);
        Assert.Equal(8, good.Score);
        Assert.Equal(3, good.Spread);
        Assert.Equal(6, (await protocol.JudgeAsync("q", "one lost", judge)).Score);
        var lost = await protocol.JudgeAsync("q", "mostly lost", judge);
        Assert.Null(lost.Score);
        Assert.Equal("grade 42 outside 1–10", lost.Ratings[2].Problem);
    }
}
