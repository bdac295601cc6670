using Courseware.Evaluation;

namespace Courseware.Tests.Evaluation;

public class AnswerMatchTests
{
    [Fact]
    public void Normalisation_follows_the_squad_script()
    {
        Assert.Equal("eiffel tower", AnswerMatch.Normalize("The  Eiffel-Tower!"[..4] + " Eiffel Tower!"));
        Assert.Equal("cat sat on mat", AnswerMatch.Normalize("A cat sat on the mat."));
        Assert.Equal("theory", AnswerMatch.Normalize("Theory")); // "the" only as a whole word
    }

    [Fact]
    public void Exact_match_uses_the_best_reference() =>
        Assert.Equal(1, AnswerMatch.ExactMatch("the Louvre", "Musée du Louvre", "Louvre"));

    [Fact]
    public void Token_f1_by_hand()
    {
        // prediction "eiffel tower" vs reference "eiffel tower in paris": c = 2, P = 1, R = 1/2 → F1 = 2/3
        Assert.Equal(2.0 / 3, AnswerMatch.TokenF1("The Eiffel Tower", "Eiffel Tower in Paris"), 1e-12);
        // Repeated tokens are clipped: "paris paris paris" vs "paris france": c = 1, P = 1/3, R = 1/2 → F1 = 0.4
        Assert.Equal(0.4, AnswerMatch.TokenF1("paris paris paris", "Paris, France"), 1e-12);
        Assert.Equal(0, AnswerMatch.TokenF1("London", "Paris"));
        // Empty after normalisation: 1 only if both are empty (SQuAD 2.0).
        Assert.Equal(1, AnswerMatch.TokenF1("the", "a"));
        Assert.Equal(0, AnswerMatch.TokenF1("", "Paris"));
    }
}

public class AnswerMatchReferenceTests
{
    // The SQuAD v2 script (evaluate-v2.0.py, get_raw_scores) keeps only references that normalise to something:
    //   gold_answers = [a['text'] for a in qa['answers'] if normalize_answer(a['text'])]; if none remain, [''].
    // By hand: "" against ["the", "Paris"] is scored against ["Paris"] only → EM 0, F1 0.
    [Fact]
    public void References_that_normalise_to_nothing_are_dropped_as_in_the_squad_v2_script()
    {
        Assert.Equal(0, AnswerMatch.ExactMatch("", "the", "Paris"));
        Assert.Equal(0, AnswerMatch.TokenF1("", "the", "Paris"));
        Assert.Equal(0, AnswerMatch.TokenF1("an", "the", "Paris"));
        Assert.Equal(1, AnswerMatch.TokenF1("Paris!", "the", "Paris"));
        // Every reference empty after normalisation: gold is [''], so only an empty prediction scores.
        Assert.Equal(1, AnswerMatch.ExactMatch("", "the", "a."));
        Assert.Equal(1, AnswerMatch.TokenF1("The", "the", "a."));
        Assert.Equal(0, AnswerMatch.TokenF1("Paris", "the", "a."));
    }
}

// Worked examples from sacreBLEU's own test suite (github.com/mjpost/sacrebleu at f615c72, v2.6.0: test/test_bleu.py,
// test/test_sentence_bleu.py, test/test_chrf.py); tolerances are the ones those tests use.
public class BleuTests
{
    private static readonly string[] Hypotheses = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
    private static readonly IReadOnlyList<string>[] References =
    [
        ["The dog bit the man.", "The dog had bit the man."],
        ["It was not unexpected.", "No one was surprised."],
        ["The man bit him first.", "The man had bitten the dog."],
    ];

    [Fact]
    public void Corpus_bleu_of_the_sacrebleu_readme_example()
    {
        Assert.Equal(48.530827, Bleu.Corpus(Hypotheses, References).Score, 1e-6);
        Assert.Equal(48.530827, Bleu.Corpus(Hypotheses, References, new BleuOptions { Smoothing = BleuSmoothing.None }).Score, 1e-6);
        Assert.Equal(49.1919566, Bleu.Corpus(Hypotheses, References, new BleuOptions { Tokenize13a = false }).Score, 1e-6);
        Assert.Equal(0.0, Bleu.Corpus(["", "", ""], References).Score);
    }

    // sacrebleu.raw_corpus_bleu: floor smoothing 0.01, no tokenization, effective order.
    private static readonly BleuOptions Raw = new() { Tokenize13a = false, Smoothing = BleuSmoothing.Floor, SmoothValue = 0.01, EffectiveOrder = true };

