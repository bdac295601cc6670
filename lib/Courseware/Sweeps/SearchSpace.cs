namespace Courseware.Sweeps;

/// <summary>A parameter of the flattened search space, with its dotted name (<c>head.width</c>).</summary>
public sealed record SpaceParameter(string Name, Parameter Parameter);

/// <summary>
/// The parameters of a sweep flattened to dotted names, sorted by name (as W&amp;B does) except that a conditional
/// parameter always comes after the parameters its condition names.
/// </summary>
public sealed class SearchSpace
{
    private const int EnumerationLimit = 100_000;
    private long? size;
    private bool sizeKnown;

    internal SearchSpace(IReadOnlyDictionary<string, Parameter> parameters)
    {
        var flat = new List<SpaceParameter>();
        Flatten(parameters, "", flat);
        Parameters = Order(flat);
    }

    /// <summary>The parameters in search order.</summary>
    public IReadOnlyList<SpaceParameter> Parameters { get; }

    /// <summary>The parameters the search varies (constants left out).</summary>
    public IEnumerable<SpaceParameter> Searchable => Parameters.Where(p => !p.Parameter.IsConstant);

    /// <summary>True when <paramref name="parameter"/> exists given the values assigned so far (its condition holds).</summary>
    public static bool IsActive(Parameter parameter, IReadOnlyDictionary<string, object?> assigned) =>
        parameter.Conditions.All(w => assigned.TryGetValue(w.Key, out var v)
                                && w.Value.Any(c => ParameterValues.KeyOf(c) == ParameterValues.KeyOf(v)));

    /// <summary>A configuration drawn at random from every active parameter's distribution.</summary>
    public ParameterValues Sample(Random random) => Build((p, _) => p.Parameter.Sample(random));

    /// <summary>
    /// The values <see cref="Sample"/> would draw from the same random state, in search order, without building the
    /// configuration's key: for scoring many candidates of which few are kept.
    /// </summary>
    internal Dictionary<string, object?> SampleValues(Random random) => Assign((p, _) => p.Parameter.Sample(random));

    /// <summary>
    /// Builds a configuration in search order: <paramref name="choose"/> gives the value of each active parameter
    /// (constants get their value); inactive parameters are left out.
    /// </summary>
    internal ParameterValues Build(Func<SpaceParameter, IReadOnlyDictionary<string, object?>, object?> choose) => new(Assign(choose));

