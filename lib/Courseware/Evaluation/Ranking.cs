namespace Courseware.Evaluation;

/// <summary>
/// Ranking and retrieval (RAG) metrics for one query: <c>ranked</c> is what the system returned, best first;
/// relevance is known for some items (the judged set) and every other item counts as irrelevant.
/// Average the per-query values over queries yourself, or use <see cref="MeanReciprocalRank{T}"/>.
/// </summary>
/// <example><code>Ranking.Ndcg(retrievedIds, new Dictionary&lt;string, double&gt; { ["doc7"] = 2, ["doc3"] = 1 }, k: 5)</code></example>
public static class Ranking
{
    /// <summary>
    /// Normalised discounted cumulative gain at k with linear gains (scikit-learn's <c>ndcg_score</c>):
    /// DCG@k = Σ_{i=1..k} rel(ranked[i]) / log₂(i + 1), NDCG@k = DCG@k / IDCG@k where IDCG@k is the DCG of the
    /// judged items sorted by relevance. 0 when no judged item has positive relevance.
    /// </summary>
    public static double Ndcg<T>(IReadOnlyList<T> ranked, IReadOnlyDictionary<T, double> relevance, int k) where T : notnull
    {
        Validate(ranked, k);
        ArgumentNullException.ThrowIfNull(relevance);
        foreach (var (item, rel) in relevance)
            if (!double.IsFinite(rel) || rel < 0) throw new ArgumentException($"relevance of '{item}' is {rel}; expected a finite number ≥ 0.", nameof(relevance));
        double dcg = 0;
        for (int i = 0; i < Math.Min(k, ranked.Count); i++)
            dcg += relevance.GetValueOrDefault(ranked[i]) / Math.Log2(i + 2);
        double ideal = 0;
        int rank = 0;
        foreach (var rel in relevance.Values.OrderDescending().Take(k)) ideal += rel / Math.Log2(rank++ + 2);
        return ideal == 0 ? 0 : dcg / ideal;
    }

    /// <summary>NDCG@k with binary relevance: every item in <paramref name="relevant"/> has gain 1.</summary>
    public static double Ndcg<T>(IReadOnlyList<T> ranked, IReadOnlySet<T> relevant, int k) where T : notnull =>
        Ndcg(ranked, relevant.ToDictionary(r => r, _ => 1.0), k);

    /// <summary>Precision@k = |relevant ∩ top k| / k (a list shorter than k still divides by k, as is customary).</summary>
    public static double PrecisionAtK<T>(IReadOnlyList<T> ranked, IReadOnlySet<T> relevant, int k) where T : notnull
    {
        Validate(ranked, k);
        return (double)HitsInTopK(ranked, relevant, k) / k;
    }

    /// <summary>Recall@k = |relevant ∩ top k| / |relevant|: the share of the relevant items retrieved in the first k.</summary>
    public static double RecallAtK<T>(IReadOnlyList<T> ranked, IReadOnlySet<T> relevant, int k) where T : notnull
    {
        Validate(ranked, k);
        if (relevant.Count == 0) throw new ArgumentException("relevant is empty; recall is undefined without a relevant item.", nameof(relevant));
        return (double)HitsInTopK(ranked, relevant, k) / relevant.Count;
    }

    /// <summary>Reciprocal rank = 1 / (1-based rank of the first relevant item), 0 if none was retrieved.</summary>
    public static double ReciprocalRank<T>(IReadOnlyList<T> ranked, IReadOnlySet<T> relevant) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(relevant);
        for (int i = 0; i < ranked.Count; i++) if (relevant.Contains(ranked[i])) return 1.0 / (i + 1);
        return 0;
    }

    /// <summary>Mean reciprocal rank over queries: MRR = (1/|Q|) Σ_q 1 / rank_q of the first relevant item (0 when none).</summary>
    public static double MeanReciprocalRank<T>(IReadOnlyList<(IReadOnlyList<T> Ranked, IReadOnlySet<T> Relevant)> queries) where T : notnull
    {
        Check.NotEmpty(queries, nameof(queries));
        return queries.Average(q => ReciprocalRank(q.Ranked, q.Relevant));
    }

    private static int HitsInTopK<T>(IReadOnlyList<T> ranked, IReadOnlySet<T> relevant, int k)
    {
        ArgumentNullException.ThrowIfNull(relevant);
        return ranked.Take(k).Distinct().Count(relevant.Contains);
    }

    private static void Validate<T>(IReadOnlyList<T> ranked, int k)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "expected k ≥ 1.");
    }
}
