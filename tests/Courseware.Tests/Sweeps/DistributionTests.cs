using Courseware.Sweeps;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;

namespace Courseware.Tests.Sweeps;

public class DistributionTests
{
    private const int Draws = 4000;

    /// <summary>Kolmogorov–Smirnov statistic of samples against a continuous CDF and its asymptotic p-value.</summary>
    internal static (double D, double P) Ks(IEnumerable<double> samples, Func<double, double> cdf)
    {
        var x = samples.Order().ToArray();
        var n = x.Length;
        double d = 0;
        for (var i = 0; i < n; i++)
        {
            var f = cdf(x[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - f, f - (double)i / n));
        }
        // Kolmogorov distribution with Stephens' small-sample correction
        var lambda = (Math.Sqrt(n) + 0.12 + 0.11 / Math.Sqrt(n)) * d;
        double p = 0;
        for (var k = 1; k <= 100; k++) p += 2 * Math.Pow(-1, k - 1) * Math.Exp(-2 * k * k * lambda * lambda);
        return (d, Math.Clamp(p, 0, 1));
    }

    /// <summary>Pearson χ² p-value of discrete samples against exact probabilities (bins under 5 expected merged).</summary>
    internal static double ChiSquare(IEnumerable<double> samples, IReadOnlyList<(double Value, double Probability)> support)
    {
        var counts = samples.GroupBy(v => Math.Round(v, 9)).ToDictionary(g => g.Key, g => g.Count());
        var n = counts.Values.Sum();
        Assert.All(counts.Keys, k => Assert.Contains(support, s => Math.Abs(s.Value - k) < 1e-9)); // nothing outside the support
        double chi = 0, restObserved = 0, restExpected = 0;
        var bins = 0;
        foreach (var (value, probability) in support)
        {
            var observed = counts.GetValueOrDefault(Math.Round(value, 9));
            var expected = probability * n;
            if (expected < 5) { restObserved += observed; restExpected += expected; continue; }
            chi += (observed - expected) * (observed - expected) / expected;
            bins++;
        }
        if (restExpected > 0) { chi += (restObserved - restExpected) * (restObserved - restExpected) / restExpected; bins++; }
        return 1 - ChiSquared.CDF(bins - 1, chi);
    }

    private static double[] Draw(Parameter p, int seed)
    {
        var random = new MersenneTwister(seed, threadSafe: false);
        return Enumerable.Range(0, Draws).Select(_ => Parameter.ToDouble(p.Sample(random))).ToArray();
    }

    public static TheoryData<string, int> Continuous => new()
    {
        { "uniform", 1 }, { "log_uniform_values", 2 }, { "inv_log_uniform_values", 3 }, { "log_uniform", 4 }, { "inv_log_uniform", 5 },
        { "normal", 6 }, { "log_normal", 7 }, { "beta", 8 }, { "beta_default", 9 },
    };

    // The analytic CDFs come from MathNet's distributions or closed forms, independent of Parameter.Cdf.
    private static (Parameter Parameter, Func<double, double> Cdf, double Low, double High) ContinuousCase(string name) => name switch
    {
        "uniform" => (Parameter.Uniform(-2, 3), x => ContinuousUniform.CDF(-2, 3, x), -2, 3),
        "log_uniform_values" => (Parameter.LogUniformValues(1e-5, 0.1), x => Math.Log(x / 1e-5) / Math.Log(0.1 / 1e-5), 1e-5, 0.1),
        // 1/x log-uniform on [1/10, 1/0.01]: P(X ≤ x) = P(1/X ≥ 1/x)
        "inv_log_uniform_values" => (Parameter.InvLogUniformValues(0.01, 10), x => 1 - Math.Log((1 / x) / 0.1) / Math.Log(100 / 0.1), 0.01, 10),
        "log_uniform" => (Deprecated(Distribution.LogUniform, -9.2, -2.3), x => (Math.Log(x) + 9.2) / 6.9, Math.Exp(-9.2), Math.Exp(-2.3)),
        // exp(−U), U ~ uniform(0, 4): P(X ≤ x) = P(U ≥ −ln x)
        "inv_log_uniform" => (Deprecated(Distribution.InvLogUniform, 0, 4), x => 1 - (-Math.Log(x)) / 4, Math.Exp(-4), 1),
        "normal" => (Parameter.Normal(1.5, 0.3), x => Normal.CDF(1.5, 0.3, x), double.NegativeInfinity, double.PositiveInfinity),
        "log_normal" => (Parameter.LogNormal(-1, 0.5), x => LogNormal.CDF(-1, 0.5, x), 0, double.PositiveInfinity),
        "beta" => (Parameter.Beta(2, 5), x => MathNet.Numerics.Distributions.Beta.CDF(2, 5, x), 0, 1),
        "beta_default" => (Parameter.Beta(), x => x, 0, 1),
        _ => throw new ArgumentException(name),
    };

