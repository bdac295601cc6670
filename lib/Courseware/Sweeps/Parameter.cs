using MathNet.Numerics.Distributions;

namespace Courseware.Sweeps;

/// <summary>
/// One entry under <c>parameters:</c> of a sweep: a distribution with its arguments, or a nested group of parameters.
/// Build one with the factory methods, for example <c>Parameter.LogUniformValues(1e-5, 0.1)</c> or
/// <c>Parameter.Choices(16, 32, 64)</c>; sweep files are read into the same objects.
/// </summary>
/// <remarks>
/// Sampling, the CDF and its inverse follow the W&amp;B sweeps engine (params.py): a value is drawn as
/// <c>Ppf(u)</c> with u uniform in [0, 1). Two deliberate differences: a quantized value is kept inside [min, max]
/// (W&amp;B can round past a bound that is not a multiple of q), and categoricals map index i to the cumulative
/// probability up to i (W&amp;B's own mapping for categorical_w_probabilities is off by one).
/// </remarks>
public sealed class Parameter
{
    private double[]? cumulative;

    private Parameter(Distribution distribution) => Distribution = distribution;

    private Parameter(IReadOnlyDictionary<string, Parameter> parameters) => Parameters = parameters;

    /// <summary>The distribution; meaningless for a nested group (<see cref="IsNested"/>).</summary>
    public Distribution Distribution { get; }

    /// <summary>The children of a nested group (<c>{parameters: {...}}</c>), otherwise null.</summary>
    public IReadOnlyDictionary<string, Parameter>? Parameters { get; }

    /// <summary>True for a nested group of parameters.</summary>
    public bool IsNested => Parameters is not null;

    /// <summary>The constant of <see cref="Distribution.Constant"/>.</summary>
    public object? Value { get; private init; }

    /// <summary>The choices of a categorical parameter.</summary>
    public IReadOnlyList<object?> Choices { get; private init; } = [];

    /// <summary>The probabilities of <see cref="Distribution.CategoricalWithProbabilities"/>.</summary>
    public IReadOnlyList<double> Probabilities { get; private init; } = [];

    /// <summary>Lower bound (a base-e exponent for the deprecated log forms).</summary>
    public double Min { get; private init; }

    /// <summary>Upper bound (a base-e exponent for the deprecated log forms).</summary>
    public double Max { get; private init; }

    /// <summary>Quantization step of the q_ distributions (default 1).</summary>
    public double Q { get; private init; } = 1;

    /// <summary>Mean of the (log) normal distributions (default 0).</summary>
    public double Mu { get; private init; }

    /// <summary>Standard deviation of the (log) normal distributions (default 1).</summary>
    public double Sigma { get; private init; } = 1;

    /// <summary>First shape parameter of the beta distributions (default 1).</summary>
    public double A { get; private init; } = 1;

    /// <summary>Second shape parameter of the beta distributions (default 1).</summary>
    public double B { get; private init; } = 1;

    /// <summary>
    /// Condition for a conditional parameter (our extension, key <c>when:</c>): the parameter exists only when every
    /// named parameter has one of the listed values. Empty for an unconditional parameter.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<object?>> Conditions { get; private init; } =
        new Dictionary<string, IReadOnlyList<object?>>();

    /// <summary>True when q was written as an integer: quantized values are then integers, as in W&amp;B.</summary>
    internal bool IntegerQ { get; private init; } = true;

    /// <summary>True when the value is an integer (int_uniform, or a q_ distribution with an integer q).</summary>
    public bool IsInteger => Distribution == Distribution.IntUniform || (Distribution.IsQuantized() && IntegerQ);

    /// <summary>True when the parameter has a fixed value and takes no part in the search.</summary>
    public bool IsConstant => !IsNested && Distribution == Distribution.Constant;

    /// <summary>True for the log-scale distributions (log_uniform_values, log_normal, …): their values are best plotted on a log axis.</summary>
    public bool IsLogScale => Distribution is Distribution.LogUniform or Distribution.LogUniformValues or Distribution.QLogUniform
        or Distribution.QLogUniformValues or Distribution.InvLogUniform or Distribution.InvLogUniformValues or Distribution.LogNormal or Distribution.QLogNormal;

