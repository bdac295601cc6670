using Courseware.Notebooks;

namespace Courseware.Evaluation;

/// <summary>The protocol's answer-level outcome for a pair: which of the two answers (as given, not as shown) is better.</summary>
public enum Preference
{
    /// <summary>The first answer of the pair is better.</summary>
    First,
    /// <summary>The second answer of the pair is better.</summary>
    Second,
    /// <summary>Neither is better, or the judge's verdict moved with the order.</summary>
    Tie,
    /// <summary>The judge gave no readable verdict in at least one order.</summary>
    Unparseable,
}

/// <summary>A question with two candidate answers to compare.</summary>
public sealed record AnswerPair(string Question, string First, string Second);

/// <summary>
/// A judge for the protocol: given the question and the answers in the order to show them, returns the judge's reply
/// text. Any model can sit behind it (a local model, an OpenAI-compatible endpoint, a person, a test double).
/// </summary>
public delegate Task<string> PairwiseJudge(string question, string answerA, string answerB, CancellationToken cancellationToken);

/// <summary>One pair after the full protocol: the verdicts in both orders and the decision.</summary>
/// <param name="Pair">The question and the two answers compared.</param>
/// <param name="Original">Verdicts with <see cref="AnswerPair.First"/> shown as A, one per repetition.</param>
/// <param name="Swapped">Verdicts with <see cref="AnswerPair.Second"/> shown as A, one per repetition.</param>
public sealed record PairwiseJudgement(AnswerPair Pair, IReadOnlyList<Verdict> Original, IReadOnlyList<Verdict> Swapped)
{
    /// <summary>Majority verdict over the repetitions in the original order.</summary>
    public Verdict OriginalMajority => PairwiseProtocol.Majority(Original);
    /// <summary>Majority verdict over the repetitions in the swapped order (still positional: A = the second answer).</summary>
    public Verdict SwappedMajority => PairwiseProtocol.Majority(Swapped);

    /// <summary>
    /// The decision: the answer-level verdict when both orders agree; <see cref="Preference.Tie"/> when they disagree (the
    /// verdict depends on position, MT-Bench's rule); <see cref="Preference.Unparseable"/> when either order has none.
    /// </summary>
    public Preference Outcome
    {
        get
        {
            var (original, swapped) = (FromOriginal(OriginalMajority), FromSwapped(SwappedMajority));
            if (original == Preference.Unparseable || swapped == Preference.Unparseable) return Preference.Unparseable;
            return original == swapped ? original : Preference.Tie;
        }
    }

    /// <summary>Both orders gave a readable verdict but not the same answer-level one: the verdict moved with the position.</summary>
    public bool PositionFlip
    {
        get
        {
            var (original, swapped) = (FromOriginal(OriginalMajority), FromSwapped(SwappedMajority));
            return original != Preference.Unparseable && swapped != Preference.Unparseable && original != swapped;
        }
    }

    /// <summary>A flip where the judge picked the answer shown first in both orders (the classic position bias).</summary>
    public bool FavouredFirstPosition => PositionFlip && OriginalMajority == Verdict.A && SwappedMajority == Verdict.A;

    private static Preference FromOriginal(Verdict v) => v switch
    {
        Verdict.A => Preference.First, Verdict.B => Preference.Second, Verdict.Tie => Preference.Tie, _ => Preference.Unparseable,
    };

    private static Preference FromSwapped(Verdict v) => v switch
    {
        Verdict.A => Preference.Second, Verdict.B => Preference.First, Verdict.Tie => Preference.Tie, _ => Preference.Unparseable,
    };
}

/// <summary>
/// Pairwise LLM-as-judge protocol (Zheng et al. 2023, MT-Bench): every pair is judged in both orders (position swap),
/// each order <see cref="Repetitions"/> times (run the judge at temperature 0; repetitions catch what nondeterminism
/// remains); each order's verdict is the strict majority of its repetitions (no majority → <see cref="Verdict.Tie"/>);
/// a verdict that changes with the order becomes a tie.
/// </summary>
/// <example><code>var report = await new PairwiseProtocol().JudgeAllAsync(pairs, myJudge);</code></example>
public sealed class PairwiseProtocol
{
    /// <summary>Judge calls per order (default 3).</summary>
    public int Repetitions { get; init; } = 3;

