namespace Courseware.Sweeps;

/// <summary>
/// Gaussian-process regression as W&amp;B's bayes search configures scikit-learn: an isotropic Matérn ν = 1.5 kernel
/// with unit amplitude, length scale fitted by maximum marginal likelihood within [1e-5, 1e5], noise alpha 1e-7, and
/// targets standardised (mean 0, population std + 1e-6; a single target only centred).
/// </summary>
/// <remarks>
/// scikit-learn maximises the log marginal likelihood with L-BFGS-B from log ℓ = 0 plus two random restarts. The
/// likelihood has a single variable here, so we scan log ℓ on a grid over the whole bound and refine the best point
/// by golden-section search: the same optimum, found without depending on restarts.
/// </remarks>
internal sealed class GaussianProcess
{
    public const double Nugget = 1e-7;
    public const double StdEpsilon = 1e-6;
    private static readonly double LogLower = Math.Log(1e-5), LogUpper = Math.Log(1e5);
    private static readonly double Sqrt3 = Math.Sqrt(3);

    private readonly double[][] x;
    private readonly double[] alpha;     // K⁻¹ y
    private readonly double[] cholesky;  // lower factor of K, row-major n × n

    private GaussianProcess(double[][] x, double lengthScale, double[] cholesky, double[] alpha, double yMean, double yStd, bool atBound)
    {
        this.x = x;
        LengthScale = lengthScale;
        this.cholesky = cholesky;
        this.alpha = alpha;
        YMean = yMean;
        YStd = yStd;
        LengthScaleAtBound = atBound;
    }

    public double LengthScale { get; }
    public double YMean { get; }
    public double YStd { get; }

    /// <summary>The fitted length scale is (numerically) on its bound: W&amp;B then takes a random candidate.</summary>
    public bool LengthScaleAtBound { get; }

    /// <summary>Fits the process to inputs in [0, 1]^d and raw targets (standardised here).</summary>
    public static GaussianProcess Fit(double[][] x, double[] y)
    {
        var n = y.Length;
        double mean, std;
        if (n == 1) { mean = y[0]; std = 1; }
        else
        {
            mean = y.Average();
            std = Math.Sqrt(y.Sum(v => (v - mean) * (v - mean)) / n) + StdEpsilon;
        }
        var yn = y.Select(v => (v - mean) / std).ToArray();
        var distances = new double[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < i; j++)
                distances[i * n + j] = distances[j * n + i] = Distance(x[i], x[j]);

        // Scan, then refine between the best grid point's neighbours.
        const int gridPoints = 25;
        var step = (LogUpper - LogLower) / (gridPoints - 1);
        var best = 0;
        var bestValue = double.NegativeInfinity;
        for (var k = 0; k < gridPoints; k++)
        {
            var v = LogMarginalLikelihood(distances, yn, LogLower + k * step);
            if (v > bestValue) { bestValue = v; best = k; }
        }
        var theta = GoldenSection(t => LogMarginalLikelihood(distances, yn, t),
            Math.Max(LogLower, LogLower + (best - 1) * step), Math.Min(LogUpper, LogLower + (best + 1) * step));
        var value = LogMarginalLikelihood(distances, yn, theta);
        if (value < bestValue) (theta, value) = (LogLower + best * step, bestValue);
        // A likelihood flat all the way to a bound: L-BFGS-B (scikit-learn) follows the slight slope into the bound.
        if (LogMarginalLikelihood(distances, yn, LogLower) >= value - 1e-9) theta = LogLower;
        else if (LogMarginalLikelihood(distances, yn, LogUpper) >= value - 1e-9) theta = LogUpper;

        // numpy.isclose(bound, theta) with its default tolerances, as W&B checks.
        var atBound = Math.Abs(theta - LogLower) <= 1e-8 + 1e-5 * Math.Abs(theta)
                      || Math.Abs(theta - LogUpper) <= 1e-8 + 1e-5 * Math.Abs(theta);
        var lengthScale = Math.Exp(theta);
        var l = Factor(distances, lengthScale) ?? throw new InvalidOperationException("the kernel matrix is not positive definite");
        return new GaussianProcess(x, lengthScale, l, Solve(l, yn), mean, std, atBound);
    }