    /// <summary>True for categorical parameters (with or without probabilities).</summary>
    public bool IsCategorical => !IsNested && Distribution is Distribution.Categorical or Distribution.CategoricalWithProbabilities;

    // ---- factories -------------------------------------------------------------------------------------------

    /// <summary>A constant: <c>{value: adam}</c>.</summary>
    public static Parameter Constant(object? value) => new(Distribution.Constant) { Value = value };

    /// <summary>A categorical choice, equally likely: <c>{values: [16, 32, 64]}</c>.</summary>
    public static Parameter Values(params object?[] values) =>
        Checked(new Parameter(Distribution.Categorical) { Choices = values.ToArray() });

    /// <summary>A categorical choice with probabilities summing to 1 (categorical_w_probabilities).</summary>
    public static Parameter Categorical(IEnumerable<object?> values, IEnumerable<double> probabilities) =>
        Checked(new Parameter(Distribution.CategoricalWithProbabilities) { Choices = values.ToArray(), Probabilities = probabilities.ToArray() });

    /// <summary>An integer in [min, max], both included.</summary>
    public static Parameter IntUniform(long min, long max) => Checked(new Parameter(Distribution.IntUniform) { Min = min, Max = max });

    /// <summary>A real number in [min, max].</summary>
    public static Parameter Uniform(double min, double max) => Checked(new Parameter(Distribution.Uniform) { Min = min, Max = max });

    /// <summary>A multiple of q in [min, max]; an integer q gives integer values.</summary>
    public static Parameter QUniform(double min, double max, double q = 1) =>
        Checked(new Parameter(Distribution.QUniform) { Min = min, Max = max, Q = q, IntegerQ = IsWhole(q) });

    /// <summary>Log-uniform between the values min and max (min &gt; 0): the usual choice for learning rates.</summary>
    public static Parameter LogUniformValues(double min, double max) =>
        Checked(new Parameter(Distribution.LogUniformValues) { Min = min, Max = max });

    /// <summary>Log-uniform between min and max, rounded to a multiple of q.</summary>
    public static Parameter QLogUniformValues(double min, double max, double q = 1) =>
        Checked(new Parameter(Distribution.QLogUniformValues) { Min = min, Max = max, Q = q, IntegerQ = IsWhole(q) });

    /// <summary>1/x log-uniform between 1/max and 1/min (min &gt; 0).</summary>
    public static Parameter InvLogUniformValues(double min, double max) =>
        Checked(new Parameter(Distribution.InvLogUniformValues) { Min = min, Max = max });

    /// <summary>A normal distribution.</summary>
    public static Parameter Normal(double mu = 0, double sigma = 1) => Checked(new Parameter(Distribution.Normal) { Mu = mu, Sigma = sigma });

    /// <summary>A normal distribution rounded to multiples of q.</summary>
    public static Parameter QNormal(double mu = 0, double sigma = 1, double q = 1) =>
        Checked(new Parameter(Distribution.QNormal) { Mu = mu, Sigma = sigma, Q = q, IntegerQ = IsWhole(q) });

    /// <summary>exp of a normal distribution.</summary>
    public static Parameter LogNormal(double mu = 0, double sigma = 1) => Checked(new Parameter(Distribution.LogNormal) { Mu = mu, Sigma = sigma });

    /// <summary>exp of a normal distribution, rounded to multiples of q.</summary>
    public static Parameter QLogNormal(double mu = 0, double sigma = 1, double q = 1) =>
        Checked(new Parameter(Distribution.QLogNormal) { Mu = mu, Sigma = sigma, Q = q, IntegerQ = IsWhole(q) });

    /// <summary>A beta distribution on [0, 1].</summary>
    public static Parameter Beta(double a = 1, double b = 1) => Checked(new Parameter(Distribution.Beta) { A = a, B = b });

