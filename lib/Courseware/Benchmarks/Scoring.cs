using System.Text;

namespace Courseware.Benchmarks;

/// <summary>
/// lm-evaluation-harness's multiple-choice scoring (lm_eval/api/task.py process_results), given the summed
/// log-likelihood of each choice:
/// acc = argmax(ll) == gold; acc_norm = argmax(ll / len(choice)) == gold with len in characters (without the
/// delimiter space); acc_bytes = the same with UTF-8 byte length; mc2 = Σ exp(ll) of the true answers / Σ exp(ll)
/// of all. Ties go to the first choice, as numpy's argmax does.
/// </summary>
public static class Scoring
{
    /// <summary>The score of one item for one metric.</summary>
    public static double Score(string metric, BenchmarkDocument document, IReadOnlyList<double> logLikelihoods, ScoringRule rule = ScoringRule.MultipleChoice)
    {
        if (logLikelihoods.Count != document.Choices.Count)
            throw new ArgumentException($"{document.Id}: {logLikelihoods.Count} log-likelihoods for {document.Choices.Count} choices.", nameof(logLikelihoods));
        if (rule == ScoringRule.TrueProbabilityMass)
        {
            if (metric != "acc") throw new ArgumentException($"TruthfulQA mc2 reports only 'acc'; '{metric}' asked for.", nameof(metric));
            return TrueProbabilityMass(document.Labels ?? throw new ArgumentException($"{document.Id}: mc2 needs labels.", nameof(document)), logLikelihoods);
        }
        return metric switch
        {
            "acc" => ArgMax(logLikelihoods, _ => 1) == document.Gold ? 1 : 0,
            "acc_norm" => ArgMax(logLikelihoods, i => document.Choices[i].Length) == document.Gold ? 1 : 0,
            "acc_bytes" => ArgMax(logLikelihoods, i => Encoding.UTF8.GetByteCount(document.Choices[i])) == document.Gold ? 1 : 0,
            _ => throw new ArgumentException($"Unknown metric '{metric}'; expected acc, acc_norm or acc_bytes.", nameof(metric)),
        };
    }

    /// <summary>Index of the largest log-likelihood divided by <paramref name="length"/> (first on ties).</summary>
    public static int ArgMax(IReadOnlyList<double> logLikelihoods, Func<int, double> length)
    {
        int best = 0;
        double bestScore = logLikelihoods[0] / length(0);
        for (int i = 1; i < logLikelihoods.Count; i++)
        {
            double score = logLikelihoods[i] / length(i);
            if (score > bestScore) (best, bestScore) = (i, score);
        }
        return best;
    }

    /// <summary>
    /// TruthfulQA mc2 (lm_eval/tasks/truthfulqa/utils.py process_results_mc2): split at the first label 0; true answers
    /// are those before it; probabilities exp(ll) without length normalisation, normalised over all answers.
    /// </summary>
    public static double TrueProbabilityMass(IReadOnlyList<int> labels, IReadOnlyList<double> logLikelihoods)
    {
        int split = labels.ToList().IndexOf(0);
        if (split < 0) split = labels.Count;
        // Subtracting the maximum keeps exp() finite for long answers; the ratio is unchanged.
        double max = logLikelihoods.Max();
        double all = logLikelihoods.Sum(ll => Math.Exp(ll - max));
        return logLikelihoods.Take(split).Sum(ll => Math.Exp(ll - max)) / all;
    }
}

/// <summary>A metric value with its standard error (NaN when it cannot be computed, written as "N/A").</summary>
public readonly record struct MetricValue(double Value, double StandardError)
{
    /// <summary>The normal-approximation confidence interval Value ± z·stderr.</summary>
    public (double Low, double High) ConfidenceInterval(double confidence = 0.95)
    {
        double z = MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.5 + confidence / 2);
        return (Value - z * StandardError, Value + z * StandardError);
    }

    /// <inheritdoc />
    public override string ToString() => double.IsNaN(StandardError)
        ? Notebooks.Html.FormatNumber(Value)
        : $"{Notebooks.Html.FormatNumber(Value)} ± {Notebooks.Html.FormatNumber(StandardError)}";
}

/// <summary>The harness's aggregation: means with sample standard errors, and size-weighted groups with the pooled standard error.</summary>
public static class Aggregation
{
    /// <summary>Mean and its standard error, sample std (n − 1) / √n (lm_eval/api/metrics.py mean_stderr); stderr NaN below 2 items.</summary>
    public static MetricValue Mean(IReadOnlyList<double> scores)
    {
        if (scores.Count == 0) throw new ArgumentException("No scores to aggregate.", nameof(scores));
        double mean = scores.Average();
        if (scores.Count < 2) return new MetricValue(mean, double.NaN);
        double variance = scores.Sum(s => (s - mean) * (s - mean)) / (scores.Count - 1);
        return new MetricValue(mean, Math.Sqrt(variance / scores.Count));
    }

    /// <summary>
    /// A group's score from its subtasks: size-weighted mean (micro, the harness default) or plain mean of subtask
    /// scores (macro); the standard error is lm_eval's pooled_sample_stderr in both cases, as the harness reports it.
    /// </summary>
    public static MetricValue Group(IReadOnlyList<MetricValue> subtasks, IReadOnlyList<int> sizes, bool weightBySize = true)
    {
        if (subtasks.Count == 0 || subtasks.Count != sizes.Count) throw new ArgumentException("Need one size per subtask and at least one subtask.", nameof(sizes));
        double total = sizes.Sum();
        double value = weightBySize ? subtasks.Select((m, i) => m.Value * sizes[i]).Sum() / total : subtasks.Average(m => m.Value);
        return new MetricValue(value, PooledStandardError(subtasks.Select(m => m.StandardError).ToList(), sizes));
    }

    /// <summary>lm_eval's pooled_sample_stderr: sqrt(Σ (nᵢ − 1)·seᵢ²·nᵢ / (Σnᵢ − k) / Σnᵢ); NaN when any subtask has none.</summary>
    public static double PooledStandardError(IReadOnlyList<double> standardErrors, IReadOnlyList<int> sizes)
    {
        if (standardErrors.Any(double.IsNaN)) return double.NaN;
        double total = sizes.Sum();
        double pooledVariance = standardErrors.Select((se, i) => (sizes[i] - 1) * se * se * sizes[i]).Sum() / (total - sizes.Count);
        return Math.Sqrt(pooledVariance / total);
    }
}