    /// <summary>Posterior mean and standard deviation at <paramref name="point"/>, in standardised units.</summary>
    public (double Mean, double Std) Predict(double[] point)
    {
        var n = x.Length;
        var k = new double[n];
        for (var i = 0; i < n; i++) k[i] = Matern(Distance(point, x[i]) / LengthScale);
        double mean = 0;
        for (var i = 0; i < n; i++) mean += k[i] * alpha[i];
        // v = L⁻¹ k; variance = k(x, x) − vᵀv with k(x, x) = 1
        var v = ForwardSubstitute(cholesky, k);
        var variance = 1 - Dot(v, v);
        return (mean, Math.Sqrt(Math.Max(variance, 0)));
    }

    /// <summary>Predictions in the original units of the targets.</summary>
    public double PredictRaw(double[] point) => Predict(point).Mean * YStd + YMean;

    private static double LogMarginalLikelihood(double[] distances, double[] y, double logLengthScale)
    {
        var l = Factor(distances, Math.Exp(logLengthScale));
        if (l is null) return double.NegativeInfinity;
        var a = Solve(l, y);
        var n = y.Length;
        double fit = 0, logDet = 0;
        for (var i = 0; i < n; i++)
        {
            fit += y[i] * a[i];
            logDet += Math.Log(l[i * n + i]);
        }
        return -0.5 * fit - logDet - 0.5 * n * Math.Log(2 * Math.PI);
    }

    /// <summary>Cholesky factor of K = Matérn(d/ℓ) + nugget·I, row-major; null when K is not positive definite.</summary>
    private static double[]? Factor(double[] distances, double lengthScale)
    {
        var n = (int)Math.Sqrt(distances.Length);
        var l = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            var rowI = l.AsSpan(i * n, n);
            for (var j = 0; j <= i; j++)
            {
                var sum = i == j ? 1 + Nugget : Matern(distances[i * n + j] / lengthScale);
                sum -= Dot(rowI[..j], l.AsSpan(j * n, j));
                if (i == j)
                {
                    if (sum <= 0) return null;
                    rowI[i] = Math.Sqrt(sum);
                }
                else rowI[j] = sum / l[j * n + j];
            }
        }
        return l;
    }

    private static double[] ForwardSubstitute(double[] l, double[] b)
    {
        var n = b.Length;
        var z = new double[n];
        for (var i = 0; i < n; i++)
            z[i] = (b[i] - Dot(l.AsSpan(i * n, i), z.AsSpan(0, i))) / l[i * n + i];
        return z;
    }

    private static double[] Solve(double[] l, double[] b)
    {
        var z = ForwardSubstitute(l, b);
        var n = b.Length;
        var result = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = z[i];
            for (var k = i + 1; k < n; k++) sum -= l[k * n + i] * result[k];
            result[i] = sum / l[i * n + i];
        }
        return result;
    }

    /// <summary>Dot product with SIMD: the inner loop of the factorisation and of every prediction.</summary>
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = System.Numerics.Vector<double>.Zero;
        var width = System.Numerics.Vector<double>.Count;
        var i = 0;
        for (; i <= a.Length - width; i += width)
            sum += new System.Numerics.Vector<double>(a[i..]) * new System.Numerics.Vector<double>(b[i..]);
        var result = System.Numerics.Vector.Sum(sum);
        for (; i < a.Length; i++) result += a[i] * b[i];
        return result;
    }

    /// <summary>Matérn ν = 1.5 at scaled distance r = d/ℓ: (1 + √3 r) e^(−√3 r).</summary>
    internal static double Matern(double r) => (1 + Sqrt3 * r) * Math.Exp(-Sqrt3 * r);

    private static double Distance(double[] a, double[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }
        return Math.Sqrt(sum);
    }

    private static double GoldenSection(Func<double, double> f, double lo, double hi)
    {
        var ratio = (Math.Sqrt(5) - 1) / 2;
        double c = hi - ratio * (hi - lo), d = lo + ratio * (hi - lo);
        double fc = f(c), fd = f(d);
        while (hi - lo > 1e-5)
        {
            if (fc > fd) { hi = d; d = c; fd = fc; c = hi - ratio * (hi - lo); fc = f(c); }
            else { lo = c; c = d; fc = fd; d = lo + ratio * (hi - lo); fd = f(d); }
        }
        return (lo + hi) / 2;
    }
}
