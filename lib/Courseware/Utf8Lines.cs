using System.Text;

namespace Courseware;

/// <summary>
/// Turns byte offsets into UTF-8 text (such as <c>Utf8JsonReader.TokenStartIndex</c>, which comes without a line) into
/// 1-based lines and columns for error messages. Offsets must not decrease between calls: each byte is scanned once.
/// </summary>
internal struct Utf8Lines()
{
    private int line = 1;
    private long scanned, lineStart;

    /// <summary>The line of the byte at <paramref name="offset"/>.</summary>
    public int Line(ReadOnlySpan<byte> utf8, long offset)
    {
        for (; scanned < offset; scanned++)
            if (utf8[(int)scanned] == (byte)'\n') { line++; lineStart = scanned + 1; }
        return line;
    }

    /// <summary>The line and the column (in characters, not bytes) of the byte at <paramref name="offset"/>.</summary>
    public (int Line, int Column) Position(ReadOnlySpan<byte> utf8, long offset)
    {
        var at = Line(utf8, offset);
        return (at, Encoding.UTF8.GetCharCount(utf8[(int)lineStart..(int)offset]) + 1);
    }

    /// <summary>The number of bytes of a UTF-8 byte order mark at the start of <paramref name="utf8"/> (0 or 3).</summary>
    public static int BomLength(ReadOnlySpan<byte> utf8) => utf8.StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
}
