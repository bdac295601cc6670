namespace Courseware.Sweeps;

/// <summary>
/// The distributions of a W&amp;B sweep parameter (the <c>distribution:</c> key of a sweep file).
/// </summary>
public enum Distribution
{
    /// <summary><c>constant</c>: always <c>value</c>.</summary>
    Constant,
    /// <summary><c>categorical</c>: one of <c>values</c>, equally likely.</summary>
    Categorical,
    /// <summary><c>categorical_w_probabilities</c>: one of <c>values</c> with the given <c>probabilities</c>.</summary>
    CategoricalWithProbabilities,
    /// <summary><c>int_uniform</c>: an integer in [min, max], both ends included.</summary>
    IntUniform,
    /// <summary><c>uniform</c>: a real number in [min, max].</summary>
    Uniform,
    /// <summary><c>q_uniform</c>: round(uniform(min, max) / q) · q.</summary>
    QUniform,
    /// <summary><c>log_uniform</c> (deprecated): exp(uniform(min, max)); min and max are base-e exponents.</summary>
    LogUniform,
    /// <summary><c>q_log_uniform</c> (deprecated): round(exp(uniform(min, max)) / q) · q; min and max are exponents.</summary>
    QLogUniform,
    /// <summary><c>inv_log_uniform</c> (deprecated): exp(−uniform(min, max)); min and max are exponents.</summary>
    InvLogUniform,
    /// <summary><c>log_uniform_values</c>: log(x) uniform between log(min) and log(max) (learning rates).</summary>
    LogUniformValues,
    /// <summary><c>q_log_uniform_values</c>: log_uniform_values rounded to a multiple of q.</summary>
    QLogUniformValues,
    /// <summary><c>inv_log_uniform_values</c>: log(1/x) uniform; min and max are values.</summary>
    InvLogUniformValues,
    /// <summary><c>normal</c>: Normal(mu, sigma).</summary>
    Normal,
    /// <summary><c>q_normal</c>: round(Normal(mu, sigma) / q) · q.</summary>
    QNormal,
    /// <summary><c>log_normal</c>: exp(Normal(mu, sigma)).</summary>
    LogNormal,
    /// <summary><c>q_log_normal</c>: round(exp(Normal(mu, sigma)) / q) · q.</summary>
    QLogNormal,
    /// <summary><c>beta</c>: Beta(a, b) on [0, 1].</summary>
    Beta,
    /// <summary><c>q_beta</c>: round(Beta(a, b) / q) · q.</summary>
    QBeta,
}

/// <summary>Spelling of each distribution in a sweep file.</summary>
public static class DistributionNames
{
    private static readonly (Distribution Distribution, string Name)[] Names =
    [
        (Distribution.Constant, "constant"),
        (Distribution.Categorical, "categorical"),
        (Distribution.CategoricalWithProbabilities, "categorical_w_probabilities"),
        (Distribution.IntUniform, "int_uniform"),
        (Distribution.Uniform, "uniform"),
        (Distribution.QUniform, "q_uniform"),
        (Distribution.LogUniform, "log_uniform"),
        (Distribution.QLogUniform, "q_log_uniform"),
        (Distribution.InvLogUniform, "inv_log_uniform"),
        (Distribution.LogUniformValues, "log_uniform_values"),
        (Distribution.QLogUniformValues, "q_log_uniform_values"),
        (Distribution.InvLogUniformValues, "inv_log_uniform_values"),
        (Distribution.Normal, "normal"),
        (Distribution.QNormal, "q_normal"),
        (Distribution.LogNormal, "log_normal"),
        (Distribution.QLogNormal, "q_log_normal"),
        (Distribution.Beta, "beta"),
        (Distribution.QBeta, "q_beta"),
    ];

    /// <summary>All names accepted after <c>distribution:</c>.</summary>
    public static IEnumerable<string> All => Names.Select(n => n.Name);

    /// <summary>The sweep-file name, e.g. <c>log_uniform_values</c>.</summary>
    public static string ToName(this Distribution distribution) => Names.First(n => n.Distribution == distribution).Name;

    /// <summary>Parses a sweep-file name; false for an unknown name.</summary>
    public static bool TryParse(string name, out Distribution distribution)
    {
        foreach (var (d, n) in Names)
        {
            if (n == name) { distribution = d; return true; }
        }
        distribution = default;
        return false;
    }

    /// <summary>The distributions whose min/max are base-e exponents (W&amp;B deprecated them).</summary>
    public static bool IsDeprecated(this Distribution d) =>
        d is Distribution.LogUniform or Distribution.QLogUniform or Distribution.InvLogUniform;

    /// <summary>The replacement W&amp;B recommends for a deprecated distribution.</summary>
    internal static Distribution Replacement(this Distribution d) => d switch
    {
        Distribution.LogUniform => Distribution.LogUniformValues,
        Distribution.QLogUniform => Distribution.QLogUniformValues,
        Distribution.InvLogUniform => Distribution.InvLogUniformValues,
        _ => d,
    };

    internal static bool IsQuantized(this Distribution d) => d is Distribution.QUniform or Distribution.QLogUniform
        or Distribution.QLogUniformValues or Distribution.QNormal or Distribution.QLogNormal or Distribution.QBeta;

    internal static bool UsesMinMax(this Distribution d) => d is Distribution.IntUniform or Distribution.Uniform
        or Distribution.QUniform or Distribution.LogUniform or Distribution.QLogUniform or Distribution.InvLogUniform
        or Distribution.LogUniformValues or Distribution.QLogUniformValues or Distribution.InvLogUniformValues;

    internal static bool UsesMuSigma(this Distribution d) => d is Distribution.Normal or Distribution.QNormal
        or Distribution.LogNormal or Distribution.QLogNormal;

    internal static bool UsesAB(this Distribution d) => d is Distribution.Beta or Distribution.QBeta;
}