    private static Parameter Deprecated(Distribution d, double min, double max) =>
        SweepConfig.Parse($"method: random\nparameters:\n  x: {{distribution: {d.ToName()}, min: {min.ToString(System.Globalization.CultureInfo.InvariantCulture)}, max: {max.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}\n").Parameters["x"];

    [Theory]
    [MemberData(nameof(Continuous))]
    public void ContinuousDistributionsPassAKolmogorovSmirnovTest(string name, int seed)
    {
        var (parameter, cdf, low, high) = ContinuousCase(name);
        var samples = Draw(parameter, seed);
        var (d, p) = Ks(samples, cdf);
        Assert.True(p > 0.01, $"{name}: KS D = {d:G4}, p = {p:G4}");
        Assert.All(samples, x => Assert.InRange(x, low, high));
    }

    [Fact]
    public void TheKolmogorovSmirnovTestCanFail()
    {
        // Negative controls: the right samples against a wrong CDF, and a subtly wrong parameterisation.
        var normal = Draw(Parameter.Normal(1.5, 0.3), 11);
        Assert.True(Ks(normal, x => Normal.CDF(1.5, 0.35, x)).P < 1e-4);
        var logUniform = Draw(Parameter.LogUniformValues(1e-5, 0.1), 12);
        Assert.True(Ks(logUniform, x => ContinuousUniform.CDF(1e-5, 0.1, x)).P < 1e-10); // not uniform on the value scale
    }

    public static TheoryData<string> Discrete => new() { "int_uniform", "categorical", "categorical_w_probabilities", "q_uniform", "q_uniform_int",
        "q_log_uniform_values", "q_normal", "q_log_normal", "q_beta", "q_log_uniform" };

