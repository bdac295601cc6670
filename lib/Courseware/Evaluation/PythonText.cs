using System.Buffers;
using System.Globalization;
using System.Text;

namespace Courseware.Evaluation;

/// <summary>
/// Python 3's string semantics that the reference metrics (sacreBLEU, rouge_score, the SQuAD script) rely on, so that
/// BLEU, chrF, ROUGE and SQuAD scores agree with them on any script, not only on ASCII:
/// <c>str.lower()</c> (full case mapping: 'İ' → "i̇", and 'Σ' → 'ς' at the end of a word), <c>str.isspace()</c>,
/// <c>str.split()</c> and <c>str.rstrip()</c> (which also treat U+001C–U+001F as whitespace, unlike .NET).
/// </summary>
internal static class PythonText
{
    /// <summary>
    /// Python's <c>str.lower()</c>: the Unicode default full lowercase mapping without language tailoring. It differs from
    /// <see cref="string.ToLowerInvariant"/> in the two context-free SpecialCasing rules Python applies: U+0130 'İ'
    /// becomes "i\u0307" (two code points), and U+03A3 'Σ' becomes final sigma 'ς' when a cased letter precedes it and
    /// none follows (the Final_Sigma condition, ignoring case-ignorable characters in between).
    /// </summary>
    public static string Lower(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out _) != OperationStatus.Done)
            {
                sb.Append(text[i++]); // a lone surrogate has no case; Python keeps it as it is
                continue;
            }
            if (rune.Value == 0x130) sb.Append("i\u0307");
            else if (rune.Value == 0x3A3) sb.Append(IsFinalSigma(text, i) ? 'ς' : 'σ');
            else sb.Append(Rune.ToLowerInvariant(rune).ToString());
            i += rune.Utf16SequenceLength;
        }
        return sb.ToString();
    }

    /// <summary>Python's <c>str.isspace()</c> for one character: .NET's white space plus U+001C–U+001F (bidi class B or S).</summary>
    public static bool IsWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    /// <summary>Python's <c>str.split()</c> without arguments: runs of whitespace separate words, none are empty.</summary>
    public static string[] Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        for (int i = 0; i < text.Length;)
        {
            while (i < text.Length && IsWhiteSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !IsWhiteSpace(text[i])) i++;
            if (i > start) words.Add(text[start..i]);
        }
        return words.ToArray();
    }

    /// <summary>Python's <c>str.rstrip()</c>: trailing whitespace removed.</summary>
    public static string TrimEnd(string text)
    {
        int end = text.Length;
        while (end > 0 && IsWhiteSpace(text[end - 1])) end--;
        return text[..end];
    }

    // Final_Sigma (Unicode 3.13, Table 3-17) as CPython's handle_capital_sigma checks it: skipping case-ignorable
    // characters, a cased letter comes before position i and no cased letter comes after it.
    private static bool IsFinalSigma(string text, int i)
    {
        int j = i;
        Rune before = default;
        bool found = false;
        while (j > 0)
        {
            Rune.DecodeLastFromUtf16(text.AsSpan(0, j), out before, out int length);
            j -= length;
            if (!IsCaseIgnorable(before)) { found = true; break; }
        }
        if (!found || !IsCased(before)) return false;
        for (j = i + 1; j < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(j), out var after, out int length); // a lone surrogate reads as U+FFFD: neither cased nor ignorable, as in Python
            if (!IsCaseIgnorable(after)) return !IsCased(after);
            j += length;
        }
        return true;
    }

    // Unicode's Cased property: Lu, Ll, Lt plus Other_Lowercase / Other_Uppercase outside those categories
    // (ª º, Roman numerals, circled and squared Latin letters; the modifier letters among them are case-ignorable,
    // so the Final_Sigma scan never asks about them).
    private static bool IsCased(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        || r.Value is 0xAA or 0xBA or (>= 0x2160 and <= 0x217F) or (>= 0x24B6 and <= 0x24E9)
            or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189);

    // Unicode's Case_Ignorable property: Mn, Me, Cf, Lm, Sk plus the Word_Break classes MidLetter, MidNumLet and
    // Single_Quote (apostrophes, full stops, colons, middle dots).
    private static bool IsCaseIgnorable(Rune r) =>
        Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || r.Value is 0x27 or 0x2E or 0x3A or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