    // Only added to, never removed from, so it enumerates in search order.
    private Dictionary<string, object?> Assign(Func<SpaceParameter, IReadOnlyDictionary<string, object?>, object?> choose)
    {
        var assigned = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in Parameters)
        {
            if (!IsActive(p.Parameter, assigned)) continue;
            assigned[p.Name] = p.Parameter.IsConstant ? p.Parameter.Value : choose(p, assigned);
        }
        return assigned;
    }

    /// <summary>
    /// Every combination for a grid search, each once, in W&amp;B's order (itertools.product over the sorted
    /// names: the first parameter changes slowest); a conditional parameter only varies where it exists.
    /// </summary>
    public IEnumerable<ParameterValues> Grid() => Enumerate(p => p.GridValues()
        ?? throw new InvalidOperationException($"grid search cannot enumerate {p.Distribution.ToName()}"));

    /// <summary>The number of distinct configurations when every parameter is discrete and bounded, else null.</summary>
    public long? Size
    {
        get
        {
            if (sizeKnown) return size;
            sizeKnown = true;
            if (Parameters.Any(p => DiscreteSupport(p.Parameter) is null)) return size = null;
            long count = 0;
            foreach (var _ in Enumerate(p => DiscreteSupport(p)!))
                if (++count > EnumerationLimit) return size = null;
            return size = count;
        }
    }

    /// <summary>Every configuration of a discrete, bounded space (see <see cref="Size"/>).</summary>
    internal IEnumerable<ParameterValues> AllDiscrete() => Enumerate(p => DiscreteSupport(p)!);

    /// <summary>
    /// The configuration restricted to this space when it fits (every active parameter present with a possible
    /// value), otherwise null: how results from other sweeps are checked before a warm start uses them.
    /// </summary>
    public ParameterValues? Fit(IReadOnlyDictionary<string, object?> config) => Fit(config, out _);

    /// <summary>As <see cref="Fit(IReadOnlyDictionary{string, object?})"/>, saying why a configuration does not fit.</summary>
    internal ParameterValues? Fit(IReadOnlyDictionary<string, object?> config, out string? whyNot)
    {
        var assigned = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in Parameters)
        {
            if (!IsActive(p.Parameter, assigned)) continue;
            if (!config.TryGetValue(p.Name, out var value))
            {
                whyNot = $"has no param '{p.Name}'";
                return null;
            }
            if (!IsPossible(p.Parameter, value))
            {
                var text = Parameter.Format(value);
                whyNot = $"{p.Name} = {(text.Length > 80 ? text[..80] + "…" : text)} is outside the search space {p.Parameter}";
                return null;
            }
            assigned[p.Name] = value;
        }
        whyNot = null;
        return new ParameterValues(assigned);
    }

    private static bool IsPossible(Parameter p, object? value)
    {
        if (p.IsConstant) return ParameterValues.KeyOf(value) == ParameterValues.KeyOf(p.Value);
        if (p.IsCategorical) return p.IndexOf(value) >= 0;
        var x = Parameter.ToDouble(value);
        if (!double.IsFinite(x)) return false;
        return p.Distribution switch
        {
            Distribution.IntUniform => x == Math.Round(x) && x >= p.Min && x <= p.Max,
            Distribution.Uniform => x >= p.Min && x <= p.Max,
            Distribution.LogUniformValues or Distribution.InvLogUniformValues => x >= p.Min && x <= p.Max,
            Distribution.LogUniform => x >= Math.Exp(p.Min) && x <= Math.Exp(p.Max),
            Distribution.InvLogUniform => x >= Math.Exp(-p.Max) && x <= Math.Exp(-p.Min),
            Distribution.LogNormal => x > 0,
            Distribution.Beta => x is >= 0 and <= 1,
            Distribution.Normal => true,
            _ => IsMultiple(p, x),
        };
    }

    private static bool IsMultiple(Parameter p, double x)
    {
        var k = Math.Round(x / p.Q);
        var (low, high) = p.QSupport();
        return Math.Abs(k * p.Q - x) <= 1e-9 * Math.Max(1, Math.Abs(x)) && k >= low && k <= high;
    }

    /// <summary>The possible values of a discrete, bounded parameter; null for a continuous or unbounded one.</summary>
    internal static IReadOnlyList<object?>? DiscreteSupport(Parameter p)
    {
        if (p.IsConstant) return [p.Value];
        if (p.IsCategorical) return p.Choices;
        if (p.Distribution == Distribution.IntUniform) return p.GridValues();
        if (!p.Distribution.IsQuantized()) return null;
        var (low, high) = p.QSupport();
        if (!double.IsFinite(low) || !double.IsFinite(high) || high - low > EnumerationLimit) return null;
        var values = new List<object?>();
        for (var k = low; k <= high; k++)
            values.Add(p.QValue(k * p.Q));
        return values;
    }

    private IEnumerable<ParameterValues> Enumerate(Func<Parameter, IReadOnlyList<object?>> valuesOf)
    {
        var assigned = new List<KeyValuePair<string, object?>>();
        var lookup = new Dictionary<string, object?>(StringComparer.Ordinal);
        return Recurse(0);

        IEnumerable<ParameterValues> Recurse(int index)
        {
            if (index == Parameters.Count)
            {
                yield return new ParameterValues(assigned.ToList());
                yield break;
            }
            var p = Parameters[index];
            if (!IsActive(p.Parameter, lookup))
            {
                foreach (var c in Recurse(index + 1)) yield return c;
                yield break;
            }
            foreach (var value in valuesOf(p.Parameter))
            {
                assigned.Add(new(p.Name, value));
                lookup[p.Name] = value;
                foreach (var c in Recurse(index + 1)) yield return c;
                assigned.RemoveAt(assigned.Count - 1);
                lookup.Remove(p.Name);
            }
        }
    }

    private static void Flatten(IReadOnlyDictionary<string, Parameter> parameters, string prefix, List<SpaceParameter> flat)
    {
        foreach (var (key, p) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (p.IsNested) Flatten(p.Parameters!, prefix + key + ".", flat);
            else flat.Add(new SpaceParameter(prefix + key, p));
        }
    }

    /// <summary>Sorted by name, each parameter after the parents its condition names (a stable topological order).</summary>
    private static IReadOnlyList<SpaceParameter> Order(List<SpaceParameter> flat)
    {
        var ordered = new List<SpaceParameter>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        var pending = flat.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(p => p.Parameter.Conditions.Keys.All(placed.Contains))
                       ?? throw new InvalidOperationException("parameter conditions form a cycle");
            ordered.Add(next);
            placed.Add(next.Name);
            pending.Remove(next);
        }
        return ordered;
    }

    /// <summary>A cycle among the conditions (names in order, first repeated at the end), or null.</summary>
    internal static IReadOnlyList<string>? FindCycle(IReadOnlyList<(string Name, Parameter Parameter)> flat)
    {
        var parents = flat.ToDictionary(p => p.Name, p => p.Parameter.Conditions.Keys.ToList(), StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        var stack = new List<string>();
        foreach (var name in parents.Keys)
            if (Visit(name) is { } cycle) return cycle;
        return null;

        IReadOnlyList<string>? Visit(string name)
        {
            if (state.TryGetValue(name, out var s))
                return s == 1 ? [.. stack.SkipWhile(n => n != name), name] : null;
            state[name] = 1;
            stack.Add(name);
            foreach (var parent in parents[name].Where(parents.ContainsKey))
                if (Visit(parent) is { } cycle) return cycle;
            stack.RemoveAt(stack.Count - 1);
            state[name] = 2;
            return null;
        }
    }
}
