using System.Globalization;
using MathNet.Numerics.Distributions;

namespace Courseware.Evaluation;

/// <summary>A confidence interval for a proportion (an accuracy, a pass rate) from successes out of a count.</summary>
/// <param name="Proportion">successes / count.</param>
/// <param name="Low">Lower end of the interval.</param>
/// <param name="High">Upper end of the interval.</param>
/// <param name="Confidence">Confidence level (e.g. 0.95).</param>
/// <param name="Method">"Wilson" or "Clopper–Pearson".</param>
public sealed record ProportionInterval(double Proportion, double Low, double High, double Confidence, string Method)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Proportion:0.####} ({Confidence * 100:0.#} % {Method} interval {Low:0.####} to {High:0.####})");
}

public static partial class Stats
{
    /// <summary>
    /// Wilson's score interval (statsmodels' <c>proportion_confint(method="wilson")</c>): with p̂ = k/n and z the
    /// (1 + c)/2 normal quantile, (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n). Close to nominal coverage even
    /// for small n or p̂ near 0 or 1, where the Wald interval p̂ ± z·√(p̂(1 − p̂)/n) fails.
    /// </summary>
    /// <example><code>Stats.WilsonInterval(successes: 42, count: 50)</code></example>
    public static ProportionInterval WilsonInterval(int successes, int count, double confidence = 0.95)
    {
        CheckCounts(successes, count, nameof(successes));
        CheckConfidence(confidence);
        double z = Normal.InvCDF(0, 1, (1 + confidence) / 2), z2 = z * z, p = (double)successes / count;
        double denominator = 1 + z2 / count;
        double center = (p + z2 / (2 * count)) / denominator;
        double half = z * Math.Sqrt(p * (1 - p) / count + z2 / (4.0 * count * count)) / denominator;
        return new ProportionInterval(p, center - half, center + half, confidence, "Wilson");
    }

    /// <summary>
    /// The Clopper–Pearson "exact" interval (statsmodels' <c>proportion_confint(method="beta")</c>): the α/2 quantile of
    /// Beta(k, n − k + 1) to the 1 − α/2 quantile of Beta(k + 1, n − k), 0 when k = 0 and 1 when k = n. It never
    /// covers less than the confidence level, so it is wider than Wilson's.
    /// </summary>
    public static ProportionInterval ClopperPearsonInterval(int successes, int count, double confidence = 0.95)
    {
        CheckCounts(successes, count, nameof(successes));
        CheckConfidence(confidence);
        double tail = (1 - confidence) / 2;
        double low = successes == 0 ? 0 : Beta.InvCDF(successes, count - successes + 1, tail);
        double high = successes == count ? 1 : Beta.InvCDF(successes + 1, count - successes, 1 - tail);
        return new ProportionInterval((double)successes / count, low, high, confidence, "Clopper–Pearson");
    }
}
