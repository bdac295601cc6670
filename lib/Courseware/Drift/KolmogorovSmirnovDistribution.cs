namespace Courseware.Drift;

/// <summary>
/// P-values of the two-sample Kolmogorov–Smirnov statistic, computed the way scipy.stats.ks_2samp does:
/// exact lattice-path counts (Hodges 1958; Viehmann 2021 for the stable "1 − p" recursion) for small samples, and
/// the one-sample distribution <c>kstwo.sf(D, round(m·n/(m+n)))</c> (Simard &amp; L'Ecuyer 2011) otherwise.
/// </summary>
internal static class KolmogorovSmirnovDistribution
{
    /// <summary>scipy's 'auto' is exact while both samples have at most this many values.</summary>
    public const int MaxExactN = 10_000;

    /// <summary>
    /// Exact two-sided p-value P(D ≥ h / lcm(n1, n2)) for samples of size n1 and n2; null when the floating-point
    /// computation fails (scipy then falls back to the asymptotic distribution, and so do we).
    /// </summary>
    public static double? ExactTwoSided(long n1, long n2, long h)
    {
        if (h == 0) return 1.0;
        var p = n1 == n2 ? ProbOutsideSquare(n1, h) : OuterProbInside(n1, n2, Gcd(n1, n2), h);
        return double.IsFinite(p) && p is >= 0 and <= 1 ? p : null;
    }

    // Pr(D_{n,n} ≥ h/n) = 2 Σ_k (−1)^(k−1) C(2n, n−kh) / C(2n, n), evaluated Horner-style to avoid cancellation.
    static double ProbOutsideSquare(long n, long h)
    {
        double p = 0;
        for (long k = n / h; k >= 0; k--)
        {
            double p1 = 1;
            for (long j = 0; j < h; j++)
                p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
            p = p1 * (1.0 - p);
        }
        return 2 * p;
    }

    // Proportion of lattice paths (0,0)→(m,n) that leave the band |x/m − y/n| < h/lcm, one sliding column at a time.
    static double OuterProbInside(long m, long n, long g, long h)
    {
        if (m < n) (m, n) = (n, m);
        long mg = m / g, ng = n / g;
        long minj = 0, maxj = Math.Min(CeilDiv(h, mg), n + 1);
        long curlen = maxj - minj;
        var a = new double[Math.Min(2 * maxj + 2, n + 1)];
        Array.Fill(a, 1.0);
        Array.Clear(a, 0, (int)maxj);
        for (long i = 1; i <= m; i++)
        {
            long lastminj = minj, lastlen = curlen;
            minj = Math.Min(Math.Max(FloorDiv(ng * i - h, mg) + 1, 0), n);
            maxj = Math.Min(CeilDiv(ng * i + h, mg), n + 1);
            if (maxj <= minj) return 1.0;
            double val = minj == 0 ? 0.0 : 1.0;
            for (long jj = 0; jj < maxj - minj; jj++)
            {
                long j = jj + minj;
                val = (a[jj + minj - lastminj] * i + val * j) / (i + j);
                a[jj] = val;
            }
            curlen = maxj - minj;
            if (lastlen > curlen)
                Array.Fill(a, 1.0, (int)(maxj - minj), (int)Math.Min(lastlen - curlen, a.Length - (maxj - minj)));
        }
        return a[maxj - minj - 1];
    }