    // Exact probabilities of each possible value from the continuous CDF (independent of Parameter.Cdf):
    // P(k q) = F((k + ½) q) − F((k − ½) q), with the end bins cut at the bounds.
    private static (Parameter Parameter, List<(double Value, double Probability)> Support) DiscreteCase(string name)
    {
        List<(double, double)> Bins(double q, long kLow, long kHigh, Func<double, double> cdf) =>
            Enumerable.Range(0, (int)(kHigh - kLow + 1)).Select(i =>
            {
                var k = kLow + i;
                var lower = k == kLow ? 0 : cdf((k - 0.5) * q);
                var upper = k == kHigh ? 1 : cdf((k + 0.5) * q);
                return (Math.Round(k * q, 12), upper - lower);
            }).ToList();
        return name switch
        {
            "int_uniform" => (Parameter.IntUniform(-2, 4), Enumerable.Range(-2, 7).Select(v => ((double)v, 1 / 7.0)).ToList()),
            "categorical" => (Parameter.Values(10, 20, 30), [(10, 1 / 3.0), (20, 1 / 3.0), (30, 1 / 3.0)]),
            "categorical_w_probabilities" => (Parameter.Categorical([1, 2, 3], [0.6, 0.3, 0.1]), [(1, 0.6), (2, 0.3), (3, 0.1)]),
            "q_uniform" => (Parameter.QUniform(0, 10, 0.5), Bins(0.5, 0, 20, x => ContinuousUniform.CDF(0, 10, x))),
            "q_uniform_int" => (Parameter.QUniform(0, 100, 5), Bins(5, 0, 20, x => ContinuousUniform.CDF(0, 100, x))),
            "q_log_uniform_values" => (Parameter.QLogUniformValues(8, 1024, 8), Bins(8, 1, 128, x => Math.Clamp(Math.Log(x / 8) / Math.Log(128), 0, 1))),
            "q_normal" => (Parameter.QNormal(10, 3, 2), Bins(2, -20, 30, x => Normal.CDF(10, 3, x))),
            "q_log_normal" => (Parameter.QLogNormal(2, 0.5, 1), Bins(1, 0, 400, x => x <= 0 ? 0 : LogNormal.CDF(2, 0.5, x))),
            "q_beta" => (Parameter.QBeta(2, 2, 0.1), Bins(0.1, 0, 10, x => MathNet.Numerics.Distributions.Beta.CDF(2, 2, Math.Clamp(x, 0, 1)))),
            "q_log_uniform" => (SweepConfig.Parse("method: random\nparameters:\n  x: {distribution: q_log_uniform, min: 0, max: 4.605170185988092, q: 5}\n").Parameters["x"],
                Bins(5, 1, 20, x => Math.Clamp(Math.Log(x) / 4.605170185988092, 0, 1))),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Discrete))]
    public void DiscreteDistributionsPassAChiSquareTestAndLandOnMultiplesOfQ(string name)
    {
        var (parameter, support) = DiscreteCase(name);
        var samples = Draw(parameter, name.Length * 7919);
        var p = ChiSquare(samples, support);
        Assert.True(p > 0.01, $"{name}: χ² p = {p:G4}");
        if (parameter.Distribution.ToName().StartsWith("q_", StringComparison.Ordinal))
        {
            Assert.All(samples, x => Assert.Equal(Math.Round(x / parameter.Q), x / parameter.Q, 9));
            Assert.All(samples, x => Assert.InRange(x, support[0].Value, support[^1].Value));
        }
        Assert.True(Math.Abs(1 - support.Sum(s => s.Probability)) < 1e-9);
    }

    [Fact]
    public void TheChiSquareTestCanFail()
    {
        var samples = Draw(Parameter.Categorical([1, 2, 3], [0.6, 0.3, 0.1]), 5);
        Assert.True(ChiSquare(samples, [(1, 0.5), (2, 0.35), (3, 0.15)]) < 1e-6);
    }

    [Fact]
    public void IntegerQGivesIntegersAndFloatQGivesFloats()
    {
        var random = new MersenneTwister(3, threadSafe: false);
        Assert.IsType<long>(Parameter.QUniform(0, 100, 5).Sample(random));
        Assert.IsType<double>(Parameter.QUniform(0, 1, 0.25).Sample(random));
        Assert.IsType<long>(Parameter.IntUniform(1, 3).Sample(random));
        Assert.IsType<double>(Parameter.Uniform(1, 3).Sample(random));
    }

    // Reference: reference/distributions.py (the scipy calls of W&B params.py, scipy 1.10.1).
    public static TheoryData<string, double[]> Quantiles => new()
    {
        { "uniform(-2, 3)", [-1.75, -0.5, 0.5, 1.5, 2.75] },
        { "log_uniform_values(1e-5, 0.1)", [1.584893192461113e-05, 0.00015848931924611147, 0.0010000000000000002, 0.00630957344480193, 0.06309573444801937] },
        { "inv_log_uniform_values(0.01, 10)", [0.014125375446227542, 0.07943282347242818, 0.3162277660168379, 1.2589254117941666, 7.079457843841375] },
        { "log_uniform(-9.2, -2.3)", [0.00014266661688322596, 0.0008007193874922822, 0.003182780796509667, 0.012651240568005305, 0.07100535373963696] },
        { "inv_log_uniform(0, 4)", [0.0223707718561656, 0.06081006262521798, 0.13533528323661267, 0.301194211912202, 0.8187307530779817] },
        { "normal(1.5, 0.3)", [1.0065439119145583, 1.3426798461875877, 1.5, 1.6573201538124123, 1.9934560880854417] },
        { "log_normal(-1, 0.5)", [0.1616330213915169, 0.28303060102505867, 0.3678794411714424, 0.4781648441775049, 0.8372997180371685] },
        { "beta(2, 5)", [0.06284989170835438, 0.18180347131894917, 0.26444998329566005, 0.36035769038002013, 0.5818034092520259] },
        { "q_uniform(0, 10, 0.5)", [0.5, 3.0, 5.0, 7.0, 9.5] },
        // W&B gives 0 at u = 0.05, below min = 1; we keep values inside the bounds: 5, the first multiple of q ≥ min.
        { "q_log_uniform_values(1, 1000, 5)", [5.0, 10.0, 30.0, 125.0, 710.0] },
        { "q_normal(10, 3, 2)", [6.0, 8.0, 10.0, 12.0, 14.0] },
        { "q_log_normal(2, 0.5, 1)", [3.0, 6.0, 7.0, 10.0, 17.0] },
        { "q_beta(2, 2, 0.1)", [0.1, 0.4, 0.5, 0.6, 0.9] },
    };

    private static Parameter Named(string name) => name switch
    {
        "uniform(-2, 3)" => Parameter.Uniform(-2, 3),
        "log_uniform_values(1e-5, 0.1)" => Parameter.LogUniformValues(1e-5, 0.1),
        "inv_log_uniform_values(0.01, 10)" => Parameter.InvLogUniformValues(0.01, 10),
        "log_uniform(-9.2, -2.3)" => Deprecated(Distribution.LogUniform, -9.2, -2.3),
        "inv_log_uniform(0, 4)" => Deprecated(Distribution.InvLogUniform, 0, 4),
        "normal(1.5, 0.3)" => Parameter.Normal(1.5, 0.3),
        "log_normal(-1, 0.5)" => Parameter.LogNormal(-1, 0.5),
        "beta(2, 5)" => Parameter.Beta(2, 5),
        "q_uniform(0, 10, 0.5)" => Parameter.QUniform(0, 10, 0.5),
        "q_log_uniform_values(1, 1000, 5)" => Parameter.QLogUniformValues(1, 1000, 5),
        "q_normal(10, 3, 2)" => Parameter.QNormal(10, 3, 2),
        "q_log_normal(2, 0.5, 1)" => Parameter.QLogNormal(2, 0.5, 1),
        "q_beta(2, 2, 0.1)" => Parameter.QBeta(2, 2, 0.1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Quantiles))]
    public void QuantilesMatchWandbsScipyCalls(string name, double[] expected)
    {
        double[] us = [0.05, 0.3, 0.5, 0.7, 0.95];
        var p = Named(name);
        for (var i = 0; i < us.Length; i++)
        {
            var actual = Parameter.ToDouble(p.Ppf(us[i]));
            Assert.True(Math.Abs(actual - expected[i]) <= 1e-9 * Math.Max(1, Math.Abs(expected[i])), $"{name} at {us[i]}: {actual:R} vs {expected[i]:R}");
        }
    }

    [Fact]
    public void CdfMatchesScipy()
    {
        // Reference: reference/distributions.py
        Assert.Equal(0.15865525393145702, Parameter.Normal(1.5, 0.3).Cdf(1.2), 12);
        Assert.Equal(0.7302950692650904, Parameter.LogNormal(-1, 0.5).Cdf(0.5), 12);
        Assert.Equal(0.5798250000000003, Parameter.Beta(2, 5).Cdf(0.3), 10);
        Assert.Equal(0.5, Parameter.LogUniformValues(1e-5, 0.1).Cdf(1e-3), 12);
        Assert.Equal(0.5, Parameter.IntUniform(1, 4).Cdf(2L), 12);
        Assert.Equal(0.6666666666666666, Parameter.Values("a", "b", "c").Cdf("b"), 12);
    }

    [Fact]
    public void CategoricalCdfAndPpfRoundTrip()
    {
        var p = Parameter.Categorical(["x", "y", "z"], [0.2, 0.5, 0.3]);
        foreach (var v in new[] { "x", "y", "z" }) Assert.Equal(v, p.Ppf(p.Cdf(v)));
        var i = Parameter.IntUniform(3, 9);
        for (long k = 3; k <= 9; k++) Assert.Equal(k, i.Ppf(i.Cdf(k)));
        Assert.Equal(3L, i.Ppf(0));
        Assert.Equal(9L, i.Ppf(1));
        Assert.Equal(0, Parameter.Values(1L, 2L).IndexOf(1.0)); // 1 and 1.0 are the same value, as in W&B's grid hash
    }
}
