namespace Courseware.Drift;

/// <summary>
/// PSI of a stream of current values against a fixed reference, updated batch by batch in O(batch · log bins) with
/// constant memory. Bins are the reference deciles (<see cref="Binning.ReferenceQuantiles"/>), because Evidently's
/// bins depend on the whole current sample and cannot be fixed in advance; the value after any number of batches equals
/// <c>DriftStats.Psi(reference, allCurrentSoFar, binning: Binning.ReferenceQuantiles)</c>.
/// </summary>
/// <example><code>var psi = new StreamingPsi(reference); foreach (var batch in batches) psi.Add(batch); psi.Value</code></example>
public sealed class StreamingPsi
{
    readonly double[] _edges;
    readonly double[] _referenceShares;
    readonly long[] _counts;

    /// <summary>Fixes the bins and reference shares from <paramref name="reference"/> (NaN not allowed).</summary>
    public StreamingPsi(ReadOnlySpan<double> reference, double threshold = 0.1)
    {
        // Partial ordering around the decile ranks instead of a full sort: O(n) like numpy.quantile's partition.
        var data = DriftStats.CheckedCopy(reference, nameof(reference));
        Binned.SelectRanks(data, Binned.DecileRanks(data.Length));
        _edges = Binned.ReferenceDeciles(data.Length, i => data[i]);
        var referenceCounts = new long[_edges.Length + 1];
        foreach (var x in data) referenceCounts[BinOf(x)]++;
        _referenceShares = referenceCounts.Select(c => (double)c / data.Length).ToArray();
        _counts = new long[_edges.Length + 1];
        Threshold = threshold;
    }

    /// <summary>Drift when <see cref="Value"/> ≥ this.</summary>
    public double Threshold { get; }

    /// <summary>Current values counted so far.</summary>
    public long Count { get; private set; }

    /// <summary>NaN values seen and skipped.</summary>
    public long Missing { get; private set; }

    /// <summary>Counts a batch of current values.</summary>
    public void Add(ReadOnlySpan<double> batch)
    {
        foreach (var x in batch)
        {
            if (double.IsNaN(x)) { Missing++; continue; }
            Count++;
            _counts[BinOf(x)]++;
        }
    }

    // Bin = number of edges ≤ x (numpy.searchsorted(edges, x, side="right")); at most nine edges, so a branch-free scan.
    int BinOf(double x)
    {
        int bin = 0;
        foreach (var e in _edges) bin += e <= x ? 1 : 0;
        return bin;
    }

    /// <summary>Forgets the current values (for example at the start of a new window).</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        Count = 0;
        Missing = 0;
    }

    /// <summary>Reference and current shares per decile bin so far.</summary>
    public Binned Bins => Binned.ByEdgesFromCounts(_edges, _referenceShares, _counts);

    /// <summary>PSI of everything added since construction or <see cref="Reset"/>.</summary>
    public StatTestResult Result => Count == 0
        ? throw new InvalidOperationException("No current values yet: call Add with a batch first.")
        : DriftStats.PsiOf(Bins, Threshold) with { Test = "psi_deciles" };

    /// <summary>The PSI value so far.</summary>
    public double Value => Result.Statistic;
}
