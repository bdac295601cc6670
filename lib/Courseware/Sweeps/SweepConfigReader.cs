using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Courseware.Sweeps;

/// <summary>
/// Reads W&amp;B sweep YAML the way wandb does (PyYAML, YAML 1.1 scalar rules) into a <see cref="SweepConfig"/>,
/// collecting every problem with its line and column.
/// </summary>
/// <remarks>
/// The YAML 1.1 trap: PyYAML reads <c>1e-5</c> (no dot) and <c>1.0e5</c> (no exponent sign) as strings; W&amp;B then
/// rejects the file where a number is required (min, max, ...) and hands the string to the run where any value is
/// allowed (values, value). We read such a scalar as the number it looks like and add a warning naming line and
/// column, so the file works here and the reader learns what W&amp;B would do with it.
/// </remarks>
internal sealed partial class SweepConfigReader
{
    private static readonly string[] TopLevelKeys =
        ["program", "method", "metric", "early_terminate", "run_cap", "parameters", "command", "name", "description",
         "entity", "project", "controller", "apiVersion", "kind", "job", "image_uri", "metrics", "scheduler"];

    private static readonly string[] ParameterKeys =
        ["distribution", "value", "values", "probabilities", "min", "max", "q", "mu", "sigma", "a", "b", "parameters", "when"];

    private readonly string? file;
    private readonly List<SweepConfigError> errors = [];
    private readonly List<SweepConfigError> warnings = [];
    private readonly Dictionary<string, Mark> positions = new(StringComparer.Ordinal);
    // YAML path of each parameter (parameters.training.parameters.lr) → its W&B name (training.lr).
    private readonly Dictionary<string, string> parameterNames = new(StringComparer.Ordinal);

    private SweepConfigReader(string? file) => this.file = file;

    public static SweepConfig Read(string yaml, string? file)
    {
        var reader = new SweepConfigReader(file);
        var config = reader.ReadDocument(yaml);
        if (config is not null)
        {
            // A problem on a key whose child already has an error is a follow-on (a parameter left out, say): skip it.
            var errorPaths = reader.errors.Select(e => e.Path).ToList();
            foreach (var problem in config.Problems())
                if (!errorPaths.Any(p => p.StartsWith(problem.Path + ".", StringComparison.Ordinal)))
                    reader.errors.Add(reader.Locate(problem));
        }
        reader.NameParameters(reader.errors);
        reader.NameParameters(reader.warnings);
        if (reader.errors.Count > 0) throw new SweepConfigException(reader.errors);
        return config!;
    }

    private SweepConfig? ReadDocument(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            // YamlDotNet marks a tab at the end of the line before it, or at (1,1): find the tab itself.
            if (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && IndentationTab(yaml) is { } tab)
                Error("", tab, "tab characters are not allowed for indentation in YAML; use spaces");
            else Error("", e.Start, $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
            return null;
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Error("", stream.Documents.Count == 0 ? Mark.Empty : stream.Documents[0].RootNode.Start,
                "expected a mapping with method and parameters at the top of the sweep file");
            return null;
        }
        positions[""] = root.Start;

        SearchMethod method = SearchMethod.Random;
        SweepMetric? metric = null;
        EarlyTermination? early = null;
        int? runCap = null;
        string? program = null, name = null, description = null;
        List<string>? command = null;
        var parameters = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        var sawMethod = false;

        foreach (var (keyNode, value) in root.Children)
        {
            var key = KeyText(keyNode);
            positions[key] = value.Start;
            switch (key)
            {
                case "method":
                    sawMethod = true;
                    var m = String(key, value);
                    if (m is null) break;
                    if (m == "custom") Error(key, value.Start, "method custom (a scheduler of your own) is not implemented; expected grid, random, bayes or tpe");
                    else if (m switch { "grid" => SearchMethod.Grid, "random" => SearchMethod.Random, "bayes" => SearchMethod.Bayes,
                                 "tpe" => SearchMethod.Tpe, _ => (SearchMethod?)null } is { } known) method = known;
                    else Error(key, value.Start, $"unknown method '{m}'; expected grid, random, bayes or tpe");
                    break;
                case "metric": metric = ReadMetric(value); break;
                case "early_terminate": early = ReadEarlyTerminate(value); break;
                case "run_cap": runCap = Integer(key, value); break;
                case "program": program = String(key, value); break;
                case "name": name = String(key, value); break;
                case "description": description = String(key, value); break;
                case "command":
                    if (value is YamlSequenceNode seq) command = seq.Children.Select((c, i) => String($"command[{i}]", c) ?? "").ToList();
                    else Error(key, value.Start, "expected a list, e.g. [${env}, python, ${program}, ${args}]");
                    break;
                case "parameters":
                    if (value is YamlMappingNode pm) parameters = ReadParameters("parameters", "", pm);
                    else Error(key, value.Start, "expected a mapping of parameter names to {values: ...}, {min: ..., max: ...}, ...");
                    break;
                case "metrics" or "scheduler":
                    Error(key, value.Start, $"{key} needs method: custom, which is not implemented; use metric: {{name: ..., goal: ...}}");
                    break;
                case "entity" or "project" or "controller" or "apiVersion" or "kind" or "job" or "image_uri":
                    break; // W&B bookkeeping with no effect on the search
                default:
                    Error(key, keyNode.Start, $"unknown key '{key}'; expected one of {string.Join(", ", TopLevelKeys)}");
                    break;
            }
        }
        if (!sawMethod) Error("method", root.Start, "expected method: grid, random, bayes or tpe (W&B requires it)");

        return new SweepConfig
        {
            Method = method, Metric = metric, EarlyTerminate = early, RunCap = runCap, Program = program, Command = command,
            Name = name, Description = description, Parameters = parameters, Warnings = warnings, File = file,
        };
    }

