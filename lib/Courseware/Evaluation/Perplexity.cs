namespace Courseware.Evaluation;

/// <summary>Perplexity from per-token log-probabilities (natural log, as language models return them).</summary>
/// <example><code>Perplexity.FromLogProbs(tokenLogProbs)</code></example>
public static class Perplexity
{
    /// <summary>
    /// PPL = exp(−(1/N) Σ log p(tokenᵢ | context)): the model's average branching factor; 1 is certain, the vocabulary
    /// size is uniform guessing.
    /// </summary>
    public static double FromLogProbs(IReadOnlyList<double> tokenLogProbs) => FromLogProbs([tokenLogProbs]);

    /// <summary>
    /// Corpus perplexity over several sequences: every token weighs the same, PPL = exp(−Σ_all log p / total tokens)
    /// (not the mean of per-sequence perplexities, which over-weights short sequences).
    /// </summary>
    public static double FromLogProbs(IEnumerable<IReadOnlyList<double>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        double sum = 0;
        long tokens = 0;
        int s = 0;
        foreach (var sequence in sequences)
        {
            for (int i = 0; i < sequence.Count; i++)
            {
                if (!(sequence[i] <= 0)) // also rejects NaN
                    throw new ArgumentException($"sequence {s}, token {i}: log-probability {sequence[i]} is not ≤ 0; expected natural-log probabilities.", nameof(sequences));
                sum += sequence[i];
            }
            tokens += sequence.Count;
            s++;
        }
        if (tokens == 0) throw new ArgumentException("no tokens; perplexity needs at least one token log-probability.", nameof(sequences));
        return Math.Exp(-sum / tokens);
    }
}
