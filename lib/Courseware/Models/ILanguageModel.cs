using Microsoft.ML.Tokenizers;

namespace Courseware.Models;

/// <summary>
/// A causal language model behind one small interface, the two primitives of lm-evaluation-harness:
/// scoring continuations (multiple-choice benchmarks) and generating text. Implemented by TinyGpt on TorchSharp,
/// by an exported model on ONNX Runtime, and by OpenAI-compatible HTTP servers.
/// </summary>
/// <example><code>
/// using var model = TinyGpt.Load("datasets/models/tinygpt-base");
/// var scores = await model.LogLikelihoodAsync([new("Question: Where does Ilsa Brandt live?\nAnswer:", " Oromar")]);
/// </code></example>
public interface ILanguageModel : IDisposable
{
    /// <summary>A short name for tables and run logs (e.g. "tinygpt-base (torch, cpu)").</summary>
    string Name { get; }

    /// <summary>The tokenizer whose ids the model reads and writes.</summary>
    Tokenizer Tokenizer { get; }

    /// <summary>The longest token sequence the model attends over; longer inputs are truncated from the left with a warning.</summary>
    int MaxContextLength { get; }

    /// <summary>
    /// For each request, log P(continuation | context) token by token, their sum, and whether greedy decoding would
    /// have produced exactly the continuation. Results come back in request order; batching never changes them.
    /// </summary>
    Task<IReadOnlyList<LogLikelihood>> LogLikelihoodAsync(IReadOnlyList<LogLikelihoodRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>Continues each prompt until a stop sequence, the token limit or the context limit; results in request order.</summary>
    Task<IReadOnlyList<Generation>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default);
}

/// <summary>Score <paramref name="Continuation"/> after <paramref name="Context"/> (lm-eval puts the space in the continuation: "Answer:" + " Paris").</summary>
public sealed record LogLikelihoodRequest(string Context, string Continuation);

/// <summary>The log-likelihood of a continuation.</summary>
/// <param name="Sum">Sum of <paramref name="TokenLogProbs"/> (natural log).</param>
/// <param name="IsGreedy">True when every continuation token is the argmax at its position.</param>
/// <param name="TokenLogProbs">log P(token | everything before it), one per continuation token.</param>
/// <param name="TruncatedTokens">Context tokens dropped from the left to fit <see cref="ILanguageModel.MaxContextLength"/>.</param>
public sealed record LogLikelihood(double Sum, bool IsGreedy, IReadOnlyList<double> TokenLogProbs, int TruncatedTokens)
{
    /// <summary>Number of continuation tokens.</summary>
    public int TokenCount => TokenLogProbs.Count;
}

/// <summary>How to generate.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most new tokens to produce.</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>0 decodes greedily; above 0 samples from softmax(logits / temperature).</summary>
    public double Temperature { get; init; }

    /// <summary>Seed of the sampler (ignored when greedy); the same seed gives the same text on every backend.</summary>
    public int Seed { get; init; }

    /// <summary>Generation ends before the first occurrence of any of these strings; the stop string is not returned.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Greedy decoding with the given stop sequences.</summary>
    public static GenerationOptions Greedy(int maxNewTokens = 64, params string[] stop) => new() { MaxNewTokens = maxNewTokens, Stop = stop };
}

/// <summary>A prompt to continue.</summary>
public sealed record GenerationRequest(string Prompt, GenerationOptions Options)
{
    /// <summary>Greedy generation of up to 64 tokens.</summary>
    public GenerationRequest(string prompt) : this(prompt, new GenerationOptions()) { }
}

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>A stop sequence appeared.</summary>
    Stop,
    /// <summary>The token limit was reached.</summary>
    Length,
}

/// <summary>Generated text (without the prompt and without the stop sequence).</summary>
public sealed record Generation(string Text, int TokenCount, FinishReason FinishReason, int TruncatedTokens);