    /// <summary>A beta distribution rounded to multiples of q.</summary>
    public static Parameter QBeta(double a = 1, double b = 1, double q = 1) =>
        Checked(new Parameter(Distribution.QBeta) { A = a, B = b, Q = q, IntegerQ = IsWhole(q) });

    /// <summary>A nested group: <c>{parameters: {width: {values: [64, 128]}}}</c>.</summary>
    public static Parameter Nested(IReadOnlyDictionary<string, Parameter> parameters) =>
        parameters.Count == 0
            ? throw new ArgumentException("a nested parameter needs at least one child parameter", nameof(parameters))
            : new Parameter(parameters);

    /// <summary>
    /// The same parameter, existing only when <paramref name="parent"/> has one of <paramref name="values"/>:
    /// <c>Parameter.Uniform(0, 0.99).When("optimizer", "sgd")</c>. Conditions on several parents all must hold.
    /// </summary>
    public Parameter When(string parent, params object?[] values)
    {
        if (IsNested) throw new InvalidOperationException("conditions go on the child parameters of a nested group");
        if (values.Length == 0) throw new ArgumentException("a condition needs at least one value", nameof(values));
        var when = new Dictionary<string, IReadOnlyList<object?>>(Conditions) { [parent] = values.ToArray() };
        return Copy(when);
    }

    /// <summary>Builds a parameter from already-parsed parts (the sweep-file reader); validation is the caller's.</summary>
    internal static Parameter FromParts(Distribution distribution, object? value, IReadOnlyList<object?>? values,
        IReadOnlyList<double>? probabilities, double? min, double? max, double? q, bool integerQ, double? mu, double? sigma,
        double? a, double? b, IReadOnlyDictionary<string, IReadOnlyList<object?>>? when) => new(distribution)
    {
        Value = value,
        Choices = values ?? [],
        Probabilities = probabilities ?? [],
        Min = min ?? 0,
        Max = max ?? 0,
        Q = q ?? 1,
        IntegerQ = q is not null && integerQ, // W&B's default q is the float 1.0
        Mu = mu ?? 0,
        Sigma = sigma ?? 1,
        A = a ?? 1,
        B = b ?? 1,
        Conditions = when ?? new Dictionary<string, IReadOnlyList<object?>>(),
    };

    private Parameter Copy(IReadOnlyDictionary<string, IReadOnlyList<object?>> when) => new(Distribution)
    {
        Value = Value, Choices = Choices, Probabilities = Probabilities, Min = Min, Max = Max, Q = Q, IntegerQ = IntegerQ,
        Mu = Mu, Sigma = Sigma, A = A, B = B, Conditions = when,
    };

    private static Parameter Checked(Parameter p)
    {
        var problem = p.Validate().FirstOrDefault();
        if (problem.Field is not null) throw new ArgumentException($"{p.Distribution.ToName()}: {problem.Field}: {problem.Message}");
        return p;
    }

    private static bool IsWhole(double x) => Math.Abs(x - Math.Round(x)) == 0;

    // ---- validation ------------------------------------------------------------------------------------------

