using System.Globalization;
using System.Text;
using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>
/// What one training run produced, as the audit sees it: metrics, and named float arrays (weights, but also
/// intermediate values such as the split indices or the shuffled order) in the order the pipeline produced them —
/// that order is how the audit tells where two runs first diverge.
/// </summary>
/// <example><code>return new TrainingOutcome().Array("shuffle.order", order).Array("weights", w).Metric("loss", loss);</code></example>
public sealed class TrainingOutcome
{
    private readonly List<KeyValuePair<string, double>> _metrics = [];
    private readonly List<KeyValuePair<string, float[]>> _arrays = [];

    /// <summary>Metrics in the order they were added.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Metrics => _metrics;

    /// <summary>Named arrays in pipeline order.</summary>
    public IReadOnlyList<KeyValuePair<string, float[]>> Arrays => _arrays;

    /// <summary>Adds a metric (names are unique).</summary>
    public TrainingOutcome Metric(string name, double value)
    {
        EnsureNew(name, _metrics.Select(m => m.Key), "metric");
        _metrics.Add(new(name, value));
        return this;
    }

    /// <summary>Adds a named array; it is copied, so later changes to <paramref name="values"/> do not alter the record.</summary>
    public TrainingOutcome Array(string name, ReadOnlySpan<float> values)
    {
        EnsureNew(name, _arrays.Select(a => a.Key), "array");
        _arrays.Add(new(name, values.ToArray()));
        return this;
    }

    /// <summary>Adds integer data (indices, orders) as an array; exact for values below 2^24.</summary>
    public TrainingOutcome Array(string name, IEnumerable<int> values) =>
        Array(name, values.Select(v => (float)v).ToArray());

    private static void EnsureNew(string name, IEnumerable<string> existing, string kind)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (existing.Contains(name, StringComparer.Ordinal)) throw new ArgumentException($"The outcome already has a {kind} named '{name}'.", nameof(name));
    }
}

/// <summary>How close two values must be to count as the same.</summary>
public sealed record Tolerance
{
    private Tolerance(double absolute, double relative, bool bitwise)
    {
        if (!(absolute >= 0) || !(relative >= 0)) throw new ArgumentOutOfRangeException(nameof(absolute), "Tolerances must be non-negative numbers.");
        (Absolute, Relative, IsBitwise) = (absolute, relative, bitwise);
    }

    /// <summary>Bit-for-bit equality (+0 and −0 differ; a NaN equals only the same NaN bits).</summary>
    public static Tolerance Bitwise { get; } = new(0, 0, bitwise: true);

    /// <summary>|a − b| ≤ absolute + relative·|b| (numpy.allclose's rule, b being the reference run); NaN matches only NaN.</summary>
    public static Tolerance Within(double absolute, double relative = 0) => new(absolute, relative, bitwise: false);

    /// <summary>The absolute part.</summary>
    public double Absolute { get; }

    /// <summary>The relative part.</summary>
    public double Relative { get; }

    /// <summary>True for <see cref="Bitwise"/>.</summary>
    public bool IsBitwise { get; }

    /// <summary>Whether <paramref name="a"/> matches the reference value <paramref name="b"/>.</summary>
    public bool Matches(double a, double b)
    {
        if (IsBitwise) return BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);
        if (double.IsNaN(a) || double.IsNaN(b)) return double.IsNaN(a) && double.IsNaN(b);
        if (a == b) return true; // equal infinities
        return Math.Abs(a - b) <= Absolute + Relative * Math.Abs(b);
    }

    internal bool Matches(float a, float b) =>
        IsBitwise ? BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) : Matches((double)a, b);

    /// <inheritdoc />
    public override string ToString() => IsBitwise
        ? "bitwise"
        : string.Create(CultureInfo.InvariantCulture, $"|a−b| ≤ {Absolute:G6} + {Relative:G6}·|b|");
}

/// <summary>How one named array (or metric) compares between two runs.</summary>
public enum ComparisonStatus
{
    /// <summary>Bit-for-bit the same.</summary>
    Identical,
    /// <summary>Not bitwise equal, but every element is within the tolerance.</summary>
    WithinTolerance,
    /// <summary>At least one element is outside the tolerance.</summary>
    Different,
    /// <summary>The arrays have different lengths.</summary>
    LengthMismatch,
    /// <summary>Only one run has it.</summary>
    Missing,
}