    /// <summary>Runs the protocol on one pair: 2 × <see cref="Repetitions"/> judge calls, parsed with <see cref="VerdictParser.ParsePairwise"/>.</summary>
    public async Task<PairwiseJudgement> JudgeAsync(AnswerPair pair, PairwiseJudge judge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(judge);
        if (Repetitions < 1) throw new InvalidOperationException($"Repetitions is {Repetitions}; expected at least 1.");
        var original = new Verdict[Repetitions];
        var swapped = new Verdict[Repetitions];
        for (int r = 0; r < Repetitions; r++)
        {
            original[r] = VerdictParser.ParsePairwise(await judge(pair.Question, pair.First, pair.Second, cancellationToken).ConfigureAwait(false));
            swapped[r] = VerdictParser.ParsePairwise(await judge(pair.Question, pair.Second, pair.First, cancellationToken).ConfigureAwait(false));
        }
        return new PairwiseJudgement(pair, original, swapped);
    }

    /// <summary>Runs the protocol on every pair, one after another, and summarises the judge's behaviour.</summary>
    public async Task<JudgeReport> JudgeAllAsync(IEnumerable<AnswerPair> pairs, PairwiseJudge judge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var judgements = new List<PairwiseJudgement>();
        foreach (var pair in pairs) judgements.Add(await JudgeAsync(pair, judge, cancellationToken).ConfigureAwait(false));
        return new JudgeReport(judgements);
    }

    /// <summary>The verdict given by more than half of the repetitions; <see cref="Verdict.Tie"/> when none is.</summary>
    public static Verdict Majority(IReadOnlyList<Verdict> verdicts)
    {
        Check.NotEmpty(verdicts, nameof(verdicts));
        var top = verdicts.CountBy(v => v).MaxBy(g => g.Value);
        return top.Value * 2 > verdicts.Count ? top.Key : Verdict.Tie;
    }
}

/// <summary>Agreement between the judge's outcomes and human labels.</summary>
/// <param name="Items">Items compared (those where the judge's outcome was readable).</param>
/// <param name="Excluded">Items left out because the judge's outcome was <see cref="Preference.Unparseable"/>.</param>
/// <param name="RawAgreement">Share of <paramref name="Items"/> where the judge's outcome equals the human label (ties included); NaN when there are none.</param>
/// <param name="Kappa">Cohen's kappa over the same items (agreement corrected for chance, see <see cref="Stats.CohensKappa{T}"/>); NaN when undefined.</param>
/// <param name="ItemsWithoutTies">Items where neither the judge nor the human said tie.</param>
/// <param name="AgreementWithoutTies">Raw agreement on those items (MT-Bench reports both figures).</param>
public sealed record HumanAgreement(int Items, int Excluded, double RawAgreement, double Kappa, int ItemsWithoutTies, double AgreementWithoutTies);

