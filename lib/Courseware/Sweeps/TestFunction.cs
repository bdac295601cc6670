using System.Diagnostics;

namespace Courseware.Sweeps;

/// <summary>
/// A benchmark objective with a known global minimum over its own search space: the standard global-optimisation
/// test functions (Surjanovic &amp; Bingham, Virtual Library of Simulation Experiments) and two mixed spaces shaped
/// like training sweeps (a log-scale learning rate, integers, categoricals). Minimise <see cref="Evaluate"/>; the
/// regret of a configuration is its value minus <see cref="Minimum"/>.
/// </summary>
/// <example><c>var curves = TestFunction.Branin.RegretCurves([SearchMethod.Random, SearchMethod.Bayes, SearchMethod.Tpe], trials: 40, seeds: 8);</c></example>
public sealed class TestFunction
{
    private static readonly string[] Activations = ["relu", "gelu", "tanh", "sigmoid"];
    private static readonly string[] Norms = ["batch", "layer", "none"];
    private static readonly double[,] ConvnetOffsets =
    {
        { 0.05, 0.12, 0.25 }, { 0.10, 0.00, 0.30 }, { 0.20, 0.18, 0.35 }, { 0.40, 0.38, 0.50 },
    };

    private static readonly double[] HartmannAlpha = [1.0, 1.2, 3.0, 3.2];
    private static readonly double[,] HartmannA = { { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 } };
    private static readonly double[,] HartmannP =
    {
        { 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 }, { 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
        { 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 }, { 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
    };

    private readonly Func<ParameterValues, double> evaluate;
    private readonly Func<Dictionary<string, Parameter>> parameters;

    private TestFunction(string name, double minimum, Func<Dictionary<string, Parameter>> parameters, Func<ParameterValues, double> evaluate)
    {
        Name = name;
        Minimum = minimum;
        this.parameters = parameters;
        this.evaluate = evaluate;
    }

    /// <summary>The function's name, e.g. "branin".</summary>
    public string Name { get; }

    /// <summary>The global minimum of <see cref="Evaluate"/> over the search space.</summary>
    public double Minimum { get; }

    /// <summary>The search space, as sweep parameters (a new dictionary each time).</summary>
    public Dictionary<string, Parameter> Parameters => parameters();

    /// <summary>The function's value at <paramref name="config"/>.</summary>
    public double Evaluate(ParameterValues config) => evaluate(config);

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>A sweep that minimises this function (metric "value") with <paramref name="method"/>.</summary>
    public SweepConfig ToSweepConfig(SearchMethod method) =>
        new() { Method = method, Metric = new SweepMetric("value"), Parameters = Parameters };

    /// <summary>
    /// Runs one sequential sweep of <paramref name="trials"/> trials with <paramref name="method"/> and seed
    /// <paramref name="seed"/>: each suggestion is evaluated and finished before the next one is asked for.
    /// </summary>
    public SweepTrace Minimize(SearchMethod method, int trials, int seed)
    {
        var sweeper = new Sweeper(ToSweepConfig(method), seed);
        var runs = new List<SweepRun>(trials);
        var values = new double[trials];
        var milliseconds = new double[trials];
        var fallbacks = 0;
        var notes = new string[trials];
        for (var i = 0; i < trials; i++)
        {
            var watch = Stopwatch.StartNew();
            var next = sweeper.Suggest(runs) ?? throw new InvalidOperationException($"{Name}: {method} gave no suggestion at trial {i}");
            milliseconds[i] = watch.Elapsed.TotalMilliseconds;
            if (next.Fallback is not null) fallbacks++;
            notes[i] = next.Note;
            values[i] = Evaluate(next.Config);
            runs.Add(SweepRun.Finished(next.Config, values[i]));
        }
        return new SweepTrace(this, method, seed, runs.Select(r => r.Config).ToList(), values, milliseconds, fallbacks) { Notes = notes };
    }

    /// <summary>
    /// Median and quartiles over <paramref name="seeds"/> seeds (1, 2, …) of the best regret after each trial, for
    /// each method; seeds run in parallel. Branin with random, bayes and tpe, 40 trials and 8 seeds takes a few seconds.
    /// </summary>
    public IReadOnlyList<RegretCurve> RegretCurves(IEnumerable<SearchMethod> methods, int trials, int seeds)
    {
        var list = methods.ToList();
        var traces = new SweepTrace[list.Count, seeds];
        Parallel.For(0, list.Count * seeds, k => traces[k / seeds, k % seeds] = Minimize(list[k / seeds], trials, k % seeds + 1));
        return list.Select((method, m) =>
        {
            var regrets = Enumerable.Range(0, seeds).Select(s => traces[m, s].BestRegret).ToList();
            double[] At(double q) => Enumerable.Range(0, trials).Select(t => Evaluation.Stats.Quantile(regrets.Select(r => r[t]).Order().ToArray(), q)).ToArray();
            return new RegretCurve(method, At(0.25), At(0.5), At(0.75));
        }).ToList();
    }

    /// <summary>Branin on x ∈ [−5, 10], y ∈ [0, 15]; minimum 0.397887 at (−π, 12.275), (π, 2.275), (9.42478, 2.475).</summary>
    public static TestFunction Branin { get; } = new("branin", 0.397887,
        () => new(StringComparer.Ordinal) { ["x"] = Parameter.Uniform(-5, 10), ["y"] = Parameter.Uniform(0, 15) },
        c => BraninAt(c.Get<double>("x"), c.Get<double>("y")));

    /// <summary>Hartmann-6 on [0, 1]^6 (x1 … x6); minimum −3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).</summary>
    public static TestFunction Hartmann6 { get; } = new("hartmann6", -3.32237,
        () => Unit("x", 6, 0, 1),
        c => Hartmann6At(Enumerable.Range(1, 6).Select(i => c.Get<double>($"x{i}")).ToArray()));

    /// <summary>Rosenbrock in 4 dimensions on [−5, 10]^4 (x1 … x4); minimum 0 at (1, 1, 1, 1).</summary>
    public static TestFunction Rosenbrock4 { get; } = new("rosenbrock4", 0,
        () => Unit("x", 4, -5, 10),
        c => RosenbrockAt(Enumerable.Range(1, 4).Select(i => c.Get<double>($"x{i}")).ToArray()));

    /// <summary>
    /// A training sweep: learning rate log-uniform in [1e-5, 1], layers 1–8, optimizer sgd | momentum | adam. Each
    /// optimizer has its own basin in (log10 lr, layers): sgd's is wide and shallow (0.25 at best), momentum's
    /// narrower (0.15), adam's narrowest and best (0 at lr 10^−3.5, 6 layers), its best lr shifting with depth.
    /// A search that treats the optimizer as ordered, or settles in the first good basin, stalls at 0.15–0.25.
    /// </summary>
    public static TestFunction MixedTraining { get; } = new("mixed-training", 0,
        () => new(StringComparer.Ordinal)
        {
            ["lr"] = Parameter.LogUniformValues(1e-5, 1),
            ["layers"] = Parameter.IntUniform(1, 8),
            ["optimizer"] = Parameter.Values("sgd", "momentum", "adam"),
        },
        c =>
        {
            var logLr = Math.Log10(c.Get<double>("lr"));
            var layers = c.Get<double>("layers");
            var (floor, width, bestLogLr, bestLayers) = c.Get<string>("optimizer") switch
            {
                "sgd" => (0.25, 0.15, -1.0, 2.0),
                "momentum" => (0.15, 0.4, -2.0, 4.0),
                _ => (0.0, 1.0, -3.5 + 0.15 * (layers - 6), 6.0),
            };
            return floor + width * (logLr - bestLogLr) * (logLr - bestLogLr) + 0.02 * (layers - bestLayers) * (layers - bestLayers);
        });

    /// <summary>
    /// A convolutional-network sweep: activation relu | gelu | tanh | sigmoid and normalisation batch | layer | none
    /// (an offset per pair: gelu with layer norm 0, relu with batch norm 0.05, …), log2 batch size 4–9 (best 6),
    /// weight decay log-uniform in [1e-6, 0.1] and dropout in [0, 0.6] along a curved Rosenbrock-like valley
    /// (best wd 10^−3, dropout 0.216). Minimum 0.
    /// </summary>
    public static TestFunction MixedConvnet { get; } = new("mixed-convnet", 0,
        () => new(StringComparer.Ordinal)
        {
            ["activation"] = Parameter.Values("relu", "gelu", "tanh", "sigmoid"),
            ["norm"] = Parameter.Values("batch", "layer", "none"),
            ["batch_log2"] = Parameter.IntUniform(4, 9),
            ["weight_decay"] = Parameter.LogUniformValues(1e-6, 0.1),
            ["dropout"] = Parameter.Uniform(0, 0.6),
        },
        c =>
        {
            var offset = ConvnetOffsets[Array.IndexOf(Activations, c.Get<string>("activation")), Array.IndexOf(Norms, c.Get<string>("norm"))];
            var u = (Math.Log10(c.Get<double>("weight_decay")) + 6) / 5;
            var v = c.Get<double>("dropout") / 0.6;
            var valley = 0.5 * ((u - 0.6) * (u - 0.6) + 4 * (v - u * u) * (v - u * u));
            var k = c.Get<double>("batch_log2");
            return offset + valley + 0.02 * (k - 6) * (k - 6);
        });

    /// <summary>Every function above, in the order of the benchmark's table.</summary>
    public static IReadOnlyList<TestFunction> All { get; } = [Branin, Hartmann6, Rosenbrock4, MixedTraining, MixedConvnet];

    private static Dictionary<string, Parameter> Unit(string prefix, int count, double min, double max)
    {
        var result = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        for (var i = 1; i <= count; i++) result[$"{prefix}{i}"] = Parameter.Uniform(min, max);
        return result;
    }

    internal static double BraninAt(double x, double y)
    {
        const double a = 1, b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, r = 6, s = 10, t = 1 / (8 * Math.PI);
        return a * Math.Pow(y - b * x * x + c * x - r, 2) + s * (1 - t) * Math.Cos(x) + s;
    }

    internal static double Hartmann6At(IReadOnlyList<double> x)
    {
        double sum = 0;
        for (var i = 0; i < 4; i++)
        {
            double inner = 0;
            for (var j = 0; j < 6; j++) inner += HartmannA[i, j] * Math.Pow(x[j] - HartmannP[i, j], 2);
            sum += HartmannAlpha[i] * Math.Exp(-inner);
        }
        return -sum;
    }

    internal static double RosenbrockAt(IReadOnlyList<double> x)
    {
        double sum = 0;
        for (var i = 0; i < x.Count - 1; i++)
            sum += 100 * Math.Pow(x[i + 1] - x[i] * x[i], 2) + Math.Pow(x[i] - 1, 2);
        return sum;
    }
}

/// <summary>One sequential sweep over a <see cref="TestFunction"/>.</summary>
/// <param name="Function">The function minimised.</param>
/// <param name="Method">The search method.</param>
/// <param name="Seed">The sweep's seed.</param>
/// <param name="Configs">Each trial's configuration, in order.</param>
/// <param name="Values">Each trial's value.</param>
/// <param name="SuggestMilliseconds">Wall time of each <see cref="Sweeper.Suggest"/> call.</param>
/// <param name="Fallbacks">How many suggestions the method made without its model (<see cref="Suggestion.Fallback"/>).</param>
public sealed record SweepTrace(TestFunction Function, SearchMethod Method, int Seed, IReadOnlyList<ParameterValues> Configs,
    IReadOnlyList<double> Values, IReadOnlyList<double> SuggestMilliseconds, int Fallbacks)
{
    /// <summary>Each suggestion's note: how the method chose it (<see cref="Suggestion.Note"/>).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The best value so far minus the function's minimum, after each trial.</summary>
    public IReadOnlyList<double> BestRegret
    {
        get
        {
            var result = new double[Values.Count];
            var best = double.PositiveInfinity;
            for (var i = 0; i < Values.Count; i++) result[i] = (best = Math.Min(best, Values[i])) - Function.Minimum;
            return result;
        }
    }
}

/// <summary>Quartiles over seeds of the best regret after each trial (index 0 = after the first trial).</summary>
/// <param name="Method">The search method.</param>
/// <param name="Lower">First quartile.</param>
/// <param name="Median">Median.</param>
/// <param name="Upper">Third quartile.</param>
public sealed record RegretCurve(SearchMethod Method, IReadOnlyList<double> Lower, IReadOnlyList<double> Median, IReadOnlyList<double> Upper);
