using Courseware.Sweeps;
using Xunit.Abstractions;

namespace Courseware.Tests.Sweeps;

/// <summary>Standard global-optimisation test functions (Surjanovic &amp; Bingham, Virtual Library of Simulation Experiments).</summary>
internal static class TestFunctions
{
    /// <summary>Branin on x ∈ [−5, 10], y ∈ [0, 15]; global minimum 0.397887 at (−π, 12.275), (π, 2.275), (9.42478, 2.475).</summary>
    public static double Branin(double x, double y)
    {
        const double a = 1, b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, r = 6, s = 10, t = 1 / (8 * Math.PI);
        return a * Math.Pow(y - b * x * x + c * x - r, 2) + s * (1 - t) * Math.Cos(x) + s;
    }

    public const double BraninMinimum = 0.397887;

    private static readonly double[] Alpha = [1.0, 1.2, 3.0, 3.2];
    private static readonly double[,] A = { { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 } };
    private static readonly double[,] P =
    {
        { 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 }, { 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
        { 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 }, { 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
    };

    /// <summary>Hartmann-6 on [0, 1]^6; global minimum −3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).</summary>
    public static double Hartmann6(IReadOnlyList<double> x)
    {
        double sum = 0;
        for (var i = 0; i < 4; i++)
        {
            double inner = 0;
            for (var j = 0; j < 6; j++) inner += A[i, j] * Math.Pow(x[j] - P[i, j], 2);
            sum += Alpha[i] * Math.Exp(-inner);
        }
        return -sum;
    }

    public const double Hartmann6Minimum = -3.32237;
}

public class OptimizationTests(ITestOutputHelper output)
{
    private const int Seeds = 8;

    [Fact]
    public void TestFunctionsHaveTheirPublishedMinima()
    {
        Assert.Equal(TestFunctions.BraninMinimum, TestFunctions.Branin(-Math.PI, 12.275), 5);
        Assert.Equal(TestFunctions.BraninMinimum, TestFunctions.Branin(Math.PI, 2.275), 5);
        Assert.Equal(TestFunctions.Hartmann6Minimum, TestFunctions.Hartmann6([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]), 4);
    }

    private static double MeanRegret(SweepConfig config, Func<ParameterValues, double> f, double minimum, int budget) =>
        Enumerable.Range(1, Seeds).Average(seed =>
            SearchTests.Run(new Sweeper(config, seed), f, budget).Min(r => r.Objective(MetricGoal.Minimize)!.Value) - minimum);

    private static SweepConfig Branin(SearchMethod method) => new()
    {
        Method = method, Metric = new SweepMetric("value"),
        Parameters = { ["x"] = Parameter.Uniform(-5, 10), ["y"] = Parameter.Uniform(0, 15) },
    };

    private static SweepConfig Hartmann(SearchMethod method)
    {
        var config = new SweepConfig { Method = method, Metric = new SweepMetric("value") };
        for (var i = 1; i <= 6; i++) config.Parameters[$"x{i}"] = Parameter.Uniform(0, 1);
        return config;
    }

    private static double BraninOf(ParameterValues c) => TestFunctions.Branin(c.Get<double>("x"), c.Get<double>("y"));
    private static double HartmannOf(ParameterValues c) => TestFunctions.Hartmann6(Enumerable.Range(1, 6).Select(i => c.Get<double>($"x{i}")).ToArray());

    // Bayes is compared at a small budget (its process is the expensive part of this test); TPE, which spends its
    // first 10 runs at random and learns more slowly, at a larger one. Random search is run at both budgets.
    [Fact]
    public void BayesAndTpeBeatRandomOnBranin()
    {
        var random30 = MeanRegret(Branin(SearchMethod.Random), BraninOf, TestFunctions.BraninMinimum, 30);
        var bayes30 = MeanRegret(Branin(SearchMethod.Bayes), BraninOf, TestFunctions.BraninMinimum, 30);
        var random60 = MeanRegret(Branin(SearchMethod.Random), BraninOf, TestFunctions.BraninMinimum, 60);
        var tpe60 = MeanRegret(Branin(SearchMethod.Tpe), BraninOf, TestFunctions.BraninMinimum, 60);
        output.WriteLine($"Branin, mean simple regret over {Seeds} seeds: 30 runs random {random30:F4} bayes {bayes30:F4}; 60 runs random {random60:F4} tpe {tpe60:F4}");
        Assert.True(bayes30 < 0.25 * random30, $"bayes {bayes30} vs random {random30}");
        Assert.True(tpe60 < 0.5 * random60, $"tpe {tpe60} vs random {random60}");
    }

    [Fact]
    public void BayesAndTpeBeatRandomOnHartmann6()
    {
        var random50 = MeanRegret(Hartmann(SearchMethod.Random), HartmannOf, TestFunctions.Hartmann6Minimum, 50);
        var bayes50 = MeanRegret(Hartmann(SearchMethod.Bayes), HartmannOf, TestFunctions.Hartmann6Minimum, 50);
        var random100 = MeanRegret(Hartmann(SearchMethod.Random), HartmannOf, TestFunctions.Hartmann6Minimum, 100);
        var tpe100 = MeanRegret(Hartmann(SearchMethod.Tpe), HartmannOf, TestFunctions.Hartmann6Minimum, 100);
        output.WriteLine($"Hartmann-6, mean simple regret over {Seeds} seeds: 50 runs random {random50:F4} bayes {bayes50:F4}; 100 runs random {random100:F4} tpe {tpe100:F4}");
        Assert.True(bayes50 < 0.5 * random50, $"bayes {bayes50} vs random {random50}");
        Assert.True(tpe100 < 0.6 * random100, $"tpe {tpe100} vs random {random100}");
    }
}