/// <summary>
/// A judge's outcomes over many pairs and its meta-metrics: self-agreement, position-flip rate, position bias,
/// length bias and the unparseable rate; plus agreement with human labels via <see cref="AgreementWith"/>.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class JudgeReport
{
    /// <summary>Builds a report from judgements (from <see cref="PairwiseProtocol"/> or recorded verdict data).</summary>
    public JudgeReport(IReadOnlyList<PairwiseJudgement> judgements)
    {
        Check.NotEmpty(judgements, nameof(judgements));
        Judgements = judgements;
    }

    /// <summary>The judgement of every pair, in input order.</summary>
    public IReadOnlyList<PairwiseJudgement> Judgements { get; }

    /// <summary>Outcome per pair, in input order.</summary>
    public IReadOnlyList<Preference> Outcomes => Judgements.Select(j => j.Outcome).ToArray();

    /// <summary>
    /// How often the judge agrees with itself: for each (pair, order), the share of pairs of readable repetitions that
    /// gave the same verdict (3 repetitions: 1, ⅓ or 0), averaged over the (pair, order)s with at least two readable
    /// repetitions. NaN when there are none.
    /// </summary>
    public double SelfAgreement
    {
        get
        {
            var perTrial = Judgements.SelectMany(j => (IReadOnlyList<Verdict>[])[j.Original, j.Swapped])
                .Select(v => v.Where(x => x != Verdict.Unparseable).ToArray())
                .Where(v => v.Length >= 2)
                .Select(v =>
                {
                    int agree = 0, pairs = 0;
                    for (int i = 0; i < v.Length; i++)
                        for (int k = i + 1; k < v.Length; k++) { pairs++; if (v[i] == v[k]) agree++; }
                    return (double)agree / pairs;
                }).ToList();
            return perTrial.Count == 0 ? double.NaN : perTrial.Average();
        }
    }

    /// <summary>Share of pairs readable in both orders whose verdict changed with the order. NaN when there are none.</summary>
    public double PositionFlipRate => Rate(Judgements.Count(j => j.PositionFlip), Judgements.Count(BothReadable));

    /// <summary>Of the flips, the share where the judge chose whichever answer was shown first (0.5 = no side preferred).</summary>
    public double FirstPositionShareOfFlips => Rate(Judgements.Count(j => j.FavouredFirstPosition), Judgements.Count(j => j.PositionFlip));

    /// <summary>
    /// Verbosity bias: of the decided pairs (First or Second) whose answers differ in length (whitespace-separated
    /// words), the share won by the longer answer. 0.5 = no length preference. NaN when there are none.
    /// </summary>
    public double LongerAnswerWinRate
    {
        get
        {
            int decided = 0, longerWon = 0;
            foreach (var j in Judgements)
            {
                if (j.Outcome is not (Preference.First or Preference.Second)) continue;
                int first = Words(j.Pair.First), second = Words(j.Pair.Second);
                if (first == second) continue;
                decided++;
                if ((first > second) == (j.Outcome == Preference.First)) longerWon++;
            }
            return Rate(longerWon, decided);
        }
    }

    /// <summary>Share of pairs with no readable outcome.</summary>
    public double UnparseableRate => (double)Judgements.Count(j => j.Outcome == Preference.Unparseable) / Judgements.Count;

    /// <summary>
    /// Agreement with human labels (one per pair, same order): raw agreement and Cohen's kappa over the pairs with a
    /// readable judge outcome, and raw agreement on the pairs where neither side said tie.
    /// </summary>
    public HumanAgreement AgreementWith(IReadOnlyList<Preference> humanLabels)
    {
        Check.SameLength(Judgements, humanLabels, "judgements", nameof(humanLabels));
        for (int i = 0; i < humanLabels.Count; i++)
            if (humanLabels[i] == Preference.Unparseable)
                throw new ArgumentException($"humanLabels[{i}] is Unparseable; a human label must be First, Second or Tie.", nameof(humanLabels));
        var pairs = Judgements.Zip(humanLabels, (j, h) => (Judge: j.Outcome, Human: h)).Where(p => p.Judge != Preference.Unparseable).ToList();
        int excluded = Judgements.Count - pairs.Count;
        if (pairs.Count == 0) return new HumanAgreement(0, excluded, double.NaN, double.NaN, 0, double.NaN);
        var judge = pairs.Select(p => p.Judge).ToArray();
        var human = pairs.Select(p => p.Human).ToArray();
        var noTies = pairs.Where(p => p.Judge != Preference.Tie && p.Human != Preference.Tie).ToList();
        return new HumanAgreement(pairs.Count, excluded, Stats.RawAgreement(judge, human), Stats.CohensKappa(judge, human),
            noTies.Count, Rate(noTies.Count(p => p.Judge == p.Human), noTies.Count));
    }

    private static bool BothReadable(PairwiseJudgement j) =>
        j.OriginalMajority != Verdict.Unparseable && j.SwappedMajority != Verdict.Unparseable;

    private static int Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static double Rate(int count, int total) => total == 0 ? double.NaN : (double)count / total;

    internal IEnumerable<object?[]> Rows() =>
    [
        ["pairs", Judgements.Count],
        ["first better / second better / tie / unparseable",
            string.Join(" / ", ((Preference[])[Preference.First, Preference.Second, Preference.Tie, Preference.Unparseable]).Select(p => Outcomes.Count(o => o == p)))],
        ["self-agreement", SelfAgreement],
        ["position-flip rate", PositionFlipRate],
        ["flips won by the first position", FirstPositionShareOfFlips],
        ["longer answer's win rate", LongerAnswerWinRate],
        ["unparseable rate", UnparseableRate],
    ];

    /// <inheritdoc />
    public override string ToString() => string.Join("\n", Rows().Select(r => $"{r[0]}: {(r[1] is double d ? Html.FormatNumber(d) : r[1])}"));
}
