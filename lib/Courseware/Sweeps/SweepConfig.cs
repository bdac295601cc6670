using System.Globalization;
using Courseware.Notebooks;

namespace Courseware.Sweeps;

/// <summary>How a sweep picks the next configuration.</summary>
public enum SearchMethod
{
    /// <summary>Every combination of the parameter values, each exactly once, in a fixed order.</summary>
    Grid,
    /// <summary>Independent draws from each parameter's distribution.</summary>
    Random,
    /// <summary>
    /// Gaussian-process Bayesian optimisation with expected improvement (W&amp;B's bayes, with one-hot categoricals;
    /// see lib/Courseware/Sweeps/README.md). The recommended default up to ~10 parameters and ~100 trials.
    /// </summary>
    Bayes,
    /// <summary>Tree-structured Parzen estimator, Optuna's multivariate TPE (our fourth method, <c>method: tpe</c>).</summary>
    Tpe,
}

/// <summary>Whether a smaller or a larger metric is better.</summary>
public enum MetricGoal
{
    /// <summary>Smaller is better (losses, errors).</summary>
    Minimize,
    /// <summary>Larger is better (accuracy, F1).</summary>
    Maximize,
}

/// <summary>The metric a sweep optimises: <c>metric: {name: val/loss, goal: minimize, target: 0.1}</c>.</summary>
/// <param name="Name">The metric's name as the runs log it.</param>
/// <param name="Goal">Minimize (the default) or maximize.</param>
/// <param name="Target">The sweep finishes once a run reaches this value.</param>
public sealed record SweepMetric(string Name, MetricGoal Goal = MetricGoal.Minimize, double? Target = null)
{
    /// <summary>True when <paramref name="a"/> is strictly better than <paramref name="b"/>.</summary>
    public bool IsBetter(double a, double b) => Goal == MetricGoal.Minimize ? a < b : a > b;

    /// <summary>The value turned into a loss (negated when maximising), the form every search method minimises.</summary>
    public double AsLoss(double value) => Goal == MetricGoal.Minimize ? value : -value;
}

/// <summary>Early termination of runs that fall behind (<c>early_terminate:</c>).</summary>
public abstract record EarlyTermination;

/// <summary>
/// W&amp;B's hyperband early termination: <c>{type: hyperband, min_iter: 3, eta: 3}</c> or
/// <c>{type: hyperband, max_iter: 27, s: 2}</c>. See <see cref="Hyperband"/> for the rule.
/// </summary>
public sealed record HyperbandTermination : EarlyTermination
{
    /// <summary>First band (iteration) at which runs are compared.</summary>
    public int? MinIter { get; init; }
    /// <summary>Last iteration; bands are max_iter/eta^k for k = 1..s.</summary>
    public int? MaxIter { get; init; }
    /// <summary>Number of bands below <see cref="MaxIter"/>.</summary>
    public double? S { get; init; }
    /// <summary>Each band keeps the top 1/eta of runs (default 3, must be &gt; 1).</summary>
    public double Eta { get; init; } = 3;
    /// <summary>Compare the value at the band (true, default) rather than the best value so far.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>The iterations at which runs are compared, ascending (W&amp;B hyperband_stopping.py).</summary>
    public IReadOnlyList<int> Bands()
    {
        var bands = new List<int>();
        if (MaxIter is int maxIter)
        {
            double band = maxIter;
            for (var i = 0; i < (S ?? 0); i++)
            {
                band /= Eta;
                if (band < 1) break;
                bands.Add((int)band);
            }
            bands.Sort();
        }
        else if (MinIter is int minIter)
        {
            double band = minIter;
            for (var i = 0; i < 100; i++)
            {
                // int() of a float beyond int's range: stop, no run has that many steps anyway
                if (band >= int.MaxValue) break;
                bands.Add((int)band);
                band *= Eta;
            }
        }
        return bands;
    }
}

/// <summary>
/// Optuna's MedianPruner (our extension, <c>early_terminate: {type: median}</c>): stop a run whose best value so far is
/// worse than the median of finished runs at the same step. Defaults are Optuna's.
/// </summary>
public sealed record MedianTermination : EarlyTermination
{
    /// <summary>No run is stopped until this many runs have finished (default 5).</summary>
    public int StartupRuns { get; init; } = 5;
    /// <summary>No run is stopped before this step (default 0).</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Check every this many steps after the warmup (default 1).</summary>
    public int IntervalSteps { get; init; } = 1;
    /// <summary>At least this many finished runs must have reached the step (default 1).</summary>
    public int MinRuns { get; init; } = 1;
}

