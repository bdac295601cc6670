using System.Globalization;

namespace Courseware.Drift;

/// <summary>
/// Reference and current shares per bin (or per category): what PSI, KL, Jensen–Shannon and Hellinger compare, and
/// what a distribution overlay draws.
/// </summary>
/// <param name="Labels">One label per bin: the category, the value, or the interval <c>[lo, hi)</c>.</param>
/// <param name="Reference">Share of reference values per bin (sums to 1 before any smoothing).</param>
/// <param name="Current">Share of current values per bin.</param>
public sealed record Binned(string[] Labels, double[] Reference, double[] Current)
{
    /// <summary>
    /// Evidently's smoothing of empty bins, applied to each array separately and not renormalised: 0 becomes 1e-4,
    /// or (smallest non-zero share) / 1e6 when that share is at most 1e-4.
    /// </summary>
    public Binned WithEmptyBinsFilled() => this with { Reference = FillZeros(Reference), Current = FillZeros(Current) };

    static double[] FillZeros(double[] shares)
    {
        double minPositive = shares.Where(s => s > 0).DefaultIfEmpty(0).Min();
        double fill = minPositive is > 0 and <= 1e-4 ? minPositive / 1e6 : 1e-4;
        return shares.Select(s => s == 0 ? fill : s).ToArray();
    }

    /// <summary>Bins two sorted numerical samples by <paramref name="binning"/>.</summary>
    internal static Binned Numerical(double[] reference, double[] current, Binning binning) => binning switch
    {
        Binning.ReferenceQuantiles => ByEdges(reference, current, ReferenceDeciles(reference), openEnds: true),
        _ when CountDistinctSorted(reference) > 20 => ByEdges(reference, current, SturgesEdges(reference, current), openEnds: false),
        _ => Categorical(reference, current, v => v.ToString("R", CultureInfo.InvariantCulture)),
    };

    /// <summary>One bin per distinct value seen in either sample (missing values already dropped).</summary>
    internal static Binned Categorical<T>(IReadOnlyList<T> reference, IReadOnlyList<T> current, Func<T, string> label) where T : notnull
    {
        var refCounts = Counts(reference);
        var curCounts = Counts(current);
        var keys = refCounts.Keys.Union(curCounts.Keys).Order(KeyComparer<T>()).ToArray();
        return new Binned(
            keys.Select(label).ToArray(),
            keys.Select(k => (double)refCounts.GetValueOrDefault(k) / reference.Count).ToArray(),
            keys.Select(k => (double)curCounts.GetValueOrDefault(k) / current.Count).ToArray());
    }

    internal static Dictionary<T, long> Counts<T>(IReadOnlyList<T> values) where T : notnull
    {
        var counts = new Dictionary<T, long>();
        foreach (var v in values) counts[v] = counts.GetValueOrDefault(v) + 1;
        return counts;
    }

    /// <summary>Python's sort order: ordinal for strings, numeric for numbers.</summary>
    internal static IComparer<T> KeyComparer<T>() =>
        typeof(T) == typeof(string) ? (IComparer<T>)StringComparer.Ordinal : Comparer<T>.Default;

    /// <summary>numpy.histogram_bin_edges(concat(a, b), bins="sturges") for two sorted samples.</summary>
    internal static double[] SturgesEdges(double[] a, double[] b) =>
        SturgesEdges(Math.Min(a[0], b[0]), Math.Max(a[^1], b[^1]), a.Length + b.Length);

    /// <summary>numpy's Sturges edges for <paramref name="count"/> values spanning [min, max].</summary>
    internal static double[] SturgesEdges(double min, double max, long count)
    {
        double ptp = max - min, first = min, last = max;
        if (first == last) { first -= 0.5; last += 0.5; }
        double width = ptp / (Math.Log2(count) + 1.0);
        int bins = width > 0 ? (int)Math.Ceiling((last - first) / width) : 1;
        return Linspace(first, last, bins + 1);
    }