    private SweepMetric? ReadMetric(YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            Error("metric", node.Start, "expected a mapping {name: ..., goal: minimize|maximize, target: ...}");
            return null;
        }
        string? metricName = null;
        var goal = MetricGoal.Minimize;
        double? target = null;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyText(keyNode);
            var path = "metric." + key;
            positions[path] = value.Start;
            switch (key)
            {
                case "name": metricName = String(path, value); break;
                case "goal":
                    var g = String(path, value);
                    if (g == "minimize") goal = MetricGoal.Minimize;
                    else if (g == "maximize") goal = MetricGoal.Maximize;
                    else if (g is not null) Error(path, value.Start, $"expected minimize or maximize, but found '{g}'");
                    break;
                case "target": target = Number(path, value); break;
                case "impute":
                    if (String(path, value) is { } impute && impute != "worst")
                        Error(path, value.Start, $"only impute: worst (W&B's default) is implemented, but found '{impute}'");
                    break;
                case "impute_while_running":
                    if (Scalar(value) is { } iwr and not false && !(iwr is string s && s == "false"))
                        Error(path, value.Start, $"only impute_while_running: false (W&B's default) is implemented, but found '{ParameterValues.KeyOf(iwr)}'");
                    break;
                default:
                    Error(path, keyNode.Start, $"unknown key '{key}'; expected name, goal, target, impute or impute_while_running");
                    break;
            }
        }
        if (metricName is null)
        {
            Error("metric.name", map.Start, "expected name: the metric to optimise");
            return null;
        }
        return new SweepMetric(metricName, goal, target);
    }

    private EarlyTermination? ReadEarlyTerminate(YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            Error("early_terminate", node.Start, "expected a mapping {type: hyperband, min_iter: 3} or {type: median}");
            return null;
        }
        var typeNode = map.Children.FirstOrDefault(c => KeyText(c.Key) == "type").Value;
        var type = typeNode is null ? null : String("early_terminate.type", typeNode);
        if (type is null)
        {
            if (typeNode is null) Error("early_terminate.type", map.Start, "expected type: hyperband (or median)");
            return null;
        }
        if (type == "hyperband")
        {
            var h = new HyperbandTermination();
            foreach (var (keyNode, value) in map.Children)
            {
                var key = KeyText(keyNode);
                var path = "early_terminate." + key;
                positions[path] = value.Start;
                h = key switch
                {
                    "type" => h,
                    "min_iter" => h with { MinIter = Integer(path, value) },
                    "max_iter" => h with { MaxIter = Integer(path, value) },
                    "s" => h with { S = Number(path, value) },
                    "eta" => h with { Eta = Number(path, value) ?? 3 },
                    "strict" => h with { Strict = Bool(path, value) ?? true },
                    _ => Warn(path, keyNode.Start, $"ignored key '{key}' (W&B drops it too); hyperband reads min_iter, max_iter, s, eta and strict", h),
                };
            }
            return h;
        }
        if (type == "median")
        {
            var m = new MedianTermination();
            foreach (var (keyNode, value) in map.Children)
            {
                var key = KeyText(keyNode);
                var path = "early_terminate." + key;
                positions[path] = value.Start;
                switch (key)
                {
                    case "type": break;
                    case "n_startup_trials": m = m with { StartupRuns = Integer(path, value) ?? m.StartupRuns }; break;
                    case "n_warmup_steps": m = m with { WarmupSteps = Integer(path, value) ?? m.WarmupSteps }; break;
                    case "interval_steps": m = m with { IntervalSteps = Integer(path, value) ?? m.IntervalSteps }; break;
                    case "n_min_trials": m = m with { MinRuns = Integer(path, value) ?? m.MinRuns }; break;
                    default:
                        Error(path, keyNode.Start, $"unknown key '{key}'; median reads n_startup_trials, n_warmup_steps, interval_steps and n_min_trials");
                        break;
                }
            }
            return m;
        }
        Error("early_terminate.type", typeNode!.Start, $"unknown early_terminate type '{type}'; expected hyperband or median");
        return null;
    }

    private Dictionary<string, Parameter> ReadParameters(string path, string namePrefix, YamlMappingNode map)
    {
        var result = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyText(keyNode);
            var p = path + "." + key;
            positions[p] = keyNode.Start;
            parameterNames[p] = namePrefix + key;
            if (!NamePattern().IsMatch(key))
                Error(p, keyNode.Start, "expected a parameter name of letters, digits, _ . - (starting with a letter or _)");
            if (value is not YamlMappingNode pm)
            {
                Error(p, value.Start, $"expected a mapping such as {{values: [...]}}, {{min: ..., max: ...}} or {{value: ...}}, but found {Describe(value)}");
                continue;
            }
            if (ReadParameter(p, namePrefix + key, pm) is { } parameter) result[key] = parameter;
        }
        return result;
    }

    private Parameter? ReadParameter(string path, string parameterName, YamlMappingNode map)
    {
        // A parameter with a structural error is left out, so validation does not pile up follow-on errors.
        var errorsBefore = errors.Count;
        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyText(keyNode);
            positions[path + "." + key] = value.Start;
            if (!ParameterKeys.Contains(key))
            {
                Error(path + "." + key, keyNode.Start, $"unknown key '{key}'; expected one of {string.Join(", ", ParameterKeys)}");
                continue;
            }
            fields[key] = value;
        }
        if (errors.Count > errorsBefore) return null;

        if (fields.TryGetValue("parameters", out var nestedNode))
        {
            foreach (var other in fields.Keys.Where(k => k != "parameters"))
                Error(path + "." + other, fields[other].Start, "a nested group takes only parameters: {...}; put distributions on its children");
            if (nestedNode is not YamlMappingNode nestedMap || nestedMap.Children.Count == 0)
            {
                Error(path + ".parameters", nestedNode.Start, "expected a mapping with at least one child parameter");
                return null;
            }
            var children = ReadParameters(path + ".parameters", parameterName + ".", nestedMap);
            // Every child had an error (already reported): leave the group out rather than fail on an empty one.
            return children.Count == 0 ? null : Parameter.Nested(children);
        }

        Distribution distribution;
        if (fields.TryGetValue("distribution", out var distNode))
        {
            var name = String(path + ".distribution", distNode);
            if (name is null) return null;
            if (!DistributionNames.TryParse(name, out distribution))
            {
                Error(path + ".distribution", distNode.Start, $"unknown distribution '{name}'; expected one of {string.Join(", ", DistributionNames.All)}");
                return null;
            }
            if (distribution.IsDeprecated())
                warnings.Add(new SweepConfigError(path + ".distribution",
                    $"{name} is deprecated at W&B: its min and max are base-e exponents (min: -9.2 means e^-9.2 ≈ 1e-4); " +
                    $"use {distribution.Replacement().ToName()} with the values themselves") { File = file, Line = (int)distNode.Start.Line, Column = (int)distNode.Start.Column });
            if (distribution == Distribution.Categorical && fields.ContainsKey("probabilities"))
            {
                Error(path + ".probabilities", fields["probabilities"].Start,
                    "probabilities need distribution: categorical_w_probabilities (W&B rejects categorical with probabilities)");
                return null;
            }
        }
        else if (fields.ContainsKey("values")) distribution = fields.ContainsKey("probabilities") ? Distribution.CategoricalWithProbabilities : Distribution.Categorical;
        else if (fields.ContainsKey("value")) distribution = Distribution.Constant;
        else if (fields.TryGetValue("min", out var minNode) && fields.TryGetValue("max", out var maxNode))
            distribution = Scalar(minNode) is long && Scalar(maxNode) is long ? Distribution.IntUniform : Distribution.Uniform;
        else
        {
            Error(path, map.Start, "expected values: [...], value: ..., min and max, parameters: {...}, or a distribution");
            return null;
        }

        var allowed = AllowedKeys(distribution);
        foreach (var key in fields.Keys.Where(k => k is not ("distribution" or "when") && !allowed.Contains(k)))
            Error(path + "." + key, fields[key].Start, $"{distribution.ToName()} does not take '{key}'; it takes {string.Join(", ", allowed)}");
        foreach (var key in RequiredKeys(distribution).Where(k => !fields.ContainsKey(k)))
            Error(path + "." + key, map.Start, $"{distribution.ToName()} needs {key}");

        double? Num(string key) => fields.TryGetValue(key, out var n) ? Number(path + "." + key, n) : null;
        if (distribution == Distribution.IntUniform)
            foreach (var key in new[] { "min", "max" })
                if (fields.TryGetValue(key, out var n) && Scalar(n) is double)
                    Error(path + "." + key, n.Start, $"int_uniform needs integer min and max; {((YamlScalarNode)n).Value} is a float (write it without a decimal point)");

        IReadOnlyList<object?>? values = null;
        if (fields.TryGetValue("values", out var valuesNode))
        {
            if (valuesNode is YamlSequenceNode seq) values = seq.Children.Select(c => Value(path + ".values", c)).ToList();
            else Error(path + ".values", valuesNode.Start, $"expected a list of values, but found {Describe(valuesNode)}");
        }
        List<double>? probabilities = null;
        if (fields.TryGetValue("probabilities", out var probNode))
        {
            if (probNode is YamlSequenceNode seq) probabilities = seq.Children.Select((c, i) => Number($"{path}.probabilities[{i}]", c) ?? double.NaN).ToList();
            else Error(path + ".probabilities", probNode.Start, "expected a list of probabilities");
        }
        var qNode = fields.GetValueOrDefault("q");
        var parameter = Parameter.FromParts(distribution,
            fields.TryGetValue("value", out var constant) ? Value(path + ".value", constant) : null,
            values, probabilities, Num("min"), Num("max"), Num("q"), qNode is not null && Scalar(qNode) is long,
            Num("mu"), Num("sigma"), Num("a"), Num("b"),
            fields.TryGetValue("when", out var whenNode) ? ReadWhen(path + ".when", whenNode) : null);
        return errors.Count > errorsBefore ? null : parameter;
    }

    private Dictionary<string, IReadOnlyList<object?>>? ReadWhen(string path, YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            Error(path, node.Start, "expected a mapping of parent parameter to value(s), e.g. when: {optimizer: sgd}");
            return null;
        }
        var when = new Dictionary<string, IReadOnlyList<object?>>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            var parent = KeyText(keyNode);
            positions[path + "." + parent] = value.Start;
            when[parent] = value is YamlSequenceNode seq
                ? seq.Children.Select(c => Value(path + "." + parent, c)).ToList()
                : [Value(path + "." + parent, value)];
        }
        return when;
    }

    private static string[] AllowedKeys(Distribution d) => d switch
    {
        Distribution.Constant => ["value"],
        Distribution.Categorical => ["values"],
        Distribution.CategoricalWithProbabilities => ["values", "probabilities"],
        _ when d.UsesMinMax() => d.IsQuantized() ? ["min", "max", "q"] : ["min", "max"],
        _ when d.UsesMuSigma() => d.IsQuantized() ? ["mu", "sigma", "q"] : ["mu", "sigma"],
        _ => d.IsQuantized() ? ["a", "b", "q"] : ["a", "b"],
    };

    private static string[] RequiredKeys(Distribution d) => d switch
    {
        Distribution.Constant => ["value"],
        Distribution.Categorical => ["values"],
        Distribution.CategoricalWithProbabilities => ["values", "probabilities"],
        _ when d.UsesMinMax() => ["min", "max"],
        _ => [],
    };

    // ---- scalars (YAML 1.1 as PyYAML resolves them) ------------------------------------------------------------

    /// <summary>A scalar resolved like PyYAML's safe_load; a sequence or mapping gives null (use <see cref="Value"/>).</summary>
    private static object? Scalar(YamlNode node) => node is YamlScalarNode s ? Resolve(s, out _) : null;

    /// <summary>Resolves a scalar; <paramref name="trap"/> is true for a number that PyYAML would have read as a string.</summary>
    private static object? Resolve(YamlScalarNode node, out bool trap)
    {
        trap = false;
        var text = node.Value ?? "";
        var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
        if (tag is not null && tag != "?")
        {
            return tag switch
            {
                "tag:yaml.org,2002:float" when TryLenientNumber(text, out var f) => f,
                "tag:yaml.org,2002:int" when TryInt(text, out var i) => i,
                "tag:yaml.org,2002:bool" when TryBool(text, out var b) => b,
                "tag:yaml.org,2002:null" => null,
                _ => text,
            };
        }
        if (node.Style != ScalarStyle.Plain) return text;
        if (text is "" or "~" or "null" or "Null" or "NULL") return null;
        if (TryBool(text, out var boolean)) return boolean;
        if (TryInt(text, out var integer)) return integer;
        if (Yaml11Float().IsMatch(text)) return ParseFloat(text);
        if (TryLenientNumber(text, out var number))
        {
            trap = true;
            return number;
        }
        return text;
    }

    private static bool TryBool(string text, out bool value)
    {
        switch (text)
        {
            case "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON": value = true; return true;
            case "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF": value = false; return true;
            default: value = false; return false;
        }
    }

    private static bool TryInt(string text, out long value)
    {
        value = 0;
        var t = text.Replace("_", "", StringComparison.Ordinal);
        var negative = t.StartsWith('-');
        var body = t.TrimStart('+', '-');
        if (t.Length - body.Length > 1 || body.Length == 0) return false;
        bool ok;
        if (body.StartsWith("0b", StringComparison.Ordinal)) ok = TryBase(body[2..], 2, out value);
        else if (body.StartsWith("0x", StringComparison.Ordinal)) ok = TryBase(body[2..], 16, out value);
        else if (body.Length > 1 && body[0] == '0') ok = TryBase(body[1..], 8, out value);
        else ok = Yaml11Int().IsMatch(text) && long.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (ok && negative) value = -value;
        return ok;
    }

    private static bool TryBase(string digits, int radix, out long value)
    {
        value = 0;
        if (digits.Length == 0) return false;
        foreach (var c in digits)
        {
            var d = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiHexDigit(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (d >= radix) return false;
            value = checked(value * radix + d);
        }
        return true;
    }

    private static double ParseFloat(string text)
    {
        var t = text.Replace("_", "", StringComparison.Ordinal);
        return t.TrimStart('+', '-') switch
        {
            ".inf" or ".Inf" or ".INF" => t.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity,
            ".nan" or ".NaN" or ".NAN" => double.NaN,
            _ => double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
    }

    private static bool TryLenientNumber(string text, out double value)
    {
        value = 0;
        var t = text.Replace("_", "", StringComparison.Ordinal);
        if (Yaml11Float().IsMatch(text)) { value = ParseFloat(text); return true; }
        return Yaml12Number().IsMatch(t) && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    [GeneratedRegex(@"^[-+]?(?:0|[1-9][0-9_]*)$")]
    private static partial Regex Yaml11Int();

    // PyYAML's float resolver: a dot is required, and an exponent needs its sign.
    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")]
    private static partial Regex Yaml11Float();

    // What YAML 1.2 (and a reader of the file) takes for a number.
    [GeneratedRegex(@"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")]
    private static partial Regex Yaml12Number();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();

    // ---- typed accessors that record errors ---------------------------------------------------------------------

    private object? Value(string path, YamlNode node) => node switch
    {
        YamlScalarNode s => Checked(path, s, numberField: false),
        YamlSequenceNode seq => seq.Children.Select(c => Value(path, c)).ToList(),
        YamlMappingNode map => map.Children.ToDictionary(c => KeyText(c.Key), c => Value(path, c.Value)),
        _ => null,
    };

    /// <summary>
    /// Resolves a scalar, warning about the YAML 1.1 trap: W&amp;B's schema rejects a string where it needs a number
    /// (<paramref name="numberField"/>: min, max, ...), but passes a string value (values, value) on to the run as text.
    /// </summary>
    private object? Checked(string path, YamlScalarNode node, bool numberField = true)
    {
        var value = Resolve(node, out var trap);
        if (trap)
            warnings.Add(new SweepConfigError(path,
                $"'{node.Value}' is a string to PyYAML (YAML 1.1 wants a dot and a signed exponent): " +
                (numberField ? "W&B would reject this file" : $"W&B reads the string \"{node.Value}\", so the run gets a string, not a number") +
                $"; read here as {((double)value!).ToString("R", CultureInfo.InvariantCulture)}. Write {Suggest(node.Value!)} to be read the same everywhere")
            { File = file, Line = (int)node.Start.Line, Column = (int)node.Start.Column });
        return value;
    }

    private static string Suggest(string text)
    {
        var m = Regex.Match(text, @"^([-+]?)([0-9]*)(?:\.([0-9]*))?[eE]([-+]?)([0-9]+)$");
        if (!m.Success) return "!!float " + text;
        var mantissa = m.Groups[2].Value.Length == 0 ? "0" : m.Groups[2].Value;
        var fraction = m.Groups[3].Value.Length == 0 ? "0" : m.Groups[3].Value;
        var sign = m.Groups[4].Value.Length == 0 ? "+" : m.Groups[4].Value;
        return $"{m.Groups[1].Value}{mantissa}.{fraction}e{sign}{m.Groups[5].Value}";
    }

    private double? Number(string path, YamlNode node)
    {
        if (node is YamlScalarNode s)
        {
            var v = Checked(path, s);
            if (v is long l) return l;
            if (v is double d) return d;
        }
        Error(path, node.Start, $"expected a number, but found {Describe(node)}");
        return null;
    }

    private int? Integer(string path, YamlNode node)
    {
        if (node is YamlScalarNode s && Checked(path, s) is long l and >= int.MinValue and <= int.MaxValue) return (int)l;
        Error(path, node.Start, $"expected an integer, but found {Describe(node)}");
        return null;
    }

    private bool? Bool(string path, YamlNode node)
    {
        if (node is YamlScalarNode s && Checked(path, s) is bool b) return b;
        Error(path, node.Start, $"expected true or false, but found {Describe(node)}");
        return null;
    }

    private string? String(string path, YamlNode node)
    {
        if (node is YamlScalarNode s && s.Value is { } text) return text;
        Error(path, node.Start, $"expected text, but found {Describe(node)}");
        return null;
    }

    private static string KeyText(YamlNode key) => key is YamlScalarNode s ? s.Value ?? "" : key.ToString();

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => Resolve(s, out _) switch
        {
            null => "nothing (null)",
            string text => $"the text '{text}'",
            bool b => $"the boolean {(b ? "true" : "false")}",
            var v => $"the number {ParameterValues.KeyOf(v)}",
        },
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "something else",
    };

    private void Error(string path, Mark mark, string message) =>
        errors.Add(new SweepConfigError(path, message) { File = file, Line = mark.Line > 0 ? (int)mark.Line : null, Column = mark.Line > 0 ? (int)mark.Column : null });

    private T Warn<T>(string path, Mark mark, string message, T value)
    {
        warnings.Add(new SweepConfigError(path, message) { File = file, Line = (int)mark.Line, Column = (int)mark.Column });
        return value;
    }

    /// <summary>Names the parameter and field of each problem inside the parameters, the way W&amp;B names them.</summary>
    private void NameParameters(List<SweepConfigError> problems)
    {
        for (var i = 0; i < problems.Count; i++)
        {
            if (problems[i].Parameter is not null) continue;
            // The longest parameter path that the problem's path starts with: nested children win over their group.
            var path = problems[i].Path;
            var owner = parameterNames.Keys.Where(k => path == k || path.StartsWith(k + ".", StringComparison.Ordinal)).MaxBy(k => k.Length);
            if (owner is not null)
                problems[i] = problems[i] with { Parameter = parameterNames[owner], Field = path.Length == owner.Length ? "" : path[(owner.Length + 1)..] };
        }
    }

    /// <summary>Where the first tab character in a line's indentation is, if any.</summary>
    private static Mark? IndentationTab(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indentation = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', 0, indentation);
            if (tab >= 0) return new Mark(0, i + 1, tab + 1);
        }
        return null;
    }

    /// <summary>Adds the file position of the key a validation problem names (or of its closest parent).</summary>
    private SweepConfigError Locate(SweepConfigError problem)
    {
        var path = problem.Path;
        while (true)
        {
            if (positions.TryGetValue(path, out var mark))
                return problem with { File = file, Line = (int)mark.Line, Column = (int)mark.Column };
            if (path.Length == 0) return problem with { File = file };
            var cut = path.LastIndexOf('.');
            path = cut < 0 ? "" : path[..cut];
        }
    }
}
