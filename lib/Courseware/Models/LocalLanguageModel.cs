using Courseware.Notebooks;
using Microsoft.ML.Tokenizers;

namespace Courseware.Models;

/// <summary>
/// The shared half of every backend that computes logits itself (TorchSharp, ONNX Runtime): tokenization with
/// lm-evaluation-harness's context/continuation split, left truncation, batching with right padding, log-softmax,
/// greedy and seeded sampling, stop sequences. A backend only supplies <see cref="ComputeLogits"/>, so two
/// backends of the same weights give the same answers by construction of everything else.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public abstract class LocalLanguageModel : ILanguageModel
{
    private readonly object _gate = new();

    /// <param name="tokenizer">Tokenizer of the model.</param>
    /// <param name="maxContextLength">Positions the model attends over.</param>
    /// <param name="endOfTextId">Document separator: the context of an empty context (as lm-eval does) and a stop token in generation.</param>
    protected LocalLanguageModel(Tokenizer tokenizer, int maxContextLength, int endOfTextId)
    {
        Tokenizer = tokenizer;
        MaxContextLength = maxContextLength;
        EndOfTextId = endOfTextId;
    }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public Tokenizer Tokenizer { get; }

    /// <inheritdoc />
    public int MaxContextLength { get; }

    /// <summary>Id of the end-of-text token.</summary>
    public int EndOfTextId { get; }

    /// <summary>Number of logits per position.</summary>
    public abstract int VocabularySize { get; }

    /// <summary>Sequences per forward pass. Results do not depend on it.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Where warnings go (left truncation of over-long inputs); standard error by default, shown under the cell in a notebook.</summary>
    public TextWriter Log { get; set; } = Console.Error;

    /// <summary>
    /// Logits for a right-padded batch. <paramref name="tokens"/> is [batch, length] row-major; the result is
    /// [batch, length, <see cref="VocabularySize"/>] row-major. Causal models make padding on the right harmless.
    /// </summary>
    protected abstract float[] ComputeLogits(long[] tokens, int batch, int length);

    /// <summary>
    /// Length a batch whose longest sequence has <paramref name="longest"/> tokens is padded to (at least
    /// <paramref name="longest"/>, at most the context). Padding on the right never changes a result; a backend that
    /// plans memory per input shape can round up so that shapes repeat.
    /// </summary>
    protected virtual int PaddedLength(int longest) => longest;

    /// <summary>Logits of one batch of token sequences (right-padded internally): [batch][position][vocabulary] flattened per sequence.</summary>
    public float[][] Logits(IReadOnlyList<int[]> sequences)
    {
        if (sequences.Count == 0) return [];
        foreach (int[] sequence in sequences)
        {
            if (sequence.Length == 0 || sequence.Length > MaxContextLength)
                throw new ArgumentException($"Each sequence needs 1 to {MaxContextLength} tokens; got {sequence.Length}.", nameof(sequences));
            foreach (int id in sequence)
            {
                if (id < 0 || id >= VocabularySize)
                    throw new ArgumentException($"Token id {id} is outside the vocabulary (0..{VocabularySize - 1}).", nameof(sequences));
            }
        }
        int length = PaddedLength(sequences.Max(s => s.Length));
        var tokens = new long[sequences.Count * length];
        for (int b = 0; b < sequences.Count; b++)
        {
            for (int t = 0; t < length; t++) tokens[b * length + t] = t < sequences[b].Length ? sequences[b][t] : EndOfTextId;
        }
        float[] logits;
        lock (_gate) logits = ComputeLogits(tokens, sequences.Count, length);
        int v = VocabularySize;
        var result = new float[sequences.Count][];
        for (int b = 0; b < sequences.Count; b++)
        {
            result[b] = new float[sequences[b].Length * v];
            Array.Copy(logits, (long)b * length * v, result[b], 0, result[b].Length);
        }
        return result;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LogLikelihood>> LogLikelihoodAsync(IReadOnlyList<LogLikelihoodRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        return Task.Run<IReadOnlyList<LogLikelihood>>(() =>
        {
            var prepared = requests.Select((r, i) => PrepareScoring(r, i)).ToArray();
            var results = new LogLikelihood[requests.Count];
            // Longest first, so each batch pads little; the order cannot change a result.
            var order = Enumerable.Range(0, prepared.Length).OrderByDescending(i => prepared[i].Input.Length).ToArray();
            for (int start = 0; start < order.Length; start += BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int[] batch = order.Skip(start).Take(BatchSize).ToArray();
                float[][] logits = Logits(batch.Select(i => prepared[i].Input).ToArray());
                for (int k = 0; k < batch.Length; k++) results[batch[k]] = Score(prepared[batch[k]], logits[k]);
            }
            return results;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Generation>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        return Task.Run<IReadOnlyList<Generation>>(() =>
        {
            var states = requests.Select((r, i) => new GenerationState(r, PreparePrompt(r, i))).ToArray();
            for (int start = 0; start < states.Length; start += BatchSize)
            {
                GenerationState[] batch = states.Skip(start).Take(BatchSize).ToArray();
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    GenerationState[] active = batch.Where(s => s.Finish == null).ToArray();
                    if (active.Length == 0) break;
                    float[][] logits = Logits(active.Select(s => s.Tokens.ToArray()).ToArray());
                    for (int k = 0; k < active.Length; k++) Step(active[k], logits[k]);
                }
            }
            return states.Select(s => new Generation(s.Text, s.Generated.Count, s.Finish!.Value, s.TruncatedTokens)).ToArray();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Releases backend resources.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Override to release native resources.</summary>
    protected virtual void Dispose(bool disposing) { }

    private sealed record ScoringInput(int[] Input, int[] Continuation, int TruncatedTokens);

    private ScoringInput PrepareScoring(LogLikelihoodRequest request, int index)
    {
        ArgumentNullException.ThrowIfNull(request, $"requests[{index}]");
        if (string.IsNullOrEmpty(request.Continuation))
            throw new ArgumentException($"requests[{index}]: the continuation is empty; there is nothing to score.", nameof(request));
        var (context, continuation) = EncodePair(request.Context, request.Continuation, index);
        if (continuation.Length > MaxContextLength)
            throw new ArgumentException($"requests[{index}]: the continuation has {continuation.Length} tokens, more than the model's context of {MaxContextLength}.", nameof(request));
        int[] whole = [.. context, .. continuation];
        // lm-eval: keep the last max_length + 1 tokens; the model reads all but the last one.
        int truncated = Math.Max(0, whole.Length - (MaxContextLength + 1));
        if (truncated > 0)
            Log.WriteLine($"warning: {Name}: requests[{index}] has {whole.Length - 1} input tokens, more than the context of {MaxContextLength}; dropped {truncated} context tokens from the left.");
        int[] input = whole[truncated..^1];
        return new ScoringInput(input, continuation, truncated);
    }

    /// <summary>lm-eval's _encode_pair: trailing context spaces move to the continuation; the continuation is the tail of the whole encoding.</summary>
    private (int[] Context, int[] Continuation) EncodePair(string context, string continuation, int index)
    {
        if (context.Length == 0) return ([EndOfTextId], Encode(continuation, index));
        int spaces = context.Length - context.TrimEnd(' ').Length;
        if (spaces > 0)
        {
            continuation = context[^spaces..] + continuation;
            context = context[..^spaces];
        }
        int[] whole = Encode(context + continuation, index);
        int[] contextIds = Encode(context, index);
        return (contextIds, whole[contextIds.Length..]);
    }

    private int[] Encode(string text, int index)
    {
        try
        {
            return Tokenizer.EncodeToIds(text).ToArray();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"requests[{index}]: {e.Message}", e);
        }
    }

    private LogLikelihood Score(ScoringInput input, float[] logits)
    {
        int v = VocabularySize, n = input.Continuation.Length, first = input.Input.Length - n;
        var logProbs = new double[n];
        bool greedy = true;
        for (int j = 0; j < n; j++)
        {
            var row = new ReadOnlySpan<float>(logits, (first + j) * v, v);
            int target = input.Continuation[j];
            logProbs[j] = row[target] - LogSumExp(row);
            greedy &= ArgMax(row) == target;
        }
        return new LogLikelihood(logProbs.Sum(), greedy, logProbs, input.TruncatedTokens);
    }

    private sealed class GenerationState(GenerationRequest request, (List<int> Tokens, int Truncated) prompt)
    {
        public GenerationRequest Request { get; } = request;
        public List<int> Tokens { get; } = prompt.Tokens;
        public int TruncatedTokens { get; } = prompt.Truncated;
        public List<int> Generated { get; } = [];
        public Random Sampler { get; } = new(request.Options.Seed);
        public string Text { get; set; } = "";
        public FinishReason? Finish { get; set; }
    }

    private (List<int>, int) PreparePrompt(GenerationRequest request, int index)
    {
        ArgumentNullException.ThrowIfNull(request, $"requests[{index}]");
        GenerationOptions options = request.Options;
        if (options.MaxNewTokens < 1 || options.MaxNewTokens >= MaxContextLength)
            throw new ArgumentOutOfRangeException(nameof(request), $"requests[{index}]: MaxNewTokens must be 1 to {MaxContextLength - 1}; got {options.MaxNewTokens}.");
        if (options.Temperature < 0 || double.IsNaN(options.Temperature))
            throw new ArgumentOutOfRangeException(nameof(request), $"requests[{index}]: Temperature must be 0 (greedy) or positive; got {options.Temperature}.");
        int[] ids = request.Prompt.Length == 0 ? [EndOfTextId] : Encode(request.Prompt, index);
        // lm-eval: the prompt may use max_length - max_gen_toks tokens, keeping its end.
        int room = MaxContextLength - options.MaxNewTokens;
        int truncated = Math.Max(0, ids.Length - room);
        if (truncated > 0)
            Log.WriteLine($"warning: {Name}: requests[{index}] prompt has {ids.Length} tokens; kept the last {room} to leave room for {options.MaxNewTokens} new tokens.");
        return ([.. ids[truncated..]], truncated);
    }

    private void Step(GenerationState state, float[] logits)
    {
        GenerationOptions options = state.Request.Options;
        int v = VocabularySize;
        var row = new ReadOnlySpan<float>(logits, (state.Tokens.Count - 1) * v, v);
        int next = options.Temperature == 0 ? ArgMax(row) : Sample(row, options.Temperature, state.Sampler);
        if (next == EndOfTextId)
        {
            state.Finish = FinishReason.Stop;
            return;
        }
        state.Tokens.Add(next);
        state.Generated.Add(next);
        string text = Tokenizer.Decode(state.Generated) ?? "";
        int cut = options.Stop.Where(s => s.Length > 0).Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (cut >= 0)
        {
            state.Text = text[..cut];
            state.Finish = FinishReason.Stop;
            return;
        }
        state.Text = text;
        if (state.Generated.Count >= options.MaxNewTokens) state.Finish = FinishReason.Length;
    }

    private static int Sample(ReadOnlySpan<float> logits, double temperature, Random random)
    {
        double max = double.NegativeInfinity;
        foreach (float x in logits) max = Math.Max(max, x);
        var weights = new double[logits.Length];
        double total = 0;
        for (int i = 0; i < logits.Length; i++) total += weights[i] = Math.Exp((logits[i] - max) / temperature);
        double u = random.NextDouble() * total;
        for (int i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        return weights.Length - 1;
    }

    private static double LogSumExp(ReadOnlySpan<float> row)
    {
        double max = double.NegativeInfinity;
        foreach (float x in row) max = Math.Max(max, x);
        double sum = 0;
        foreach (float x in row) sum += Math.Exp(x - max);
        return max + Math.Log(sum);
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
