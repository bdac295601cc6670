using System.Text;
using System.Text.RegularExpressions;

namespace Courseware.Evaluation;

/// <summary>
/// Short-answer metrics as the SQuAD evaluation script defines them: both strings are normalised (lower-cased, ASCII
/// punctuation removed, the articles "a", "an", "the" removed, whitespace collapsed) before comparing.
/// With several acceptable references the best score over them counts; as in the SQuAD v2 script, references that
/// normalise to nothing are left out, and only if all do is the reference the empty answer.
/// </summary>
/// <example><code>AnswerMatch.TokenF1("the Eiffel tower", "Eiffel Tower in Paris")</code></example>
public static partial class AnswerMatch
{
    /// <summary>
    /// SQuAD normalisation with Python's string semantics: lower-case (<c>str.lower()</c>), drop ASCII punctuation, drop
    /// the words a/an/the, split on whitespace (<c>str.split()</c>) and join with single spaces.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (var ch in PythonText.Lower(text))
            if (!Punctuation.Contains(ch)) sb.Append(ch);
        var withoutArticles = Articles().Replace(sb.ToString(), " ");
        return string.Join(' ', PythonText.Split(withoutArticles));
    }

    /// <summary>Exact match: 1 when the normalised prediction equals a normalised reference, else 0.</summary>
    public static double ExactMatch(string prediction, params IReadOnlyList<string> references) =>
        Best(references, r => Normalize(prediction) == Normalize(r) ? 1 : 0);

    /// <summary>
    /// Token F1 (SQuAD): with the normalised texts split on whitespace and c = the size of their multiset intersection,
    /// P = c / |prediction tokens|, R = c / |reference tokens|, F1 = 2PR / (P + R); 0 when c = 0. When either side
    /// normalises to nothing, 1 if both do and 0 otherwise (the SQuAD 2.0 rule for empty answers).
    /// </summary>
    public static double TokenF1(string prediction, params IReadOnlyList<string> references) =>
        Best(references, r => F1(Tokens(prediction), Tokens(r)));

    private static string[] Tokens(string text) => Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static double F1(string[] predicted, string[] reference)
    {
        if (predicted.Length == 0 || reference.Length == 0) return predicted.Length == reference.Length ? 1 : 0;
        var counts = reference.CountBy(t => t).ToDictionary(p => p.Key, p => p.Value);
        int common = 0;
        foreach (var token in predicted)
            if (counts.TryGetValue(token, out int left) && left > 0) { counts[token] = left - 1; common++; }
        if (common == 0) return 0;
        double precision = (double)common / predicted.Length, recall = (double)common / reference.Length;
        return 2 * precision * recall / (precision + recall);
    }

    // The SQuAD v2 script scores against the references that normalise to something, and against "" when none does.
    private static double Best(IReadOnlyList<string> references, Func<string, double> score)
    {
        Check.NotEmpty(references, nameof(references));
        var gold = references.Select(r => r ?? throw new ArgumentException("a reference is null.", nameof(references)))
            .Where(r => Normalize(r).Length > 0).DefaultIfEmpty("");
        return gold.Max(score);
    }

    // Python's string.punctuation, which the SQuAD script strips.
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    // \b(a|an|the)\b with Python's word characters, [\p{L}\p{N}_]: .NET's \w also counts combining marks such as the
    // U+0307 that 'İ' lower-cases to, and leaves out letter-like numbers (Nl, No).
    [GeneratedRegex(@"(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])")]
    private static partial Regex Articles();
}
