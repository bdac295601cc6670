using Courseware.Sweeps;
using Xunit.Abstractions;

namespace Courseware.Tests.Sweeps;

public class OptimizationTests(ITestOutputHelper output)
{
    private const int Seeds = 8;

    [Fact]
    public void TestFunctionsHaveTheirPublishedMinima()
    {
        Assert.Equal(0, TestFunction.RosenbrockAt([1, 1, 1, 1]));
        Assert.Equal(0, TestFunction.MixedTraining.Evaluate(new([new("layers", 6L), new("lr", Math.Pow(10, -3.5)), new("optimizer", "adam")])), 12);
        Assert.Equal(0.25, TestFunction.MixedTraining.Evaluate(new([new("layers", 2L), new("lr", 0.1), new("optimizer", "sgd")])), 12);
        Assert.Equal(0, TestFunction.MixedConvnet.Evaluate(new([new("activation", "gelu"), new("batch_log2", 6L), new("dropout", 0.216),
            new("norm", "layer"), new("weight_decay", 1e-3)])), 12);
        Assert.Equal(TestFunction.Branin.Minimum, TestFunction.BraninAt(-Math.PI, 12.275), 5);
        Assert.Equal(TestFunction.Branin.Minimum, TestFunction.BraninAt(Math.PI, 2.275), 5);
        Assert.Equal(TestFunction.Hartmann6.Minimum, TestFunction.Hartmann6At([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]), 4);
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

    private static double BraninOf(ParameterValues c) => TestFunction.BraninAt(c.Get<double>("x"), c.Get<double>("y"));
    private static double HartmannOf(ParameterValues c) => TestFunction.Hartmann6At(Enumerable.Range(1, 6).Select(i => c.Get<double>($"x{i}")).ToArray());

    // Bayes is compared at a small budget (its process is the expensive part of this test); TPE, which spends its
    // first 10 runs at random and learns more slowly, at a larger one. Random search is run at both budgets.
    [Fact]
    public void BayesAndTpeBeatRandomOnBranin()
    {
        var random30 = MeanRegret(Branin(SearchMethod.Random), BraninOf, TestFunction.Branin.Minimum, 30);
        var bayes30 = MeanRegret(Branin(SearchMethod.Bayes), BraninOf, TestFunction.Branin.Minimum, 30);
        var random60 = MeanRegret(Branin(SearchMethod.Random), BraninOf, TestFunction.Branin.Minimum, 60);
        var tpe60 = MeanRegret(Branin(SearchMethod.Tpe), BraninOf, TestFunction.Branin.Minimum, 60);
        output.WriteLine($"Branin, mean simple regret over {Seeds} seeds: 30 runs random {random30:F4} bayes {bayes30:F4}; 60 runs random {random60:F4} tpe {tpe60:F4}");
        Assert.True(bayes30 < 0.25 * random30, $"bayes {bayes30} vs random {random30}");
        Assert.True(tpe60 < 0.5 * random60, $"tpe {tpe60} vs random {random60}");
    }

    [Fact]
    public void BayesAndTpeBeatRandomOnHartmann6()
    {
        var random50 = MeanRegret(Hartmann(SearchMethod.Random), HartmannOf, TestFunction.Hartmann6.Minimum, 50);
        var bayes50 = MeanRegret(Hartmann(SearchMethod.Bayes), HartmannOf, TestFunction.Hartmann6.Minimum, 50);
        var random100 = MeanRegret(Hartmann(SearchMethod.Random), HartmannOf, TestFunction.Hartmann6.Minimum, 100);
        var tpe100 = MeanRegret(Hartmann(SearchMethod.Tpe), HartmannOf, TestFunction.Hartmann6.Minimum, 100);
        output.WriteLine($"Hartmann-6, mean simple regret over {Seeds} seeds: 50 runs random {random50:F4} bayes {bayes50:F4}; 100 runs random {random100:F4} tpe {tpe100:F4}");
        Assert.True(bayes50 < 0.5 * random50, $"bayes {bayes50} vs random {random50}");
        Assert.True(tpe100 < 0.6 * random100, $"tpe {tpe100} vs random {random100}");
    }
}
