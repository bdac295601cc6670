namespace Courseware.Evaluation;

/// <summary>Regression metrics over paired true and predicted values (definitions as scikit-learn's).</summary>
/// <example><code>Regression.RootMeanSquaredError(truth, predicted)</code></example>
public static class Regression
{
    /// <summary>Mean absolute error: MAE = (1/n) Σ |yᵢ − ŷᵢ|, in the units of y.</summary>
    public static double MeanAbsoluteError(IReadOnlyList<double> truth, IReadOnlyList<double> predicted) =>
        Mean(truth, predicted, (y, p) => Math.Abs(y - p));

    /// <summary>Mean squared error: MSE = (1/n) Σ (yᵢ − ŷᵢ)²; punishes large errors more than MAE.</summary>
    public static double MeanSquaredError(IReadOnlyList<double> truth, IReadOnlyList<double> predicted) =>
        Mean(truth, predicted, (y, p) => (y - p) * (y - p));

    /// <summary>Root mean squared error: RMSE = √MSE, back in the units of y.</summary>
    public static double RootMeanSquaredError(IReadOnlyList<double> truth, IReadOnlyList<double> predicted) =>
        Math.Sqrt(MeanSquaredError(truth, predicted));

    /// <summary>
    /// Mean absolute percentage error as a fraction (0.1 = 10 %): MAPE = (1/n) Σ |yᵢ − ŷᵢ| / max(|yᵢ|, ε) with ε the
    /// double machine epsilon, scikit-learn's guard, so a true value of 0 gives a huge (not infinite) term.
    /// </summary>
    public static double MeanAbsolutePercentageError(IReadOnlyList<double> truth, IReadOnlyList<double> predicted) =>
        Mean(truth, predicted, (y, p) => Math.Abs(y - p) / Math.Max(Math.Abs(y), Epsilon));

    /// <summary>
    /// Coefficient of determination: R² = 1 − Σ(yᵢ − ŷᵢ)² / Σ(yᵢ − ȳ)². 1 is perfect, 0 is "as good as predicting the mean",
    /// negative is worse. For constant truth it is 1 when the predictions are exact and 0 otherwise (scikit-learn's
    /// <c>force_finite=True</c>).
    /// </summary>
    public static double RSquared(IReadOnlyList<double> truth, IReadOnlyList<double> predicted)
    {
        double residual = MeanSquaredError(truth, predicted) * truth.Count;
        double mean = truth.Average();
        double total = truth.Sum(y => (y - mean) * (y - mean));
        if (residual == 0) return 1;
        return total == 0 ? 0 : 1 - residual / total;
    }

    // numpy.finfo(np.float64).eps, the value scikit-learn's MAPE divides by at the least.
    private const double Epsilon = 2.220446049250313e-16;

    private static double Mean(IReadOnlyList<double> truth, IReadOnlyList<double> predicted, Func<double, double, double> term)
    {
        Check.SameLength(truth, predicted, nameof(truth), nameof(predicted));
        Check.Finite(truth, nameof(truth));
        Check.Finite(predicted, nameof(predicted));
        double sum = 0;
        for (int i = 0; i < truth.Count; i++) sum += term(truth[i], predicted[i]);
        return sum / truth.Count;
    }
}
