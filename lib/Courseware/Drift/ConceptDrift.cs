using Courseware.Notebooks;
using Microsoft.Data.Analysis;

namespace Courseware.Drift;

/// <summary>Model quality measure for concept drift.</summary>
public enum QualityMetric
{
    /// <summary>Share of correct labels (classification; higher is better).</summary>
    Accuracy,
    /// <summary>Mean absolute error (regression; lower is better).</summary>
    MeanAbsoluteError,
    /// <summary>Root mean squared error (regression; lower is better).</summary>
    RootMeanSquaredError,
}

/// <summary>Model quality on one labelled window.</summary>
/// <param name="Label">Window label.</param>
/// <param name="Rows">Labelled rows used (rows with a missing label or prediction are left out).</param>
/// <param name="Quality">The metric on this window.</param>
/// <param name="Degradation">Relative worsening against the reference (0.1 = 10 % worse; negative = better).</param>
/// <param name="Drifted">Degradation above the tolerance.</param>
public sealed record QualityWindow(string Label, long Rows, double Quality, double Degradation, bool Drifted);

/// <summary>Concept drift (a change in P(Y|X)) seen as a model getting worse on labelled windows.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class ConceptDriftResult
{
    internal ConceptDriftResult(QualityMetric metric, double referenceQuality, double tolerance, IReadOnlyList<QualityWindow> windows)
    {
        Metric = metric;
        ReferenceQuality = referenceQuality;
        Tolerance = tolerance;
        Windows = windows;
    }

    /// <summary>The metric used.</summary>
    public QualityMetric Metric { get; }
    /// <summary>The metric on the reference data.</summary>
    public double ReferenceQuality { get; }
    /// <summary>Relative degradation tolerated before a window counts as concept drift.</summary>
    public double Tolerance { get; }
    /// <summary>Quality per window, in order.</summary>
    public IReadOnlyList<QualityWindow> Windows { get; }
    /// <summary>The first window with concept drift (null if none).</summary>
    public QualityWindow? FirstDrift => Windows.FirstOrDefault(w => w.Drifted);
}

/// <summary>
/// Concept drift detection: compare a model's quality on labelled production windows with its quality on the
/// reference. The features may not drift at all while the relationship to the label does — data-drift tests miss that.
/// </summary>
/// <example><code>ConceptDrift.Evaluate(reference, windows, target: "label", prediction: "predicted")</code></example>
public static class ConceptDrift
{
    /// <summary>Quality from a prediction column already in the data.</summary>
    public static ConceptDriftResult Evaluate(DataFrame reference, IEnumerable<DataWindow> windows, string target, string prediction,
        QualityMetric? metric = null, double tolerance = 0.1) =>
        Evaluate(reference, windows, target, frame => Column(frame, prediction, "prediction"), metric, tolerance);

    /// <summary>Quality of <paramref name="model"/>, which predicts one value per row of a frame.</summary>
    public static ConceptDriftResult Evaluate(DataFrame reference, IEnumerable<DataWindow> windows, string target,
        Func<DataFrame, IReadOnlyList<object?>> model, QualityMetric? metric = null, double tolerance = 0.1)
    {
        if (tolerance < 0) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance is a relative degradation, at least 0.");
        _ = Column(reference, target, "target"); // names the column if it is absent
        var chosen = metric ?? (TableReader.TypeOf(reference.Columns[target]) == ColumnType.Numerical ? QualityMetric.MeanAbsoluteError : QualityMetric.Accuracy);
        var (refQuality, _) = Quality(reference, target, model, chosen, "reference");
        var results = new List<QualityWindow>();
        foreach (var w in windows)
        {
            var (q, n) = Quality(w.Data, target, model, chosen, $"window {w.Label}");
            double worse = chosen == QualityMetric.Accuracy ? refQuality - q : q - refQuality;
            double degradation = refQuality != 0 ? worse / refQuality : worse > 0 ? double.PositiveInfinity : 0; // a perfect reference error of 0
            results.Add(new QualityWindow(w.Label, n, q, degradation, degradation > tolerance));
        }
        return new ConceptDriftResult(chosen, refQuality, tolerance, results);
    }

    static IReadOnlyList<object?> Column(DataFrame frame, string name, string role)
    {
        if (!frame.Columns.Select(c => c.Name).Contains(name))
            throw new ArgumentException($"The {role} column '{name}' is not in the data (columns: {string.Join(", ", frame.Columns.Select(c => c.Name))}).");
        var column = frame.Columns[name];
        return Enumerable.Range(0, (int)column.Length).Select(i => column[i]).ToList();
    }

    static (double Quality, long Rows) Quality(DataFrame frame, string target, Func<DataFrame, IReadOnlyList<object?>> model, QualityMetric metric, string what)
    {
        var actual = Column(frame, target, "target");
        var predicted = model(frame);
        if (predicted.Count != actual.Count)
            throw new ArgumentException($"The model gave {predicted.Count} predictions for {actual.Count} rows of the {what}.");
        var pairs = actual.Zip(predicted).Where(p => p.First is not null && p.Second is not null).ToList();
        if (pairs.Count == 0) throw new ArgumentException($"The {what} has no rows with both a label and a prediction.");
        if (metric == QualityMetric.Accuracy)
            return ((double)pairs.Count(p => Convert.ToString(p.First, System.Globalization.CultureInfo.InvariantCulture) == Convert.ToString(p.Second, System.Globalization.CultureInfo.InvariantCulture)) / pairs.Count, pairs.Count);
        var errors = pairs.Select(p => Convert.ToDouble(p.First, System.Globalization.CultureInfo.InvariantCulture) - Convert.ToDouble(p.Second, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return (metric == QualityMetric.MeanAbsoluteError ? errors.Average(Math.Abs) : Math.Sqrt(errors.Average(e => e * e)), pairs.Count);
    }
}