    /// <summary>Survival function of the one-sample two-sided statistic D_n (scipy.stats.kstwo.sf).</summary>
    public static double KolmogorovSf(long n, double x)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be positive.");
        if (x >= 1.0) return 0.0;
        if (x <= 0.0) return 1.0;
        double t = n * x;
        if (t <= 1.0)
        {
            // Ruben–Gambino: exact for 1/(2n) ≤ x ≤ 1/n.
            if (t <= 0.5) return 1.0;
            double cdf = n <= 140
                ? Product(n, t)
                : Math.Exp(LogFactorialOverPower(n) + n * Math.Log(2 * t - 1));
            return Clip(1.0 - cdf);
        }
        if (t >= n - 1) return Clip(2 * Math.Pow(1.0 - x, n));
        if (x >= 0.5) return Clip(2 * SmirnovSf(n, x));
        double nx2 = t * x;
        if (n <= 140)
        {
            // Durbin's matrix is exact everywhere; scipy also uses Pomeranz for 0.75 < n·x² ≤ 4 (same value, faster).
            if (nx2 <= 4) return Clip(1.0 - DurbinCdf(n, x));
            return Clip(2 * SmirnovSf(n, x));
        }
        if (nx2 >= 370.0) return 0.0;
        if (nx2 >= 2.2) return Clip(2 * SmirnovSf(n, x));
        double p = n <= 100_000 && n * Math.Pow(x, 1.5) <= 1.4 ? DurbinCdf(n, x) : PelzGoodCdf(n, x);
        return Clip(1.0 - p);
    }

    static double Product(long n, double t)
    {
        double p = 1;
        for (long i = 1; i <= n; i++) p *= i * (1.0 / n) * (2 * t - 1);
        return p;
    }

    // log(n! / n^n) by Stirling's series.
    static double LogFactorialOverPower(long n)
    {
        ReadOnlySpan<double> c = [-2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3,
            8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
            -2.7777777777777777778e-3, 8.3333333333333333333e-2];
        double rn = 1.0 / n, z = rn / n, poly = 0;
        foreach (var ci in c) poly = poly * z + ci;
        return Math.Log(n) / 2 - n + Math.Log(2 * Math.PI) / 2 + rn * poly;
    }

    /// <summary>One-sided Smirnov survival P(D⁺_n ≥ d), Birnbaum–Tingey sum evaluated in logs (scipy.special.smirnov).</summary>
    public static double SmirnovSf(long n, double d)
    {
        if (d <= 0) return 1.0;
        if (d >= 1) return 0.0;
        long jmax = (long)Math.Floor(n * (1 - d));
        double logCnj = 0, sum = 0; // log C(n, j), updated incrementally
        for (long j = 0; j <= jmax; j++)
        {
            if (j > 0) logCnj += Math.Log((double)(n - j + 1) / j);
            double a = 1 - d - (double)j / n;
            if (a <= 0) continue; // the term (1 − d − j/n)^(n−j) vanishes
            sum += Math.Exp(logCnj + (n - j) * Math.Log(a) + (j - 1) * Math.Log(d + (double)j / n));
        }
        return Clip(d * sum);
    }

    // Durbin (1968) matrix algorithm as arranged by Marsaglia, Tsang & Wang (2003): P(D_n < d).
    static double DurbinCdf(long n, double d)
    {
        double nd = n * d;
        if (nd <= 0.5) return 0.0;
        int k = (int)Math.Ceiling(nd);
        double h = k - nd;
        int m = 2 * k - 1;
        var hm = new double[m, m];
        var v = new double[m];
        var w = new double[m];
        double fac = 1.0;
        for (int j = 1; j <= m; j++)
        {
            w[j - 1] = fac;
            fac /= j;
            v[j - 1] = (1.0 - Math.Pow(h, j)) * fac;
        }
        double tt = Math.Pow(Math.Max(2 * h - 1.0, 0), m) - 2 * Math.Pow(h, m);
        v[m - 1] = (1.0 + tt) * fac;
        for (int i = 1; i < m; i++)
            for (int r = i - 1; r < m; r++) hm[r, i] = w[r - i + 1];
        for (int r = 0; r < m; r++) hm[r, 0] = v[r];
        for (int c = 0; c < m; c++) hm[m - 1, c] = v[m - 1 - c];

        var power = Identity(m);
        long nn = n;
        int exponent = 0, hExponent = 0;
        const double Big = 3.402823669209385e38; // 2^128, rescaling keeps the powers in range
        while (nn > 0)
        {
            if ((nn & 1) == 1) { power = Multiply(power, hm); exponent += hExponent; }
            hm = Multiply(hm, hm);
            hExponent *= 2;
            if (Math.Abs(hm[k - 1, k - 1]) > Big) { Scale(hm, 1 / Big); hExponent += 128; }
            nn >>= 1;
        }
        double p = power[k - 1, k - 1];
        for (long i = 1; i <= n; i++)
        {
            p = i * p / n;
            if (Math.Abs(p) < 1 / Big) { p *= Big; exponent -= 128; }
        }
        return Clip(Math.ScaleB(p, exponent));
    }

    static double[,] Identity(int m)
    {
        var e = new double[m, m];
        for (int i = 0; i < m; i++) e[i, i] = 1;
        return e;
    }

    static double[,] Multiply(double[,] a, double[,] b)
    {
        int m = a.GetLength(0);
        var c = new double[m, m];
        for (int i = 0; i < m; i++)
            for (int k = 0; k < m; k++)
            {
                double aik = a[i, k];
                if (aik == 0) continue;
                for (int j = 0; j < m; j++) c[i, j] += aik * b[k, j];
            }
        return c;
    }

    static void Scale(double[,] a, double s)
    {
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++) a[i, j] *= s;
    }

    // Pelz & Good (1976) series for P(D_n ≤ x), accurate for large n.
    static double PelzGoodCdf(long n, double x)
    {
        double z = Math.Sqrt(n) * x, z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
        double pi2 = Math.PI * Math.PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2, sqrt2Pi = Math.Sqrt(2 * Math.PI);
        double qlog = -pi2 / 8 / z2;
        if (qlog < -708) return 0.0;
        double q = Math.Exp(qlog);
        double k1a = -z2, k1b = pi2 / 4;
        double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
        double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
        double k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * Math.Pow(z, 8);
        var kk = new double[4];
        int maxk = (int)Math.Ceiling(16 * z / Math.PI);
        for (int k = maxk; k > 0; k--)
        {
            double mm = 2 * k - 1, m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2;
            double qp = Math.Pow(q, 8 * k);
            kk[0] = kk[0] * qp + 1.0;
            kk[1] = kk[1] * qp + k1a + k1b * m2;
            kk[2] = kk[2] * qp + k2a + k2b * m2 + k2c * m4;
            kk[3] = kk[3] * qp + k3a + k3b * m2 + k3c * m4 + k3d * m6;
        }
        double[] denominators = [z, 6 * z4, 72 * Math.Pow(z, 7), 6480 * Math.Pow(z, 10)];
        for (int i = 0; i < 4; i++) kk[i] = kk[i] * q * sqrt2Pi / denominators[i];
        double q2 = Math.Exp(-pi2 / 2 / z2), sqrt3z = Math.Sqrt(3) * z, extra2 = 0, extra3 = 0;
        for (int k = maxk; k > 0; k--)
        {
            double ks2 = (double)k * k, qp = Math.Pow(q2, ks2), kpi = Math.PI * k;
            extra2 += ks2 * qp;
            extra3 += (sqrt3z + kpi) * (sqrt3z - kpi) * ks2 * qp;
        }
        kk[2] += extra2 * pi2 * sqrt2Pi / (-36 * z3);
        kk[3] += extra3 * pi2 * sqrt2Pi / (216 * z6);
        double sum = 0;
        for (int i = 0; i < 4; i++) sum += kk[i] / Math.Pow(n, i / 2.0);
        return sum;
    }

    static double Clip(double p) => Math.Clamp(p, 0.0, 1.0);

    internal static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
    static long CeilDiv(long a, long b) => -FloorDiv(-a, b);
}
