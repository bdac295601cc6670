using Courseware.Notebooks;
using MathNet.Numerics.Distributions;

namespace Courseware.Evaluation;

/// <summary>
/// A metric over several training seeds: mean ± sample standard deviation and a Student-t confidence interval for the
/// mean, mean ± t_{(1+c)/2, n−1} · s / √n (scipy's <c>t.interval</c>). Report this instead of one lucky seed.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class SeedSummary
{
    internal SeedSummary(IReadOnlyList<double> values, double confidence, string? name)
    {
        Values = values;
        Confidence = confidence;
        Name = name;
        Mean = values.Average();
        StandardDeviation = Stats.StandardDeviation(values);
        double half = StudentT.InvCDF(0, 1, values.Count - 1, (1 + confidence) / 2) * StandardDeviation / Math.Sqrt(values.Count);
        Low = Mean - half;
        High = Mean + half;
    }

    /// <summary>What was measured (shown in the display), if given.</summary>
    public string? Name { get; }
    /// <summary>The metric of each seed.</summary>
    public IReadOnlyList<double> Values { get; }
    /// <summary>Mean over seeds.</summary>
    public double Mean { get; }
    /// <summary>Sample standard deviation (n − 1).</summary>
    public double StandardDeviation { get; }
    /// <summary>Lower bound of the t-interval for the mean.</summary>
    public double Low { get; }
    /// <summary>Upper bound of the t-interval for the mean.</summary>
    public double High { get; }
    /// <summary>Confidence level of the interval (default 0.95).</summary>
    public double Confidence { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{(Name is null ? "" : Name + ": ")}{Html.FormatNumber(Mean)} ± {Html.FormatNumber(StandardDeviation)} (n = {Values.Count} seeds, {Confidence * 100:0.#} % t-interval {Html.FormatNumber(Low)} to {Html.FormatNumber(High)})";
}

public static partial class Stats
{
    /// <summary>Summarises one metric over seeds (at least 2): mean, standard deviation and a t-interval.</summary>
    /// <example><code>Stats.SeedSummary([0.81, 0.79, 0.83, 0.80, 0.82], name: "accuracy")</code></example>
    public static SeedSummary SeedSummary(IReadOnlyList<double> values, double confidence = 0.95, string? name = null)
    {
        Check.NotEmpty(values, nameof(values));
        if (values.Count < 2) throw new ArgumentException("one seed gives no spread; run at least 2 (5–10 is usual).", nameof(values));
        Check.Finite(values, nameof(values));
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "expected a confidence level strictly between 0 and 1.");
        return new SeedSummary(values.ToArray(), confidence, name);
    }
}