/// <summary>
/// A sweep definition, read from a W&amp;B sweep file (<see cref="Load"/>, <see cref="Parse"/>) or built in C#:
/// <code>
/// var sweep = new SweepConfig
/// {
///     Method = SearchMethod.Bayes,
///     Metric = new SweepMetric("val/loss"),
///     Parameters = { ["learning_rate"] = Parameter.LogUniformValues(1e-5, 0.1), ["batch_size"] = Parameter.Choices(16, 32, 64) },
/// };
/// </code>
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class SweepConfig
{
    /// <summary>The search method (grid, random, bayes or tpe).</summary>
    public SearchMethod Method { get; init; } = SearchMethod.Random;

    /// <summary>The metric to optimise; required by bayes, tpe and early termination.</summary>
    public SweepMetric? Metric { get; init; }

    /// <summary>Early termination of lagging runs, or null.</summary>
    public EarlyTermination? EarlyTerminate { get; init; }

    /// <summary>At most this many runs in the whole sweep (all agents together).</summary>
    public int? RunCap { get; init; }

    /// <summary>The training program (<c>program: train.py</c>).</summary>
    public string? Program { get; init; }

    /// <summary>The command line template (<c>command: [${env}, python, ${program}, ${args}]</c>).</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>The sweep's display name.</summary>
    public string? Name { get; init; }

    /// <summary>A short description.</summary>
    public string? Description { get; init; }

    /// <summary>The parameters by name (nested groups through <see cref="Parameter.Nested"/>).</summary>
    public Dictionary<string, Parameter> Parameters { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Warnings from reading the file (deprecated distributions, YAML 1.1 numbers read as strings).</summary>
    public IReadOnlyList<SweepConfigError> Warnings { get; init; } = [];

    /// <summary>The file this configuration was read from, if any.</summary>
    public string? File { get; init; }

    /// <summary>Reads a W&amp;B sweep file; throws <see cref="SweepConfigException"/> naming line and column on errors.</summary>
    public static SweepConfig Load(string path) => SweepConfigReader.Read(System.IO.File.ReadAllText(path), path);

    /// <summary>Reads sweep YAML from text; <paramref name="fileName"/> is used in error messages.</summary>
    public static SweepConfig Parse(string yaml, string? fileName = null) => SweepConfigReader.Read(yaml, fileName);

    /// <summary>Throws <see cref="SweepConfigException"/> listing every problem; returns this configuration when valid.</summary>
    public SweepConfig Validate()
    {
        var problems = Problems().ToList();
        return problems.Count == 0 ? this : throw new SweepConfigException(problems);
    }

    /// <summary>The flattened, ordered search space; throws when the configuration is invalid.</summary>
    public SearchSpace Space => space ??= new SearchSpace(Validate().Parameters);
    private SearchSpace? space;

    /// <summary>Every problem, each with the dotted path of the key at fault.</summary>
    internal IEnumerable<SweepConfigError> Problems()
    {
        if (Parameters.Count == 0) yield return new("parameters", "expected at least one parameter");
        if (Metric is { } metric && string.IsNullOrWhiteSpace(metric.Name)) yield return new("metric.name", "expected a metric name");
        if (Metric is null && Method is SearchMethod.Bayes or SearchMethod.Tpe)
            yield return new("metric", $"{Method.ToString().ToLowerInvariant()} search needs a metric: {{name: ..., goal: minimize|maximize}}");
        if (Metric is null && EarlyTerminate is not null) yield return new("early_terminate", "early termination needs a metric to compare runs by");
        if (RunCap is <= 0) yield return new("run_cap", $"expected run_cap > 0, but it is {RunCap}");
        switch (EarlyTerminate)
        {
            case HyperbandTermination h:
                if (h.MinIter is null && (h.MaxIter is null || h.S is null))
                    yield return new("early_terminate", "hyperband needs min_iter, or max_iter together with s");
                else if (h.MinIter is < 1) yield return new("early_terminate.min_iter", "expected min_iter ≥ 1");
                else if (!(h.Eta > 1)) yield return new("early_terminate.eta", $"expected eta > 1, but it is {h.Eta.ToString(CultureInfo.InvariantCulture)}");
                else if (h.Bands().Count == 0)
                    yield return new("early_terminate", "hyperband has no band: increase s or max_iter, or decrease eta");
                break;
            case MedianTermination m:
                if (m.StartupRuns < 0) yield return new("early_terminate.n_startup_trials", "expected n_startup_trials ≥ 0");
                if (m.WarmupSteps < 0) yield return new("early_terminate.n_warmup_steps", "expected n_warmup_steps ≥ 0");
                if (m.IntervalSteps < 1) yield return new("early_terminate.interval_steps", "expected interval_steps ≥ 1");
                if (m.MinRuns < 1) yield return new("early_terminate.n_min_trials", "expected n_min_trials ≥ 1");
                break;
        }

        var flat = new List<(string Name, Parameter Parameter)>();
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var problem in Flatten(Parameters, "", "parameters.", flat, paths)) yield return problem;
        if (flat.Count > 0 && Method is SearchMethod.Bayes or SearchMethod.Tpe && flat.All(p => p.Parameter.IsConstant))
            yield return new("parameters", $"{Method.ToString().ToLowerInvariant()} search needs at least one parameter that is not a constant");
        var byName = flat.ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        SweepConfigError Problem(string name, string field, string message) => ParameterProblem(paths[name], name, field, message);
        foreach (var (name, p) in flat)
        {
            if (Method == SearchMethod.Grid && p.GridValues() is null)
                yield return Problem(name, "distribution",
                    $"grid search enumerates categorical (without probabilities), constant, int_uniform and q_uniform parameters; " +
                    $"{p.Distribution.ToName()} cannot be enumerated (use values: [...] or q_uniform, or method random/bayes/tpe)");
            foreach (var (parent, values) in p.Conditions)
            {
                if (!byName.TryGetValue(parent, out var parentParameter))
                    yield return Problem(name, "when." + parent, $"expected the name of another parameter; there is no parameter {parent}");
                else if (!(parentParameter.IsCategorical || parentParameter.IsConstant))
                    yield return Problem(name, "when." + parent, $"expected a categorical or constant parent; {parent} is {parentParameter.Distribution.ToName()}");
                else if (parent == name) yield return Problem(name, "when." + parent, "a parameter cannot depend on itself");
                else
                {
                    var choices = parentParameter.IsConstant ? [parentParameter.Value] : parentParameter.Choices;
                    foreach (var v in values.Where(v => !choices.Any(c => ParameterValues.KeyOf(c) == ParameterValues.KeyOf(v))))
                        yield return Problem(name, "when." + parent, $"expected one of the values of {parent} ({string.Join(", ", choices.Select(ParameterValues.KeyOf))}), but found {ParameterValues.KeyOf(v)}");
                }
            }
        }
        if (SearchSpace.FindCycle(flat) is { } cycle)
            yield return Problem(cycle[0], "when", $"conditions form a cycle: {string.Join(" → ", cycle)}");
    }

    /// <summary>
    /// Collects the parameters under their W&amp;B names (nested groups joined by dots) and the YAML path of each: a key
    /// <c>training.lr</c> and a group <c>training: {parameters: {lr: ...}}</c> share a name but not a path.
    /// </summary>
    private static IEnumerable<SweepConfigError> Flatten(IReadOnlyDictionary<string, Parameter> parameters, string prefix, string pathPrefix,
        List<(string, Parameter)> flat, Dictionary<string, string> paths)
    {
        foreach (var (key, p) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var name = prefix + key;
            if (p.IsNested)
            {
                foreach (var problem in Flatten(p.Parameters!, name + ".", pathPrefix + key + ".parameters.", flat, paths)) yield return problem;
                continue;
            }
            flat.Add((name, p));
            paths[name] = pathPrefix + key;
            foreach (var (field, message) in p.Validate())
                yield return ParameterProblem(pathPrefix + key, name, field, message);
        }
    }

    private static SweepConfigError ParameterProblem(string path, string name, string field, string message) =>
        new(path + "." + field, message) { Parameter = name, Field = field };

    /// <inheritdoc />
    public override string ToString() =>
        $"SweepConfig(method: {Method.ToString().ToLowerInvariant()}, parameters: {string.Join(", ", Parameters.Keys)})";
}
