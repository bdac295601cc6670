using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Courseware.Drift;

/// <summary>
/// Reads a <see cref="TestSuite"/> from YAML. Errors name the file, line and column and say what was expected.
/// <code>
/// drift_share: 0.5            # optional: dataset drift threshold
/// test: psi                   # optional: one test for every column
/// threshold: 0.2              # optional: one threshold for every column
/// columns: [temp_max, wind]   # optional: columns to test (default: all but dates)
/// target: label               # optional
/// prediction: predicted       # optional
/// per_column:
///   weather: { test: psi, threshold: 0.2, type: categorical }
/// tests:
///   - share_of_drifted_columns: { lt: 0.3 }
///   - number_of_drifted_columns: { lte: 1 }
///   - column_drift: { column: temp_max, test: ks, threshold: 0.01 }
///   - mean_in_n_sigmas: { column: wind, n_sigmas: 2, critical: false }
///   - share_of_missing_values: { column: wind, lte: 0.05 }
/// </code>
/// </summary>
public static class TestSuiteYaml
{
    static readonly string[] TestKinds = ["share_of_drifted_columns", "number_of_drifted_columns", "column_drift", "mean_in_n_sigmas", "share_of_missing_values"];

    /// <summary>Parses YAML text; <paramref name="source"/> names it in error messages.</summary>
    public static TestSuite Parse(string yaml, string source = "tests.yaml")
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new FormatException($"{source} line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e); }
        if (stream.Documents.Count == 0) throw new FormatException($"{source} is empty: expected a mapping with a 'tests' list.");
        var root = stream.Documents[0].RootNode as YamlMappingNode ?? throw Error(source, stream.Documents[0].RootNode, "expected a mapping at the top level");

        var options = new DriftOptionsYaml(source);
        var tests = new List<SuiteTest>();
        bool sawTests = false;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = Scalar(source, keyNode);
            if (key == "tests")
            {
                sawTests = true;
                foreach (var item in (value as YamlSequenceNode ?? throw Error(source, value, "'tests' must be a list")).Children)
                    tests.Add(Test(source, item));
            }
            else if (!options.TryRead(key, value))
                throw Error(source, keyNode, $"unknown key '{key}'; expected one of {string.Join(", ", DriftOptionsYaml.Keys)}, tests");
        }
        if (!sawTests) throw Error(source, root, "missing 'tests': expected a list of checks");
        return new TestSuite(tests, options.Build());
    }

    internal static ColumnOptions ColumnSettings(string source, YamlNode node)
    {
        string? test = null;
        double? threshold = null;
        ColumnType? type = null;
        foreach (var (k, v) in Mapping(source, node, "column settings must be a mapping of test, threshold, type").Children)
        {
            switch (Scalar(source, k))
            {
                case "test": test = TestName(source, v); break;
                case "threshold": threshold = Number(source, v); break;
                case "type":
                    var t = Scalar(source, v);
                    type = Enum.TryParse<ColumnType>(t, ignoreCase: true, out var parsed) && parsed != ColumnType.DateTime ? parsed
                        : throw Error(source, v, $"unknown column type '{t}'; expected numerical or categorical");
                    break;
                default: throw Error(source, k, $"unknown column setting '{Scalar(source, k)}'; expected test, threshold or type");
            }
        }
        return new ColumnOptions(test, threshold, type);
    }

    static SuiteTest Test(string source, YamlNode item)
    {
        var map = Mapping(source, item, $"each test must be a mapping like '- share_of_drifted_columns: {{ lt: 0.3 }}'");
        if (map.Children.Count != 1) throw Error(source, item, "each list item must name exactly one test");
        var (kindNode, argsNode) = map.Children.First();
        var kind = Scalar(source, kindNode);
        var args = argsNode is YamlScalarNode { Value: null or "" } ? new YamlMappingNode() : Mapping(source, argsNode, $"the arguments of '{kind}' must be a mapping");
        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (k, v) in args.Children) values[Scalar(source, k)] = v;

        string[] allowed = kind switch
        {
            "share_of_drifted_columns" or "number_of_drifted_columns" => ["lt", "lte", "gt", "gte", "eq", "critical"],
            "column_drift" => ["column", "test", "threshold", "critical"],
            "mean_in_n_sigmas" => ["column", "n_sigmas", "critical"],
            "share_of_missing_values" => ["column", "lt", "lte", "gt", "gte", "eq", "critical"],
            _ => throw Error(source, kindNode, $"unknown test '{kind}'; expected one of {string.Join(", ", TestKinds)}"),
        };
        foreach (var (k, v) in args.Children)
            if (!allowed.Contains(Scalar(source, k)))
                throw Error(source, k, $"'{kind}' has no argument '{Scalar(source, k)}'; expected {string.Join(", ", allowed)}");

        bool critical = !values.TryGetValue("critical", out var c) || Bool(source, c);
        double? Opt(string name) => values.TryGetValue(name, out var n) ? Number(source, n) : null;
        string Column() => values.TryGetValue("column", out var n) ? Scalar(source, n) : throw Error(source, kindNode, $"'{kind}' needs a 'column'");
        Condition Cond(bool required)
        {
            var cond = new Condition(Opt("lt"), Opt("lte"), Opt("gt"), Opt("gte"), Opt("eq"));
            if (required && cond == new Condition()) throw Error(source, kindNode, $"'{kind}' needs a condition: one of lt, lte, gt, gte or eq");
            return cond;
        }
        var given = Cond(required: false);
        return kind switch
        {
            "share_of_drifted_columns" => SuiteTest.ShareOfDriftedColumns(given == new Condition() ? null : given, critical),
            "number_of_drifted_columns" => SuiteTest.NumberOfDriftedColumns(Cond(required: true), critical),
            "column_drift" => SuiteTest.ColumnDrift(Column(), values.TryGetValue("test", out var t) ? TestName(source, t) : null, Opt("threshold"), critical),
            "mean_in_n_sigmas" => SuiteTest.MeanInNSigmas(Column(), Opt("n_sigmas") ?? 2, critical),
            _ => SuiteTest.ShareOfMissingValues(values.ContainsKey("column") ? Column() : null, Cond(required: true), critical),
        };
    }

    internal static string TestName(string source, YamlNode node)
    {
        var name = Scalar(source, node);
        return StatTest.All.Any(t => t.Name == name) ? name
            : throw Error(source, node, $"unknown drift test '{name}'; expected one of {string.Join(", ", StatTest.All.Select(t => t.Name))}");
    }

    internal static YamlMappingNode Mapping(string source, YamlNode node, string expected) => node as YamlMappingNode ?? throw Error(source, node, expected);

    internal static string Scalar(string source, YamlNode node) =>
        node is YamlScalarNode { Value: { } v } ? v : throw Error(source, node, "expected a single value");

    internal static double Number(string source, YamlNode node, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        var text = Scalar(source, node);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) throw Error(source, node, $"expected a number, found '{text}'");
        if (v < min || v > max) throw Error(source, node, $"expected a number between {min} and {max}, found {text}");
        return v;
    }

    internal static bool Bool(string source, YamlNode node) => Scalar(source, node) switch
    {
        "true" or "True" or "yes" => true,
        "false" or "False" or "no" => false,
        var other => throw Error(source, node, $"expected true or false, found '{other}'"),
    };

    internal static FormatException Error(string source, YamlNode node, string message) =>
        new($"{source} line {node.Start.Line}, column {node.Start.Column}: {message}.");
}

