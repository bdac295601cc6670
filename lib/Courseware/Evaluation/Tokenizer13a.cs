using System.Text.RegularExpressions;

namespace Courseware.Evaluation;

/// <summary>
/// sacreBLEU's default BLEU tokenizer "13a", equivalent to mteval-v13a.pl used by WMT: unescapes a few HTML entities,
/// then splits punctuation and symbols off words, keeping periods and commas inside numbers ("3.5", "1,000") and
/// splitting a dash after a digit. Tokens come back joined by single spaces.
/// </summary>
public static partial class Tokenizer13a
{
    /// <summary>Tokenizes one line, e.g. "It wasn't 3.5%." → "It wasn ' t 3.5 % .".</summary>
    public static string Tokenize(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = line.Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ");
        if (line.Contains('&'))
            line = line.Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        line = $" {line} ";
        line = Symbols().Replace(line, " $1 ");
        line = PeriodCommaAfterNonDigit().Replace(line, "$1 $2 ");
        line = PeriodCommaBeforeNonDigit().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return string.Join(' ', PythonText.Split(line));
    }

    // The four substitutions of sacrebleu/tokenizers/tokenizer_re.py, in order.
    [GeneratedRegex(@"([\{-\~\[-\` -\&\(-\+\:-\@\/])")]
    private static partial Regex Symbols();

    [GeneratedRegex(@"([^0-9])([\.,])")]
    private static partial Regex PeriodCommaAfterNonDigit();

    [GeneratedRegex(@"([\.,])([^0-9])")]
    private static partial Regex PeriodCommaBeforeNonDigit();

    [GeneratedRegex(@"([0-9])(-)")]
    private static partial Regex DashAfterDigit();
}
