namespace Courseware.Reproducibility;

/// <summary>"Did you mean …?" for misspelt names: the closest candidate by edit distance, if close enough to be a typo.</summary>
internal static class NameSuggestion
{
    /// <summary>The candidate nearest to <paramref name="name"/> (case-insensitive, '_' and '-' ignored), or null when none is within a third of its length.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        var key = Normalize(name);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(key, Normalize(candidate));
            if (d < bestDistance) (best, bestDistance) = (candidate, d);
        }
        return best is not null && bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    /// <summary>Lower-case with '_' and '-' removed, so <c>learning_rate</c>, <c>learning-rate</c> and <c>LearningRate</c> match.</summary>
    public static string Normalize(string name) =>
        string.Concat(name.Where(ch => ch is not ('_' or '-')).Select(char.ToLowerInvariant));

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions, the commonest typo).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