/// <summary>
/// The drift options a YAML mapping may carry (shared by test suites and monitors): drift_share, test, threshold,
/// columns, target, prediction, per_column.
/// </summary>
internal sealed class DriftOptionsYaml(string source)
{
    public static readonly string[] Keys = ["drift_share", "test", "threshold", "columns", "target", "prediction", "per_column"];

    private double _driftShare = 0.5;
    private string? _test, _target, _prediction;
    private double? _threshold;
    private List<string>? _columns;
    private readonly Dictionary<string, ColumnOptions> _perColumn = new(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="key"/> if it is one of <see cref="Keys"/>; false for any other key.</summary>
    public bool TryRead(string key, YamlNode value)
    {
        switch (key)
        {
            case "drift_share": _driftShare = TestSuiteYaml.Number(source, value, 0, 1); return true;
            case "test": _test = TestSuiteYaml.TestName(source, value); return true;
            case "threshold": _threshold = TestSuiteYaml.Number(source, value); return true;
            case "target": _target = TestSuiteYaml.Scalar(source, value); return true;
            case "prediction": _prediction = TestSuiteYaml.Scalar(source, value); return true;
            case "columns":
                _columns = (value as YamlSequenceNode ?? throw TestSuiteYaml.Error(source, value, "'columns' must be a list of column names"))
                    .Children.Select(c => TestSuiteYaml.Scalar(source, c)).ToList();
                return true;
            case "per_column":
                foreach (var (col, settings) in TestSuiteYaml.Mapping(source, value, "'per_column' must map column names to settings").Children)
                    _perColumn[TestSuiteYaml.Scalar(source, col)] = TestSuiteYaml.ColumnSettings(source, settings);
                return true;
            default:
                return false;
        }
    }

    public DriftOptions Build() => new()
    {
        DriftShare = _driftShare, Test = _test, Threshold = _threshold, Columns = _columns, Target = _target, Prediction = _prediction, PerColumn = _perColumn,
    };
}