    // numpy.linspace(start, stop, num, endpoint=True): i·step + start, the last edge exactly stop.
    static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[^1] = stop;
        return y;
    }

    // numpy.quantile(reference, [0.1 … 0.9]) with the default linear method, duplicates removed.
    internal static double[] ReferenceDeciles(double[] sorted) => ReferenceDeciles(sorted.Length, i => sorted[i]);

    /// <summary>The order statistics (0-based ranks) that <see cref="ReferenceDeciles(int, Func{int, double})"/> reads.</summary>
    internal static int[] DecileRanks(int n) => Enumerable.Range(1, 9)
        .SelectMany(i => { int lo = (int)Math.Floor((n - 1) * (i / 10.0)); return new[] { Math.Clamp(lo, 0, n - 1), Math.Clamp(lo + 1, 0, n - 1) }; })
        .Distinct().Order().ToArray();

    /// <summary>Deciles from any source of order statistics (a sorted array, or one partitioned around the needed ranks).</summary>
    internal static double[] ReferenceDeciles(int n, Func<int, double> kth)
    {
        var edges = new List<double>();
        for (int i = 1; i <= 9; i++)
        {
            double q = i / 10.0, index = (n - 1) * q;
            int lo = (int)Math.Floor(index);
            double t = index - lo;
            double a = kth(Math.Clamp(lo, 0, n - 1)), b = kth(Math.Clamp(lo + 1, 0, n - 1)), diff = b - a;
            double value = t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
            if (edges.Count == 0 || edges[^1] != value) edges.Add(value);
        }
        return [.. edges];
    }

    /// <summary>
    /// Rearranges <paramref name="data"/> so that data[r] is the r-th smallest value for every r in <paramref name="ranks"/>
    /// (like numpy.partition with several kth): three-way quickselect, O(n) expected, ties handled in one pass.
    /// </summary>
    internal static void SelectRanks(double[] data, int[] ranks)
    {
        var stack = new Stack<(int Lo, int Hi, int Depth)>();
        stack.Push((0, data.Length, 0));
        while (stack.Count > 0)
        {
            var (lo, hi, depth) = stack.Pop();
            if (hi - lo <= 1 || !ranks.Any(r => r >= lo && r < hi)) continue;
            if (hi - lo <= 32 || depth > 64) { Array.Sort(data, lo, hi - lo); continue; } // small or adversarial: sort
            double x = data[lo], y = data[(lo + hi) >>> 1], z = data[hi - 1];
            double pivot = Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
            int lt = lo, i = lo, gt = hi;
            while (i < gt)
            {
                double v = data[i];
                if (v < pivot) { data[i++] = data[lt]; data[lt++] = v; }
                else if (v > pivot) { gt--; data[i] = data[gt]; data[gt] = v; }
                else i++;
            }
            stack.Push((lo, lt, depth + 1));
            stack.Push((gt, hi, depth + 1));
        }
    }

    /// <summary>
    /// Counts per bin. Closed edges (openEnds false) follow numpy.histogram: [e_i, e_{i+1}), the last bin closed.
    /// Open ends (reference quantiles) add (−∞, e_0) and [e_last, ∞).
    /// </summary>
    internal static Binned ByEdges(double[] reference, double[] current, double[] edges, bool openEnds) =>
        new(EdgeLabels(edges, openEnds), Shares(reference, edges, openEnds), Shares(current, edges, openEnds));

    /// <summary>Decile bins of a stream: fixed reference shares and running current counts.</summary>
    internal static Binned ByEdgesFromCounts(double[] edges, double[] referenceShares, long[] currentCounts)
    {
        double total = currentCounts.Sum();
        return new(EdgeLabels(edges, openEnds: true), referenceShares, currentCounts.Select(c => c / total).ToArray());
    }

    static string[] EdgeLabels(double[] edges, bool openEnds)
    {
        var labels = new List<string>();
        string F(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
        if (openEnds) labels.Add($"< {F(edges[0])}");
        for (int i = 0; i + 1 < edges.Length; i++)
            labels.Add(!openEnds && i + 2 == edges.Length ? $"[{F(edges[i])}, {F(edges[i + 1])}]" : $"[{F(edges[i])}, {F(edges[i + 1])})");
        if (openEnds) labels.Add($"≥ {F(edges[^1])}");
        return [.. labels];
    }

    static double[] Shares(double[] sorted, double[] edges, bool openEnds)
    {
        // cumulative[i] = number of values below edge i (the last closed edge counts values equal to it).
        var cumulative = new long[edges.Length];
        for (int i = 0; i < edges.Length; i++)
            cumulative[i] = !openEnds && i == edges.Length - 1 ? UpperBound(sorted, edges[i]) : LowerBound(sorted, edges[i]);
        var shares = new List<double>();
        if (openEnds) shares.Add((double)cumulative[0] / sorted.Length);
        for (int i = 0; i + 1 < edges.Length; i++) shares.Add((double)(cumulative[i + 1] - cumulative[i]) / sorted.Length);
        if (openEnds) shares.Add((double)(sorted.Length - cumulative[^1]) / sorted.Length);
        return [.. shares];
    }

    internal static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (sorted[mid] < value) lo = mid + 1; else hi = mid; }
        return lo;
    }

    internal static int UpperBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (sorted[mid] <= value) lo = mid + 1; else hi = mid; }
        return lo;
    }

    internal static int CountDistinctSorted(double[] sorted)
    {
        int count = sorted.Length == 0 ? 0 : 1;
        for (int i = 1; i < sorted.Length; i++) if (sorted[i] != sorted[i - 1]) count++;
        return count;
    }
}
