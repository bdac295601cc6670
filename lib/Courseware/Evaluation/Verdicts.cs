using System.Globalization;
using System.Text.RegularExpressions;

namespace Courseware.Evaluation;

/// <summary>What a pairwise judge said about the two answers in the order it saw them (A shown first).</summary>
public enum Verdict
{
    /// <summary>The answer shown first is better.</summary>
    A,
    /// <summary>The answer shown second is better.</summary>
    B,
    /// <summary>Neither is better.</summary>
    Tie,
    /// <summary>No verdict could be read from the judge's text (or it contradicted itself). Never silently mapped to a tie.</summary>
    Unparseable,
}

/// <summary>A single-answer grade read from judge text: the score, or none with the reason.</summary>
public readonly record struct Rating(double? Score, string? Problem)
{
    /// <summary>True when a grade was read.</summary>
    public bool IsParsed => Score.HasValue;
    /// <inheritdoc />
    public override string ToString() => Score?.ToString(CultureInfo.InvariantCulture) ?? $"unparseable ({Problem})";
}

/// <summary>
/// Reads verdicts and ratings out of free-form judge text. Explicit markers win over loose phrasing, and contradictory
/// markers give <see cref="Verdict.Unparseable"/> rather than a guess.
/// </summary>
/// <example><code>VerdictParser.ParsePairwise("After comparing both … my final verdict is [[B]]")  // Verdict.B</code></example>
public static partial class VerdictParser
{
    /// <summary>
    /// Parses a pairwise verdict, trying in order: (1) MT-Bench markers [[A]], [[B]], [[C]] / [[tie]]; (2) a labelled
    /// verdict such as "Verdict: B", "Final decision - Assistant A", "Winner: tie"; (3) a sentence such as
    /// "Assistant A is better" or "it's a tie"; (4) a reply that is only "A", "B" or "tie". The first rule that
    /// matches decides; if it finds different verdicts (e.g. both [[A]] and [[B]]) the result is
    /// <see cref="Verdict.Unparseable"/>, and so is text that matches no rule.
    /// </summary>
    public static Verdict ParsePairwise(string? judgeText)
    {
        if (string.IsNullOrWhiteSpace(judgeText)) return Verdict.Unparseable;
        foreach (var rule in (Regex[])[Bracketed(), Labelled(), Sentence(), Bare()])
        {
            var found = rule.Matches(judgeText).Select(m => ToVerdict(m.Groups["v"].Value)).Distinct().ToList();
            if (found.Count == 1) return found[0];
            if (found.Count > 1) return Verdict.Unparseable;
        }
        return Verdict.Unparseable;
    }

    /// <summary>
    /// Parses a single-answer grade such as MT-Bench's "Rating: [[7]]", "[[8.5]]", "Score: 6/10" or "Rating: 4", checked
    /// against [<paramref name="min"/>, <paramref name="max"/>]. Several different grades, none, or one out of range give
    /// an unparsed <see cref="Rating"/> with the reason.
    /// </summary>
    public static Rating ParseRating(string? judgeText, double min = 1, double max = 10)
    {
        if (string.IsNullOrWhiteSpace(judgeText)) return new Rating(null, "empty reply");
        foreach (var rule in (Regex[])[BracketedScore(), LabelledScore()])
        {
            var found = rule.Matches(judgeText).Select(m => double.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture)).Distinct().ToList();
            if (found.Count > 1) return new Rating(null, $"conflicting grades {string.Join(", ", found.Select(f => f.ToString(CultureInfo.InvariantCulture)))}");
            if (found.Count == 1)
                return found[0] >= min && found[0] <= max
                    ? new Rating(found[0], null)
                    : new Rating(null, $"grade {found[0].ToString(CultureInfo.InvariantCulture)} outside {min.ToString(CultureInfo.InvariantCulture)}–{max.ToString(CultureInfo.InvariantCulture)}");
        }
        return new Rating(null, "no grade found");
    }

    private static Verdict ToVerdict(string token) => token.ToUpperInvariant() switch
    {
        "A" => Verdict.A,
        "B" => Verdict.B,
        _ => Verdict.Tie, // C, TIE, DRAW, EQUAL… — the rules only capture these tie words
    };

    // Answer letters must be capitals (so "the better answer is a long one" is no verdict); tie words may be any case.
    private const string Tie = @"tie|draw|equal(?:ly\s+good)?";

    [GeneratedRegex(@"\[\[\s*(?<v>A|B|C|tie)\s*\]\]", RegexOptions.IgnoreCase)]
    private static partial Regex Bracketed();

    // "Verdict: B", "Final verdict - **Assistant A**", "Winner: Response B", "Decision: tie"
    [GeneratedRegex(@"\b(?:verdict|winner|decision|preferred(?:\s+answer)?|better\s+answer)\s*(?:is)?\s*[:=\-–]?\s*\**\s*(?:(?:assistant|answer|response|model|output)\s+)?\(?(?<v>(?-i:A|B)|" + Tie + @")\)?\**(?![\w'])", RegexOptions.IgnoreCase)]
    private static partial Regex Labelled();

    // "Assistant A is better", "Response B is clearly superior", "it's a tie", "both answers are equally good"
    [GeneratedRegex(@"\b(?:assistant|answer|response|model|output)\s+(?<v>(?-i:A|B))\s+is\s+(?:\w+\s+)?(?:better|superior|preferred|stronger)\b|\b(?:it'?s|it\s+is|this\s+is|result\s+is)\s+a\s+(?<v>tie|draw)\b|\bboth\s+(?:answers|responses)\s+are\s+(?<v>equally)\s+good\b", RegexOptions.IgnoreCase)]
    private static partial Regex Sentence();

    [GeneratedRegex(@"^\W*(?:(?:assistant|answer|response)\s+)?(?<v>(?-i:A|B)|tie)\W*$", RegexOptions.IgnoreCase)]
    private static partial Regex Bare();

    [GeneratedRegex(@"\[\[\s*(?<s>\d+(?:\.\d+)?)\s*\]\]")]
    private static partial Regex BracketedScore();

    [GeneratedRegex(@"\b(?:rating|score|grade)\s*(?:is)?\s*[:=]?\s*\**\s*(?<s>\d+(?:\.\d+)?)\s*\**(?:\s*(?:/|out\s+of)\s*\d+)?", RegexOptions.IgnoreCase)]
    private static partial Regex LabelledScore();
}