    [Theory]
    [InlineData(new[] { "this is a test", "another test" }, new[] { "ref1", "ref2" }, 0.0)] // no match at all is 0 since sacreBLEU 2 (#141)
    [InlineData(new[] { "this is a test" }, new[] { "this is a test" }, 1.0)]
    [InlineData(new[] { "this is a fest" }, new[] { "this is a test" }, 0.223606797749979)]
    [InlineData(new[] { "test" }, new[] { "a test" }, 0.3678794411714425)]
    [InlineData(new[] { "a test" }, new[] { "a test" }, 1.0)]
    [InlineData(new[] { "a little test" }, new[] { "a test" }, 0.03218297948685433)]
    public void Raw_bleu_cases(string[] hypotheses, string[] references, double expected) =>
        Assert.Equal(expected, Bleu.Corpus(hypotheses, references, Raw).Score / 100, 1e-8);

    [Fact]
    public void Statistics_and_scoring_cases()
    {
        var score = Bleu.Corpus(["am I am a character sequence"], ["I am a symbol string sequence a a"], Raw);
        Assert.Equal([4, 2, 1, 0], score.Matches);
        Assert.Equal([6, 5, 4, 3], score.Totals);
        Assert.Equal(0.8375922397, Bleu.FromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11, new BleuOptions { Smoothing = BleuSmoothing.None }).Score / 100, 1e-8);
        Assert.Equal(0.1555722182, Bleu.Corpus(["am I am a character sequence"], ["I am a symbol string sequence a a"], Raw with { SmoothValue = null }).Score / 100, 1e-8);
        Assert.Equal(0.0, Bleu.Corpus(["am I am a character sequence"], ["I am a symbol string sequence a a"], Raw with { SmoothValue = 0 }).Score);
    }

    // Issue #98's Romanian example, sentence BLEU with effective order.
    private const string Reference = "producţia de zahăr brut se exprimă în zahăr alb;";
    private const string System = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";

    [Theory]
    [InlineData(BleuSmoothing.Exponential, null, true, 8.493)]
    [InlineData(BleuSmoothing.None, null, true, 0.0)]
    [InlineData(BleuSmoothing.Floor, null, true, 4.51688)]
    [InlineData(BleuSmoothing.Floor, 0.5, true, 10.10)]
    [InlineData(BleuSmoothing.AddK, null, true, 14.882)]
    [InlineData(BleuSmoothing.AddK, 2.0, true, 21.389)]
    [InlineData(BleuSmoothing.Exponential, null, false, 7.347)]
    public void Sentence_bleu_smoothing_cases(BleuSmoothing smoothing, double? value, bool tokenize13a, double expected) =>
        Assert.Equal(expected, Bleu.Sentence(System, [Reference], new BleuOptions { Smoothing = smoothing, SmoothValue = value, Tokenize13a = tokenize13a }).Score, 1e-3);

    // test_degenerate_statistics: floor smoothing over statistics with no match gives exactly 0.
    [Theory]
    [InlineData(new[] { 0, 0, 0, 0 }, new[] { 4, 4, 2, 1 }, 0, 1, 0.0)]
    [InlineData(new[] { 0, 0, 0, 0 }, new[] { 10, 11, 12, 0 }, 14, 10, 0.0)]
    [InlineData(new[] { 0, 0, 0, 0 }, new[] { 0, 0, 0, 0 }, 0, 0, 0.0)]
    [InlineData(new[] { 6, 5, 4, 0 }, new[] { 6, 5, 4, 3 }, 6, 6, 0.0)]
    [InlineData(new[] { 0, 0, 0, 0 }, new[] { 0, 0, 0, 0 }, 0, 0, 0.1)]
    [InlineData(new[] { 0, 0, 0, 0 }, new[] { 0, 0, 0, 0 }, 1, 5, 0.01)]
    public void Degenerate_statistics_score_zero(int[] matches, int[] totals, int hypLength, int refLength, double floor) =>
        Assert.Equal(0.0, Bleu.FromStatistics(matches, totals, hypLength, refLength, new BleuOptions { Smoothing = BleuSmoothing.Floor, SmoothValue = floor }).Score);

    [Fact]
    public void Sentence_bleu_without_any_match_is_zero() =>
        Assert.Equal(0.0, Bleu.Sentence("this is a cat", ["okay thanks"]).Score);

    [Fact]
    public void Tokenizer_13a_splits_punctuation_but_not_numbers()
    {
        Assert.Equal("It wasn't surprising .", Tokenizer13a.Tokenize("It wasn't surprising.")); // 13a keeps apostrophes
        Assert.Equal("Costs rose 3.5 % to 1,000 in 2019 - 20 \" A & B \"", Tokenizer13a.Tokenize("Costs rose 3.5% to 1,000 in 2019-20 &quot;A &amp; B&quot;"));
    }

    [Fact]
    public void Score_prints_like_sacrebleu()
    {
        var text = Bleu.Corpus(Hypotheses, References).ToString();
        Assert.StartsWith("BLEU = 48.53 ", text);
        Assert.Contains("hyp_len = ", text);
    }

    [Fact]
    public void Missing_references_are_reported_by_index()
    {
        var e = Assert.Throws<ArgumentException>(() => Bleu.Corpus(["a", "b"], new IReadOnlyList<string>[] { ["a"], [] }));
        Assert.Contains("references[1] is empty", e.Message);
    }
}