    /// <summary>The problems of this parameter's arguments as (field, what was expected); empty when valid.</summary>
    internal IEnumerable<(string Field, string Message)> Validate()
    {
        if (IsNested) yield break;
        var d = Distribution;
        if (IsCategorical && Choices.Count == 0) yield return ("values", "expected a list with at least one value");
        if (d == Distribution.CategoricalWithProbabilities)
        {
            if (Probabilities.Count != Choices.Count)
                yield return ("probabilities", $"expected {Choices.Count} probabilities, one for each value, but found {Probabilities.Count}");
            else if (Probabilities.Any(p => p < 0 || !double.IsFinite(p)))
                yield return ("probabilities", "expected probabilities ≥ 0");
            else if (Math.Abs(Probabilities.Sum() - 1) > 1e-8 + 1e-5)
                yield return ("probabilities", $"expected probabilities summing to 1, but they sum to {Probabilities.Sum():G6}");
        }
        if (d.UsesMinMax())
        {
            if (!double.IsFinite(Min) || !double.IsFinite(Max)) yield return ("min", "expected finite min and max");
            else if (Min >= Max) yield return ("min", $"expected min < max, but min is {Min:G} and max is {Max:G}");
            else if (d is Distribution.LogUniformValues or Distribution.QLogUniformValues or Distribution.InvLogUniformValues && Min <= 0)
                yield return ("min", $"expected min > 0 for {d.ToName()} (min and max are values, log is taken), but min is {Min:G}");
            else if (d == Distribution.IntUniform && (!IsWhole(Min) || !IsWhole(Max)))
                yield return ("min", "expected integer min and max for int_uniform");
        }
        if (d.IsQuantized() && !(Q > 0 && double.IsFinite(Q))) yield return ("q", $"expected q > 0, but q is {Q:G}");
        if (d.UsesMuSigma() && !(Sigma >= 0 && double.IsFinite(Sigma) && double.IsFinite(Mu)))
            yield return ("sigma", $"expected a finite mu and sigma ≥ 0, but sigma is {Sigma:G}");
        if (d.UsesAB() && !(A > 0 && B > 0 && double.IsFinite(A) && double.IsFinite(B)))
            yield return ("a", $"expected a > 0 and b > 0, but a is {A:G} and b is {B:G}");
        if (d.IsQuantized() && d is not (Distribution.QNormal or Distribution.QLogNormal) && Q > 0 && double.IsFinite(Q)
            && double.IsFinite(Min) && double.IsFinite(Max) && Min < Max && QSupport().Low > QSupport().High)
            yield return ("q", $"expected at least one multiple of q = {Q:G} between the bounds");
    }

    // ---- CDF, inverse CDF, sampling ---------------------------------------------------------------------------

    /// <summary>Draws a value (W&amp;B: <c>ppf(random.uniform(0, 1))</c>).</summary>
    public object? Sample(Random random) => Ppf(random.NextDouble());

    /// <summary>The value at quantile <paramref name="u"/> in [0, 1] (inverse CDF).</summary>
    public object? Ppf(double u)
    {
        if (IsNested) throw new InvalidOperationException("a nested group has no distribution");
        u = Math.Clamp(u, 0, 1);
        switch (Distribution)
        {
            case Distribution.Constant: return Value;
            case Distribution.Categorical or Distribution.CategoricalWithProbabilities: return Choices[CategoryIndex(u)];
            case Distribution.IntUniform:
                var n = (long)(Max - Min + 1);
                return (long)Min + Math.Clamp((long)Math.Ceiling(u * n) - 1, 0, n - 1);
            default:
                var x = ContinuousPpf(u);
                return Distribution.IsQuantized() ? Quantize(x) : x;
        }
    }

    /// <summary>
    /// Probability that a draw is ≤ <paramref name="value"/>; for a categorical value, the cumulative probability up
    /// to and including its index. This is the [0, 1] coordinate bayes search fits its Gaussian process on.
    /// </summary>
    public double Cdf(object? value)
    {
        if (IsNested) throw new InvalidOperationException("a nested group has no distribution");
        switch (Distribution)
        {
            case Distribution.Constant: return 0;
            case Distribution.Categorical or Distribution.CategoricalWithProbabilities:
                var i = IndexOf(value);
                return i < 0 ? throw new ArgumentException($"{Format(value)} is not one of the values") : Cumulative()[i];
            case Distribution.IntUniform:
                var k = Math.Round(ToDouble(value));
                return Math.Clamp((k - Min + 1) / (Max - Min + 1), 0, 1);
            default:
                return ContinuousCdf(ToDouble(value));
        }
    }

    /// <summary>Index of a categorical value (numbers compare by value: 3 equals 3.0), or −1.</summary>
    public int IndexOf(object? value)
    {
        var key = ParameterValues.KeyOf(value);
        for (var i = 0; i < Choices.Count; i++)
            if (ParameterValues.KeyOf(Choices[i]) == key) return i;
        return -1;
    }

