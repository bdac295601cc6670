using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Courseware.Tracking;

/// <summary>
/// MLflow's experiment search filter and order-by, applied to a list of experiments (there are few, so the list is
/// filtered in memory with the same parser as run search). Fields: <c>name</c> (or <c>attributes.name</c>),
/// <c>creation_time</c>, <c>last_update_time</c> (milliseconds) and <c>tags.&lt;key&gt;</c>; strings take
/// <c>= != LIKE ILIKE IN NOT IN</c>, times <c>= != &lt; &lt;= &gt; &gt;=</c>; AND, OR and parentheses combine them.
/// LIKE is case-sensitive, ILIKE is not (<c>%</c> any run of characters, <c>_</c> one). An experiment without the tag
/// never matches a clause on it. Order-by takes name, experiment_id, creation_time, last_update_time with ASC/DESC;
/// without one, experiments stay by name. Errors are <see cref="FilterSyntaxException"/> naming the column.
/// </summary>
/// <example><code>ExperimentSearch.Apply(experiments, "name LIKE 'lab%' AND tags.team = 'nlp'", ["creation_time DESC"])</code></example>
public static class ExperimentSearch
{
    /// <summary>The experiments matching <paramref name="filter"/>, in the order <paramref name="orderBy"/> gives.</summary>
    public static IReadOnlyList<Experiment> Apply(IEnumerable<Experiment> experiments, string? filter = null, IReadOnlyList<string>? orderBy = null)
    {
        var predicate = RunFilterParser.ParseExperimentFilter(filter) is { } node ? Compile(node) : _ => true;
        var clauses = (orderBy ?? []).Where(c => !string.IsNullOrWhiteSpace(c)).Select(RunFilterParser.ParseExperimentOrderBy).ToList();
        var matching = experiments.Where(predicate);
        if (clauses.Count == 0) return matching.ToList();
        IOrderedEnumerable<Experiment>? ordered = null;
        foreach (var clause in clauses)
        {
            ordered = clause.Field.IsNumeric
                ? Then(ordered, matching, e => NumberOf(e, clause.Field.Key), clause.Ascending, Comparer<long>.Default)
                : Then(ordered, matching, e => e.Name, clause.Ascending, StringComparer.Ordinal);
        }
        // MLflow breaks ties by experiment id.
        return ordered!.ThenBy(e => NumberOf(e, "experiment_id")).ToList();
    }

    private static IOrderedEnumerable<Experiment> Then<TKey>(IOrderedEnumerable<Experiment>? ordered, IEnumerable<Experiment> source,
        Func<Experiment, TKey> key, bool ascending, IComparer<TKey> comparer) =>
        (ordered, ascending) switch
        {
            (null, true) => source.OrderBy(key, comparer),
            (null, false) => source.OrderByDescending(key, comparer),
            (_, true) => ordered.ThenBy(key, comparer),
            _ => ordered.ThenByDescending(key, comparer),
        };

    private static long NumberOf(Experiment e, string attribute) => attribute switch
    {
        "creation_time" => e.CreationTime,
        "last_update_time" => e.LastUpdateTime,
        _ => long.TryParse(e.ExperimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : long.MaxValue,
    };

    private static Func<Experiment, bool> Compile(FilterNode node)
    {
        switch (node)
        {
            case FilterAnd and:
            {
                var terms = and.Terms.Select(Compile).ToList();
                return e => terms.All(t => t(e));
            }
            case FilterOr or:
            {
                var terms = or.Terms.Select(Compile).ToList();
                return e => terms.Any(t => t(e));
            }
            case FilterComparison c when c.Field.IsNumeric:
                return e => CompareNumber(NumberOf(e, c.Field.Key), c.Op, (long)c.Value);
            case FilterComparison c:
                return CompileString(c);
            default:
                throw new InvalidOperationException($"Unexpected filter node {node.GetType().Name}.");
        }
    }

    private static Func<Experiment, bool> CompileString(FilterComparison c)
    {
        Func<Experiment, string?> value = c.Field.Kind == FieldKind.Tag ? e => e.Tags.GetValueOrDefault(c.Field.Key) : e => e.Name;
        Func<string, bool> test = c.Op switch
        {
            "=" => v => v == (string)c.Value,
            "!=" => v => v != (string)c.Value,
            "LIKE" => Like((string)c.Value, ignoreCase: false).IsMatch,
            "ILIKE" => Like((string)c.Value, ignoreCase: true).IsMatch,
            "IN" => v => ((List<string>)c.Value).Contains(v),
            "NOT IN" => v => !((List<string>)c.Value).Contains(v),
            var op => throw new InvalidOperationException($"Unexpected operator {op}."),
        };
        return e => value(e) is { } v && test(v);
    }

    private static bool CompareNumber(long v, string op, long x) => op switch
    {
        "=" => v == x,
        "!=" => v != x,
        "<" => v < x,
        "<=" => v <= x,
        ">" => v > x,
        _ => v >= x,
    };

    // SQL LIKE: % is any run of characters, _ exactly one, everything else literal; the whole value must match.
    private static Regex Like(string pattern, bool ignoreCase)
    {
        var regex = new StringBuilder("^");
        foreach (var ch in pattern)
            regex.Append(ch switch { '%' => ".*", '_' => ".", _ => Regex.Escape(ch.ToString()) });
        var options = RegexOptions.Singleline | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        return new Regex(regex.Append('$').ToString(), options);
    }
}
