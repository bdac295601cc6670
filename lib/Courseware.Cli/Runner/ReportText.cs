using System.Text;
using System.Text.RegularExpressions;

namespace Courseware.Cli.Runner;

/// <summary>
/// Text from notebooks (error messages, paths) made safe for reports and the console: ANSI escape sequences (colours,
/// cursor moves) are dropped, other control characters and lone surrogates are written as <c>\uXXXX</c>. The result
/// holds only characters legal in XML 1.0, so JUnit reports can always be written.
/// </summary>
internal static partial class ReportText
{
    public static string Readable(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        text = AnsiEscape().Replace(text, "");
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var bad = c is not ('\n' or '\r' or '\t') && (char.IsControl(c) || c is '\uFFFE' or '\uFFFF' || char.IsSurrogate(c) && !pair);
            if (bad)
            {
                sb ??= new StringBuilder(text, 0, i, text.Length + 16);
                sb.Append(@"\u").Append(((int)c).ToString("x4"));
                continue;
            }
            sb?.Append(c);
            if (pair)
            {
                sb?.Append(text[i + 1]);
                i++;
            }
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \) and two-character ESC sequences.</summary>
    [GeneratedRegex(@"\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])")]
    private static partial Regex AnsiEscape();
}