    private int CategoryIndex(double u)
    {
        var cum = Cumulative();
        for (var i = 0; i < cum.Length; i++)
            if (cum[i] >= u) return i;
        return cum.Length - 1;
    }

    private double[] Cumulative()
    {
        if (cumulative is not null) return cumulative;
        var n = Choices.Count;
        var c = new double[n];
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            sum += Distribution == Distribution.CategoricalWithProbabilities ? Probabilities[i] : 1.0 / n;
            c[i] = sum;
        }
        c[n - 1] = 1; // rounding must not leave the last category unreachable
        return cumulative = c;
    }

    private double ContinuousPpf(double u)
    {
        switch (Distribution)
        {
            case Distribution.Uniform or Distribution.QUniform: return Min + u * (Max - Min);
            case Distribution.LogUniform or Distribution.QLogUniform: return Math.Exp(Min + u * (Max - Min));
            case Distribution.InvLogUniform: return Math.Exp(-(Min + (1 - u) * (Max - Min)));
            case Distribution.LogUniformValues or Distribution.QLogUniformValues:
                return Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min)));
            case Distribution.InvLogUniformValues:
                return Math.Exp(-(-Math.Log(Max) + (1 - u) * (Math.Log(Max) - Math.Log(Min))));
            case Distribution.Normal or Distribution.QNormal: return Mu + Sigma * StandardNormalPpf(u);
            case Distribution.LogNormal or Distribution.QLogNormal: return Math.Exp(Mu + Sigma * StandardNormalPpf(u));
            case Distribution.Beta or Distribution.QBeta:
                return u <= 0 ? 0 : u >= 1 ? 1 : MathNet.Numerics.Distributions.Beta.InvCDF(A, B, u);
            default: throw new InvalidOperationException($"{Distribution} is not continuous");
        }
    }

    private double ContinuousCdf(double x)
    {
        double Clamp01(double v) => double.IsNaN(v) ? 0 : Math.Clamp(v, 0, 1);
        return Distribution switch
        {
            Distribution.Uniform or Distribution.QUniform => Clamp01((x - Min) / (Max - Min)),
            Distribution.LogUniform or Distribution.QLogUniform => Clamp01((Math.Log(x) - Min) / (Max - Min)),
            Distribution.InvLogUniform => Clamp01(1 - (Math.Log(1 / x) - Min) / (Max - Min)),
            Distribution.LogUniformValues or Distribution.QLogUniformValues or Distribution.InvLogUniformValues =>
                Clamp01((Math.Log(x) - Math.Log(Min)) / (Math.Log(Max) - Math.Log(Min))),
            Distribution.Normal or Distribution.QNormal => Sigma == 0 ? (x >= Mu ? 1 : 0) : MathNet.Numerics.Distributions.Normal.CDF(Mu, Sigma, x),
            Distribution.LogNormal or Distribution.QLogNormal => x <= 0 ? 0 : Sigma == 0 ? (Math.Log(x) >= Mu ? 1 : 0)
                : MathNet.Numerics.Distributions.Normal.CDF(Mu, Sigma, Math.Log(x)),
            Distribution.Beta or Distribution.QBeta => x <= 0 ? 0 : x >= 1 ? 1 : MathNet.Numerics.Distributions.Beta.CDF(A, B, x),
            _ => throw new InvalidOperationException($"{Distribution} is not continuous"),
        };
    }

    // u = 0 or 1 would give ±∞; a quantile closer than 1e-12 to either end is drawn with probability ~1e-12.
    private static double StandardNormalPpf(double u) =>
        MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, Math.Clamp(u, 1e-12, 1 - 1e-12));

    /// <summary>Rounds to a multiple of q (half to even, like numpy) and keeps the result inside the support.</summary>
    private object Quantize(double x)
    {
        var k = Math.Round(x / Q, MidpointRounding.ToEven);
        var (low, high) = QSupport();
        k = Math.Clamp(k, low, high);
        return QValue(k * Q);
    }

    /// <summary>A multiple of q as the parameter's value type: a long for an integer q, else a double without binary noise.</summary>
    internal object QValue(double x) => IntegerQ ? (object)(long)Math.Round(x) : RoundNoise(x);

    /// <summary>The smallest and largest multiplier k such that k·q is a possible value.</summary>
    internal (double Low, double High) QSupport()
    {
        const double slack = 1e-9; // bounds written as 0.3 with q 0.1 must count as multiples
        return Distribution switch
        {
            Distribution.QUniform => (Math.Ceiling(Min / Q - slack), Math.Floor(Max / Q + slack)),
            Distribution.QLogUniform => (Math.Max(1, Math.Ceiling(Math.Exp(Min) / Q - slack)), Math.Floor(Math.Exp(Max) / Q + slack)),
            Distribution.QLogUniformValues => (Math.Max(1, Math.Ceiling(Min / Q - slack)), Math.Floor(Max / Q + slack)),
            Distribution.QBeta => (0, Math.Floor(1 / Q + slack)),
            Distribution.QLogNormal => (0, double.PositiveInfinity),
            _ => (double.NegativeInfinity, double.PositiveInfinity),
        };
    }

    /// <summary>Removes binary noise from k·q (0.30000000000000004 → 0.3) so values print and compare as written.</summary>
    internal static double RoundNoise(double x) => x == 0 || !double.IsFinite(x) ? x : double.Parse(x.ToString("G15", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    // ---- grid ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The values a grid search walks through (W&amp;B grid_search.py): categorical values, the constant,
    /// min..max for int_uniform, and arange(min, max, q) for q_uniform (max excluded, as in W&amp;B).
    /// Null for a distribution a grid cannot enumerate.
    /// </summary>
    public IReadOnlyList<object?>? GridValues()
    {
        if (IsNested) return null;
        switch (Distribution)
        {
            case Distribution.Constant: return [Value];
            case Distribution.Categorical: return Choices;
            case Distribution.IntUniform:
                var list = new List<object?>();
                for (var v = (long)Min; v <= (long)Max; v++) list.Add(v);
                return list;
            case Distribution.QUniform:
                var count = (long)Math.Ceiling((Max - Min) / Q); // numpy.arange length
                var values = new List<object?>();
                for (long i = 0; i < count; i++)
                {
                    var x = Min + i * Q;
                    values.Add(IsWhole(Min) ? QValue(x) : RoundNoise(x));
                }
                return values;
            default: return null;
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    internal static double ToDouble(object? value) => value switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        decimal m => (double)m,
        null => double.NaN,
        IConvertible c => c.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
        _ => double.NaN,
    };

    internal static string Format(object? value) => ParameterValues.KeyOf(value);

    /// <inheritdoc />
    public override string ToString()
    {
        if (IsNested) return $"{{parameters: {string.Join(", ", Parameters!.Keys)}}}";
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var args = Distribution switch
        {
            Distribution.Constant => $"value: {Format(Value)}",
            Distribution.Categorical => $"values: [{string.Join(", ", Choices.Select(Format))}]",
            Distribution.CategoricalWithProbabilities =>
                $"values: [{string.Join(", ", Choices.Select(Format))}], probabilities: [{string.Join(", ", Probabilities.Select(p => p.ToString(inv)))}]",
            _ when Distribution.UsesMinMax() => string.Create(inv, $"min: {Min}, max: {Max}") + (Distribution.IsQuantized() ? string.Create(inv, $", q: {Q}") : ""),
            _ when Distribution.UsesMuSigma() => string.Create(inv, $"mu: {Mu}, sigma: {Sigma}") + (Distribution.IsQuantized() ? string.Create(inv, $", q: {Q}") : ""),
            _ => string.Create(inv, $"a: {A}, b: {B}") + (Distribution.IsQuantized() ? string.Create(inv, $", q: {Q}") : ""),
        };
        var when = Conditions.Count == 0 ? "" : ", when: {" + string.Join(", ", Conditions.Select(w => $"{w.Key}: [{string.Join(", ", w.Value.Select(Format))}]")) + "}";
        return $"{{distribution: {Distribution.ToName()}, {args}{when}}}";
    }
}