/// <summary>One array (or metric, as a length-1 array) compared between run A and reference run B.</summary>
/// <param name="Name">The array's name.</param>
/// <param name="Status">The verdict.</param>
/// <param name="Length">Elements compared (the shorter length on a mismatch).</param>
/// <param name="FirstDifferenceIndex">Index of the first element outside the tolerance, or null.</param>
/// <param name="ValueA">Run A's value at that index.</param>
/// <param name="ValueB">Run B's value at that index.</param>
/// <param name="MaxAbsDifference">Largest |a − b| over all elements (NaN when a NaN is involved).</param>
/// <param name="DifferentCount">Number of elements outside the tolerance.</param>
public sealed record ArrayComparison(
    string Name, ComparisonStatus Status, int Length, int? FirstDifferenceIndex, double? ValueA, double? ValueB,
    double MaxAbsDifference, int DifferentCount)
{
    /// <summary>Identical or within tolerance.</summary>
    public bool Matches => Status is ComparisonStatus.Identical or ComparisonStatus.WithinTolerance;

    internal static ArrayComparison Compare(string name, float[]? a, float[]? b, Tolerance tolerance)
    {
        if (a is null || b is null) return new(name, ComparisonStatus.Missing, 0, null, null, null, double.NaN, 0);
        var n = Math.Min(a.Length, b.Length);
        int? first = null;
        var count = 0;
        var bitwise = true;
        var maxDiff = 0.0;
        for (var i = 0; i < n; i++)
        {
            if (BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i])) continue;
            bitwise = false;
            var diff = Math.Abs((double)a[i] - b[i]);
            maxDiff = double.IsNaN(diff) || double.IsNaN(maxDiff) ? double.NaN : Math.Max(maxDiff, diff);
            if (tolerance.Matches(a[i], b[i])) continue;
            count++;
            first ??= i;
        }
        if (a.Length != b.Length)
            return new(name, ComparisonStatus.LengthMismatch, n, first ?? n, null, null, maxDiff, count + Math.Abs(a.Length - b.Length));
        var status = bitwise ? ComparisonStatus.Identical : count == 0 ? ComparisonStatus.WithinTolerance : ComparisonStatus.Different;
        return new(name, status, n, first, first is int f ? a[f] : null, first is int g ? b[g] : null, maxDiff, count);
    }

    internal static ArrayComparison CompareMetric(string name, double? a, double? b, Tolerance tolerance)
    {
        if (a is not double x || b is not double y) return new(name, ComparisonStatus.Missing, 0, null, a, b, double.NaN, 0);
        var identical = BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y);
        var matches = tolerance.Matches(x, y);
        var status = identical ? ComparisonStatus.Identical : matches ? ComparisonStatus.WithinTolerance : ComparisonStatus.Different;
        return new(name, status, 1, matches ? null : 0, x, y, identical ? 0 : Math.Abs(x - y), matches ? 0 : 1);
    }

    /// <summary>One line a person can read.</summary>
    public string Describe() => Status switch
    {
        ComparisonStatus.Identical => $"{Name}: identical ({Length} values)",
        ComparisonStatus.WithinTolerance => $"{Name}: within tolerance (max |Δ| = {Html.FormatNumber(MaxAbsDifference)})",
        ComparisonStatus.Different => $"{Name}: {DifferentCount} of {Length} differ; first at [{FirstDifferenceIndex}] ({Exact(ValueA)} vs {Exact(ValueB)}), max |Δ| = {Html.FormatNumber(MaxAbsDifference)}",
        ComparisonStatus.LengthMismatch => $"{Name}: lengths differ",
        _ => $"{Name}: present in only one run",
    };

    /// <summary>Round-trip formatting: values that differ in the last bit must not print alike.</summary>
    internal static string Exact(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}

/// <summary>Two runs compared metric by metric and array by array, arrays in pipeline order.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class RunComparison
{
    private RunComparison(Tolerance tolerance, IReadOnlyList<ArrayComparison> metrics, IReadOnlyList<ArrayComparison> arrays)
    {
        Tolerance = tolerance;
        Metrics = metrics;
        Arrays = arrays;
    }

    /// <summary>The tolerance used.</summary>
    public Tolerance Tolerance { get; }

    /// <summary>Metric comparisons.</summary>
    public IReadOnlyList<ArrayComparison> Metrics { get; }

    /// <summary>Array comparisons in run A's pipeline order (arrays only B has come last).</summary>
    public IReadOnlyList<ArrayComparison> Arrays { get; }

    /// <summary>True when every metric and array matches under the tolerance.</summary>
    public bool Reproduced => Metrics.All(m => m.Matches) && Arrays.All(a => a.Matches);

    /// <summary>True when everything is bit-for-bit identical.</summary>
    public bool BitwiseIdentical => Metrics.Concat(Arrays).All(c => c.Status == ComparisonStatus.Identical);

    /// <summary>The earliest array, in pipeline order, that does not match: where the runs first diverge.</summary>
    public ArrayComparison? FirstDivergence => Arrays.FirstOrDefault(a => !a.Matches);

    /// <summary>Compares run <paramref name="a"/> with reference run <paramref name="b"/>.</summary>
    public static RunComparison Compare(TrainingOutcome a, TrainingOutcome b, Tolerance? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        tolerance ??= Tolerance.Bitwise;
        var bArrays = b.Arrays.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var aArrays = a.Arrays.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var arrays = a.Arrays.Select(p => ArrayComparison.Compare(p.Key, p.Value, bArrays.GetValueOrDefault(p.Key), tolerance))
            .Concat(b.Arrays.Where(p => !aArrays.ContainsKey(p.Key)).Select(p => ArrayComparison.Compare(p.Key, null, p.Value, tolerance)))
            .ToList();
        var bMetrics = b.Metrics.ToDictionary(p => p.Key, p => (double?)p.Value, StringComparer.Ordinal);
        var aMetrics = a.Metrics.ToDictionary(p => p.Key, p => (double?)p.Value, StringComparer.Ordinal);
        var metrics = a.Metrics.Select(p => ArrayComparison.CompareMetric(p.Key, p.Value, bMetrics.GetValueOrDefault(p.Key), tolerance))
            .Concat(b.Metrics.Where(p => !aMetrics.ContainsKey(p.Key)).Select(p => ArrayComparison.CompareMetric(p.Key, null, p.Value, tolerance)))
            .ToList();
        return new RunComparison(tolerance, metrics, arrays);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Reproduced ? (BitwiseIdentical ? "Reproduced bit for bit" : $"Reproduced within {Tolerance}") : $"NOT reproduced ({Tolerance})");
        if (FirstDivergence is { } first) sb.Append("; first divergence: ").Append(first.Describe());
        return sb.ToString();
    }
}
