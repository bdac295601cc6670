using System.Collections.Concurrent;
using System.Globalization;
using Courseware.Models;

namespace Courseware.Evaluation;

/// <summary>The log-probabilities a <see cref="LogProbabilityJudge"/> compared, and the verdict they gave.</summary>
/// <param name="LogProbA">log P(verdict token A | judge prompt), natural log.</param>
/// <param name="LogProbB">log P(verdict token B | judge prompt).</param>
/// <param name="Verdict">A or B when the difference exceeds the margin, <see cref="Evaluation.Verdict.Tie"/> otherwise.</param>
public sealed record VerdictScores(double LogProbA, double LogProbB, Verdict Verdict)
{
    /// <summary>log P(A) − log P(B): positive when the judge leans to the answer shown first.</summary>
    public double Difference => LogProbA - LogProbB;
}

/// <summary>
/// A pairwise judge that reads a local model's preference from the log-probabilities of the verdict tokens instead of
/// generated text: after the judge prompt it scores the continuations " A" and " B" (lm-eval's convention: the space
/// belongs to the continuation) and says A or B when one is more likely by more than <see cref="Margin"/> nats, a tie
/// otherwise. It never has to parse free text and works with models too small to follow instructions — but such a
/// model's preferences mean only what you have measured them to mean (agreement with human labels, flip rate).
/// Deterministic: the protocol's repetitions reuse the first score of each prompt.
/// </summary>
/// <example><code>
/// var judge = new LogProbabilityJudge(model, margin: 0.1);
/// var report = await new PairwiseProtocol().JudgeAllAsync(pairs, judge.JudgeAsync);
/// </code></example>
public sealed class LogProbabilityJudge
{
    /// <summary>A short prompt that fits the course checkpoints' 96-character context and uses only their characters.</summary>
    public const string DefaultTemplate = "Q: {question}\nA: {answer_a}\nB: {answer_b}\nBetter:";

    private readonly ConcurrentDictionary<string, VerdictScores> _scores = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();

    /// <param name="model">The judging model (any backend that scores log-likelihoods).</param>
    /// <param name="template">Judge prompt with {question}, {answer_a} and {answer_b}; <see cref="DefaultTemplate"/> when null.</param>
    /// <param name="margin">Differences of at most this many nats are a tie (0: only exact equality).</param>
    /// <param name="tokenA">Continuation read as "A is better".</param>
    /// <param name="tokenB">Continuation read as "B is better".</param>
    public LogProbabilityJudge(ILanguageModel model, string? template = null, double margin = 0, string tokenA = " A", string tokenB = " B")
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(margin >= 0) || double.IsInfinity(margin)) throw new ArgumentOutOfRangeException(nameof(margin), margin, "expected a finite margin of 0 nats or more.");
        ArgumentException.ThrowIfNullOrEmpty(tokenA);
        ArgumentException.ThrowIfNullOrEmpty(tokenB);
        if (tokenA == tokenB) throw new ArgumentException($"tokenA and tokenB are both \"{tokenA}\"; the judge needs two different verdict tokens.", nameof(tokenB));
        Model = model;
        Prompt = new JudgePrompt(template ?? DefaultTemplate);
        Margin = margin;
        TokenA = tokenA;
        TokenB = tokenB;
    }

    /// <summary>The judging model.</summary>
    public ILanguageModel Model { get; }

    /// <summary>The judge prompt.</summary>
    public JudgePrompt Prompt { get; }

    /// <summary>Largest |log P(A) − log P(B)| (nats) that is still a tie.</summary>
    public double Margin { get; }

    /// <summary>The continuation meaning "the first answer is better".</summary>
    public string TokenA { get; }

    /// <summary>The continuation meaning "the second answer is better".</summary>
    public string TokenB { get; }

    /// <summary>Why calls gave no verdict (a prompt longer than the model's context), one line per call.</summary>
    public IReadOnlyList<string> Failures => [.. _failures];

    /// <summary>
    /// Scores both verdict tokens after the prompt for (question, A, B). Null when the prompt does not fit the model's
    /// context: a truncated prompt would lose the question, so the judge abstains (recorded in <see cref="Failures"/>).
    /// A character the model's tokenizer does not know is an <see cref="ArgumentException"/> naming it.
    /// </summary>
    public async Task<VerdictScores?> ScoreAsync(string question, string answerA, string answerB, CancellationToken cancellationToken = default)
    {
        string prompt = Prompt.Render(question, answerA, answerB);
        if (_scores.TryGetValue(prompt, out var cached)) return cached;
        int tokens = Model.Tokenizer.CountTokens(prompt) + Math.Max(Model.Tokenizer.CountTokens(TokenA), Model.Tokenizer.CountTokens(TokenB)) - 1;
        if (tokens > Model.MaxContextLength)
        {
            _failures.Enqueue($"{Model.Name}: the judge prompt for \"{question}\" needs {tokens} tokens; the model reads {Model.MaxContextLength}.");
            return null;
        }
        var scores = await Model.LogLikelihoodAsync([new(prompt, TokenA), new(prompt, TokenB)], cancellationToken).ConfigureAwait(false);
        double a = scores[0].Sum, b = scores[1].Sum;
        var verdict = Math.Abs(a - b) <= Margin ? Verdict.Tie : a > b ? Verdict.A : Verdict.B;
        return _scores.GetOrAdd(prompt, new VerdictScores(a, b, verdict));
    }

    /// <summary>
    /// The <see cref="PairwiseJudge"/> for <see cref="PairwiseProtocol"/>: "[[A]]", "[[B]]" or "[[C]]" (tie) with the
    /// log-probabilities, or an empty reply (unparseable) when the judge abstains.
    /// </summary>
    public async Task<string> JudgeAsync(string question, string answerA, string answerB, CancellationToken cancellationToken)
    {
        var scores = await ScoreAsync(question, answerA, answerB, cancellationToken).ConfigureAwait(false);
        if (scores is null) return "";
        string marker = scores.Verdict switch { Verdict.A => "[[A]]", Verdict.B => "[[B]]", _ => "[[C]]" };
        return string.Create(CultureInfo.InvariantCulture, $"{marker} log P(A) = {scores.LogProbA:0.####}, log P(B) = {scores.LogProbB:0.####}, margin {Margin}");
    }
}
