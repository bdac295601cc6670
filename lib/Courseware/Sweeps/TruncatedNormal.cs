using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Courseware.Sweeps;

/// <summary>Log-space normal tail masses and truncated-normal draws, accurate far into the tails (as Optuna's _truncnorm).</summary>
internal static class TruncatedNormal
{
    private static readonly double LogSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>log Φ(z), using the asymptotic series where Φ underflows.</summary>
    public static double LogNdtr(double z)
    {
        if (z > 6) return -0.5 * SpecialFunctions.Erfc(z / Math.Sqrt(2)); // log(1 − ε) ≈ −ε
        if (z > -20) return Math.Log(0.5 * SpecialFunctions.Erfc(-z / Math.Sqrt(2)));
        var z2 = z * z;
        return -0.5 * z2 - LogSqrt2Pi - Math.Log(-z) + Math.Log(1 - 1 / z2 + 3 / (z2 * z2));
    }

    /// <summary>log(Φ(b) − Φ(a)) for a ≤ b.</summary>
    public static double LogGaussMass(double a, double b)
    {
        if (b <= 0) return LogDiff(LogNdtr(b), LogNdtr(a));
        if (a >= 0) return LogDiff(LogNdtr(-a), LogNdtr(-b));
        // central: 1 − Φ(a) − Φ(−b)
        return Math.Log(Math.Max(1 - 0.5 * SpecialFunctions.Erfc(-a / Math.Sqrt(2)) - 0.5 * SpecialFunctions.Erfc(b / Math.Sqrt(2)), 0));
    }

    private static double LogDiff(double logLarger, double logSmaller)
    {
        if (logSmaller == double.NegativeInfinity) return logLarger;
        var d = logSmaller - logLarger; // ≤ 0: log(1 − e^d), accurately on both sides of −ln 2
        return logLarger + (d > -Math.Log(2) ? Math.Log(-double.ExpM1(d)) : double.LogP1(-Math.Exp(d)));
    }

    /// <summary>log density at x of Normal(mu, sigma) truncated to [low, high].</summary>
    public static double LogPdf(double x, double mu, double sigma, double low, double high)
    {
        if (x < low || x > high) return double.NegativeInfinity;
        var z = (x - mu) / sigma;
        return -0.5 * z * z - LogSqrt2Pi - Math.Log(sigma) - LogGaussMass((low - mu) / sigma, (high - mu) / sigma);
    }

    /// <summary>A draw from Normal(mu, sigma) truncated to [low, high], by the inverse CDF on the lower-tail side.</summary>
    public static double Sample(double mu, double sigma, double low, double high, Random random)
    {
        double a = (low - mu) / sigma, b = (high - mu) / sigma;
        // Work where Φ is small and accurate: mirror an interval that lies in the upper half.
        var mirrored = a > 0;
        if (mirrored) (a, b) = (-b, -a);
        var pa = Normal.CDF(0, 1, a);
        var pb = Normal.CDF(0, 1, b);
        var p = pa + random.NextDouble() * (pb - pa);
        var z = p <= 0 ? a : p >= 1 ? b : Math.Clamp(Normal.InvCDF(0, 1, p), a, b);
        if (mirrored) z = -z;
        return Math.Clamp(mu + sigma * z, low, high);
    }
}