public class ChrfTests
{
    private static readonly ChrfOptions Eps3 = new() { Beta = 3, EpsilonSmoothing = true };

    [Theory]
    [InlineData(new[] { "abcdefg" }, new[] { "hijklmnop" }, 0.0)]
    [InlineData(new[] { "a" }, new[] { "b" }, 0.0)]
    [InlineData(new[] { "" }, new[] { "b" }, 0.0)]
    [InlineData(new[] { "" }, new[] { "reference" }, 0.0)]
    [InlineData(new[] { "aa" }, new[] { "ab" }, 8.3333)]
    [InlineData(new[] { "a", "b" }, new[] { "a", "c" }, 8.3333)]
    [InlineData(new[] { "a" }, new[] { "a" }, 16.6667)]
    [InlineData(new[] { "a b c" }, new[] { "a b c" }, 50.0)]
    [InlineData(new[] { "a b c" }, new[] { "abc" }, 50.0)]
    [InlineData(new[] { " risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ." },
        new[] { "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ." }, 63.361730)]
    [InlineData(new[] { " Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. " },
        new[] { "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich." }, 64.1302698)]
    [InlineData(new[] { "Niemand hat die Absicht, eine Mauer zu errichten" }, new[] { "Niemand hat die Absicht, eine Mauer zu errichten" }, 100.0)]
    public void Epsilon_smoothing_cases(string[] hypotheses, string[] references, double expected) =>
        Assert.Equal(expected, Chrf.Corpus(hypotheses, references, Eps3), 1e-4);

    [Theory]
    [InlineData(new[] { "a" }, new[] { "a" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "reference" }, 0.0)]
    [InlineData(new[] { "a b c" }, new[] { "a b c" }, 100.0)]
    [InlineData(new[] { "a b c" }, new[] { "abc" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "c" }, 0.0)]
    [InlineData(new[] { "a", "b" }, new[] { "a", "c" }, 50.0)]
    [InlineData(new[] { "aa" }, new[] { "ab" }, 25.0)]
    public void Effective_order_cases(string[] hypotheses, string[] references, double expected) =>
        Assert.Equal(expected, Chrf.Corpus(hypotheses, references, new ChrfOptions { Beta = 3 }), 1e-4);

