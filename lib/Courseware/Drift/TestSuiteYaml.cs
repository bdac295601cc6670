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
    static readonly string[] TopLevel = ["drift_share", "test", "threshold", "columns", "target", "prediction", "per_column", "tests"];
    static readonly string[] TestKinds = ["share_of_drifted_columns", "number_of_drifted_columns", "column_drift", "mean_in_n_sigmas", "share_of_missing_values"];

    /// <summary>Parses YAML text; <paramref name="source"/> names it in error messages.</summary>
    public static TestSuite Parse(string yaml, string source = "tests.yaml")
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new FormatException($"{source} line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e); }
        if (stream.Documents.Count == 0) throw new FormatException($"{source} is empty: expected a mapping with a 'tests' list.");
        var root = stream.Documents[0].RootNode as YamlMappingNode ?? throw Error(source, stream.Documents[0].RootNode, "expected a mapping at the top level");

        double driftShare = 0.5;
        string? test = null, target = null, prediction = null;
        double? threshold = null;
        List<string>? columns = null;
        var perColumn = new Dictionary<string, ColumnOptions>(StringComparer.Ordinal);
        var tests = new List<SuiteTest>();
        bool sawTests = false;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = Scalar(source, keyNode);
            switch (key)
            {
                case "drift_share": driftShare = Number(source, value, 0, 1); break;
                case "test": test = TestName(source, value); break;
                case "threshold": threshold = Number(source, value); break;
                case "target": target = Scalar(source, value); break;
                case "prediction": prediction = Scalar(source, value); break;
                case "columns":
                    columns = (value as YamlSequenceNode ?? throw Error(source, value, "'columns' must be a list of column names")).Children.Select(c => Scalar(source, c)).ToList();
                    break;
                case "per_column":
                    foreach (var (col, settings) in Mapping(source, value, "'per_column' must map column names to settings").Children)
                        perColumn[Scalar(source, col)] = ColumnSettings(source, settings);
                    break;
                case "tests":
                    sawTests = true;
                    foreach (var item in (value as YamlSequenceNode ?? throw Error(source, value, "'tests' must be a list")).Children)
                        tests.Add(Test(source, item));
                    break;
                default:
                    throw Error(source, keyNode, $"unknown key '{key}'; expected one of {string.Join(", ", TopLevel)}");
            }
        }
        if (!sawTests) throw Error(source, root, "missing 'tests': expected a list of checks");
        var options = new DriftOptions
        {
            DriftShare = driftShare, Test = test, Threshold = threshold, Columns = columns, Target = target, Prediction = prediction, PerColumn = perColumn,
        };
        return new TestSuite(tests, options);
    }

    static ColumnOptions ColumnSettings(string source, YamlNode node)
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

    static string TestName(string source, YamlNode node)
    {
        var name = Scalar(source, node);
        return StatTest.All.Any(t => t.Name == name) ? name
            : throw Error(source, node, $"unknown drift test '{name}'; expected one of {string.Join(", ", StatTest.All.Select(t => t.Name))}");
    }

    static YamlMappingNode Mapping(string source, YamlNode node, string expected) => node as YamlMappingNode ?? throw Error(source, node, expected);

    static string Scalar(string source, YamlNode node) =>
        node is YamlScalarNode { Value: { } v } ? v : throw Error(source, node, "expected a single value");

    static double Number(string source, YamlNode node, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        var text = Scalar(source, node);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) throw Error(source, node, $"expected a number, found '{text}'");
        if (v < min || v > max) throw Error(source, node, $"expected a number between {min} and {max}, found {text}");
        return v;
    }

    static bool Bool(string source, YamlNode node) => Scalar(source, node) switch
    {
        "true" or "True" or "yes" => true,
        "false" or "False" or "no" => false,
        var other => throw Error(source, node, $"expected true or false, found '{other}'"),
    };

    static FormatException Error(string source, YamlNode node, string message) =>
        new($"{source} line {node.Start.Line}, column {node.Start.Column}: {message}.");
}
