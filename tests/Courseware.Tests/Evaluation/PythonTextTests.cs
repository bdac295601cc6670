using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Courseware.Evaluation;

namespace Courseware.Tests.Evaluation;

// Python 3.11.2's str.lower() / isspace() / split() (Unicode 14.0.0), from reference/python_strings.py, which writes
// reference/python_lower.txt and prints the other values pasted here. The metric values follow from the metric
// definitions once the strings are lower-cased and split as Python does (worked out in the comments).
public class PythonTextTests
{
    private static string ReferenceFile(string name, [CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "reference", name);

    private static string Codes(string s) => string.Join(' ', s.EnumerateRunes().Select(r => r.Value.ToString("X4")));

    [Fact]
    public void Lower_maps_every_code_point_as_python()
    {
        var expected = File.ReadLines(ReferenceFile("python_lower.txt"))
            .Select(line => line.Split(' '))
            .ToDictionary(p => int.Parse(p[0], NumberStyles.HexNumber), p => string.Concat(p[1].Split(',').Select(h => char.ConvertFromUtf32(int.Parse(h, NumberStyles.HexNumber)))));
        Assert.Equal(1433, expected.Count);
        var wrong = new List<string>();
        for (int c = 0; c < 0x110000; c++)
        {
            if (c is >= 0xD800 and < 0xE000) continue;
            string s = char.ConvertFromUtf32(c), lower = PythonText.Lower(s);
            if (lower != expected.GetValueOrDefault(c, s)) wrong.Add($"U+{c:X4} → {Codes(lower)}");
        }
        Assert.Empty(wrong);
    }

    [Theory]
    [InlineData("ΟΔΟΣ", "03BF 03B4 03BF 03C2")]                                                         // final sigma
    [InlineData("ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ", "03BF 03B4 03BF 03C2 0020 03BA 03B1 03B9 0020 03C3 03BF 03C6 03B9 03B1")] // only at word end
    [InlineData("ΣΑΣ.", "03C3 03B1 03C2 002E")]
    [InlineData("Σ", "03C3")]                                                                           // no cased letter before
    [InlineData("ΑΣ'Β", "03B1 03C3 0027 03B2")]                                                       // ' is case-ignorable: Β follows
    [InlineData("ΑΣ'", "03B1 03C2 0027")]
    [InlineData("ΑΣ1", "03B1 03C2 0031")]
    [InlineData("İSTANBUL", "0069 0307 0073 0074 0061 006E 0062 0075 006C")]                            // İ → i + U+0307
    public void Lower_applies_final_sigma_and_dotted_capital_i_like_python(string text, string codes) =>
        Assert.Equal(codes, Codes(PythonText.Lower(text)));

    [Fact]
    public void Lower_keeps_a_lone_surrogate() => Assert.Equal("a\uD800b", PythonText.Lower("A\uD800B"));

    [Fact]
    public void Whitespace_is_pythons_isspace()
    {
        int[] python = [0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
            0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000];
        Assert.Equal(python, Enumerable.Range(0, 0x10000).Where(c => PythonText.IsWhiteSpace((char)c)));
        Assert.Equal(["a", "b", "c", "d", "e", "f"], PythonText.Split(" a\u001cb\u001dc\u001ed\u001fe\u0085f\u001c"));
        Assert.Equal("a", PythonText.TrimEnd("a \u001f"));
    }
}

// The text metrics on Greek, Turkish and U+001C–U+001F separated text (\u001c, never \x1c: C# reads up to four hex digits), as sacreBLEU, rouge_score and the SQuAD script
// score it with Python's string methods.
public class UnicodeTextMetricTests
{
    // Python: "ΟΔΟΣ".lower() == "οδος", so lower-cased chrF compares identical strings: every n-gram matches, 100.
    // (ToLowerInvariant gave "οδοσ": 47.9.)
    [Fact]
    public void Chrf_lowercases_greek_with_final_sigma() =>
        Assert.Equal(100, Chrf.Sentence("οδος", ["ΟΔΟΣ"], new ChrfOptions { Lowercase = true }), 1e-9);

    // chrF drops whitespace with ''.join(line.split()): "a\u001db c" and "ab c" both become "abc": 100.
    [Fact]
    public void Chrf_removes_python_whitespace() =>
        Assert.Equal(100, Chrf.Sentence("a\u001db c", ["ab c"]), 1e-9);

    // Both sides lower-case to "η οδος": identical, so every n-gram precision is 100 and BP = 1: BLEU 100.
    [Fact]
    public void Bleu_lowercases_greek_with_final_sigma() =>
        Assert.Equal(100, Bleu.Sentence("η οδος", ["Η ΟΔΟΣ"], new BleuOptions { Lowercase = true }).Score, 1e-9);

    // 13a ends with ' '.join(line.split()): "the\u001ccat sat" is the three tokens of "the cat sat": BLEU 100.
    [Fact]
    public void Bleu_splits_on_python_whitespace()
    {
        Assert.Equal("the cat sat", Tokenizer13a.Tokenize("the\u001ccat sat\u001f"));
        Assert.Equal(100, Bleu.Corpus(["the\u001ccat sat on the mat"], ["the cat sat on the mat"]).Score, 1e-9);
        Assert.Equal(100, Bleu.Corpus(["the\u001ccat sat on the mat"], ["the cat sat on the mat"], new BleuOptions { Tokenize13a = false }).Score, 1e-9);
    }

    // rouge_score: "İstanbul".lower() = "i̇stanbul"; U+0307 is not [a-z0-9], so the tokens are ["i", "stanbul"] and
    // share nothing with ["istanbul"]: ROUGE-1 F = 0.
    [Fact]
    public void Rouge_tokenizes_dotted_capital_i_like_rouge_score()
    {
        Assert.Equal(["i", "stanbul"], Rouge.Tokenize("İstanbul"));
        Assert.Equal(0, Rouge.Score("İstanbul", "istanbul").Rouge1.FMeasure);
    }

    // normalize_answer from the SQuAD script, run by reference/python_strings.py.
    [Theory]
    [InlineData("ΟΔΟΣ", "οδος")]
    [InlineData("İthe", "i\u0307")]          // U+0307 is not a word character in Python's re: "the" is a whole word
    [InlineData("Paris\u001cFrance\u001f", "paris france")]
    [InlineData("The\u001dEiffel Tower", "eiffel tower")]
    public void Squad_normalisation_matches_the_script(string text, string expected) =>
        Assert.Equal(expected, AnswerMatch.Normalize(text));

    [Fact]
    public void Squad_scores_greek_and_separated_text_like_the_script()
    {
        Assert.Equal(1, AnswerMatch.ExactMatch("οδος", "ΟΔΟΣ"));
        Assert.Equal(1, AnswerMatch.TokenF1("The\u001dEiffel Tower", "eiffel tower"), 1e-12);
    }
}