    [Theory]
    [InlineData("Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.",
        "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 67.3481606)]
    [InlineData("risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
        "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 65.2414427)]
    public void Keep_whitespace_cases(string hypothesis, string reference, double expected) =>
        Assert.Equal(expected, Chrf.Corpus([hypothesis], [reference], new ChrfOptions { Beta = 3, Whitespace = true }), 1e-4);

    [Theory]
    [InlineData("Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
        "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509)]
    [InlineData("Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
        "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079)]
    [InlineData("Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
        "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367)]
    public void Sentence_level_cases_with_default_beta(string hypothesis, string reference, double expected) =>
        Assert.Equal(expected, Chrf.Sentence(hypothesis, [reference], new ChrfOptions { EpsilonSmoothing = true }), 1e-4);

    // The worked examples of the Hugging Face chrF metric card (github.com/huggingface/evaluate, metrics/chrf/README.md),
    // which wraps sacreBLEU: default chrF2, chrF++ (word order 2) and chrF++ lower-cased.
    [Theory]
    [InlineData(0, false, 84.64214891738334)]
    [InlineData(2, false, 82.87263732906315)]
    [InlineData(2, true, 92.12853119829202)]
    public void Hugging_face_metric_card_examples(int wordOrder, bool lowercase, double expected)
    {
        string[] predictions = ["The relationship between cats and dogs is not exactly friendly.", "a good bookshop is just a genteel black hole that knows how to read."];
        string[] references = ["The relationship between dogs and cats is not exactly friendly.", "A good bookshop is just a genteel Black Hole that knows how to read."];
        Assert.Equal(expected, Chrf.Corpus(predictions, references, new ChrfOptions { WordOrder = wordOrder, Lowercase = lowercase }), 1e-9);
    }

    [Fact]
    public void Several_references_take_the_best_one() =>
        Assert.Equal(100.0, Chrf.Sentence("a b c", ["x y z", "abc"]), 1e-9);
}

// rouge_score's own tests (github.com/google-research/google-research, rouge/rouge_scorer_test.py), whose ROUGE-1.5.5 cases
// use the first lines of rouge/testdata/target.txt and prediction.txt; places=5 there, so tolerance 5e-6 here.
public class RougeTests
{
    [Fact]
    public void Small_cases()
    {
        var r = Rouge.Score("testing", "testing one two");
        Assert.Equal(1, r.Rouge1.Precision, 1e-12);
        Assert.Equal(1.0 / 3, r.Rouge1.Recall, 1e-12);
        Assert.Equal(0.5, r.Rouge1.FMeasure, 1e-12);
        r = Rouge.Score("testing one", "testing one two");
        Assert.Equal(2.0 / 3, r.Rouge2.FMeasure, 1e-12);
        Assert.Equal(0.8, r.RougeL.FMeasure, 1e-12);
        Assert.Equal(0.8, Rouge.Score("testing two", "testing one two").RougeL.FMeasure, 1e-12); // non-consecutive LCS
        Assert.Equal(0, Rouge.Score("", "testing one two").RougeL.FMeasure);
    }

    private const string Target0 = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L";
    private const string Prediction0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi";
    private const string Target1 = "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN";
    private const string Prediction1 = "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD";

    [Fact]
    public void Matches_rouge_155_on_the_rouge_score_test_data()
    {
        var r = Rouge.Score(Prediction0, Target0);
        Assert.Equal(0.40741, r.Rouge1.Recall, 5e-6); Assert.Equal(0.68750, r.Rouge1.Precision, 5e-6); Assert.Equal(0.51163, r.Rouge1.FMeasure, 5e-6);
        Assert.Equal(0.30769, r.Rouge2.Recall, 5e-6); Assert.Equal(0.53333, r.Rouge2.Precision, 5e-6); Assert.Equal(0.39024, r.Rouge2.FMeasure, 5e-6);
        Assert.Equal(0.40741, r.RougeL.Recall, 5e-6); Assert.Equal(0.68750, r.RougeL.Precision, 5e-6); Assert.Equal(0.51163, r.RougeL.FMeasure, 5e-6);
        r = Rouge.Score(Prediction1, Target1);
        Assert.Equal(0.40476, r.Rouge1.Recall, 5e-6); Assert.Equal(0.65385, r.Rouge1.Precision, 5e-6); Assert.Equal(0.50000, r.Rouge1.FMeasure, 5e-6);
        Assert.Equal(0.29268, r.Rouge2.Recall, 5e-6); Assert.Equal(0.48000, r.Rouge2.Precision, 5e-6); Assert.Equal(0.36364, r.Rouge2.FMeasure, 5e-6);
        Assert.Equal(0.40476, r.RougeL.Recall, 5e-6); Assert.Equal(0.65385, r.RougeL.Precision, 5e-6); Assert.Equal(0.50000, r.RougeL.FMeasure, 5e-6);
    }

    [Fact]
    public void Lin_2004_example_rouge_l_prefers_in_order_matches()
    {
        // Lin (2004), section 3.1: reference "police killed the gunman"; S2 "police kill the gunman" has LCS 3,
        // S3 "the gunman kill police" LCS 2, so ROUGE-L F = 3/4 and 1/2, while ROUGE-2 can't tell S2 from S3.
        const string reference = "police killed the gunman";
        Assert.Equal(0.75, Rouge.Score("police kill the gunman", reference).RougeL.FMeasure, 1e-12);
        Assert.Equal(0.5, Rouge.Score("the gunman kill police", reference).RougeL.FMeasure, 1e-12);
        Assert.Equal(Rouge.Score("police kill the gunman", reference).Rouge2.FMeasure, Rouge.Score("the gunman kill police", reference).Rouge2.FMeasure, 1e-12);
    }
}
