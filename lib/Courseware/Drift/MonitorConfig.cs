using System.Globalization;
using Microsoft.Data.Analysis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Courseware.Drift;

/// <summary>One side of a monitor: a data file, optionally cut to the rows whose time is in [From, To).</summary>
/// <param name="Path">Absolute path of a .csv, .json, .parquet or .arrow file.</param>
/// <param name="From">First time kept (inclusive), or null.</param>
/// <param name="To">End of the times kept (exclusive), or null.</param>
/// <param name="Where">Where the YAML names it, for error messages, e.g. <c>monitors.yaml line 4, column 16: monitors[0].reference</c>.</param>
public sealed record MonitorData(string Path, DateTime? From = null, DateTime? To = null, string? Where = null);

/// <summary>
/// A drift monitor: reference data, current data cut into windows, and the drift options; <see cref="RunAsync"/>
/// reads the files and scores every window (<see cref="DriftMonitor.Run"/>).
/// </summary>
/// <param name="Name">Unique name; the <c>monitor</c> label of its metrics.</param>
/// <param name="Reference">Reference data.</param>
/// <param name="Current">Production data.</param>
/// <param name="TimeColumn">Date column used by <c>from</c>/<c>to</c> and calendar windows.</param>
/// <param name="Window">Calendar window of the current data, or null.</param>
/// <param name="WindowRows">Rows per window when not calendar windows; null with no <paramref name="Window"/> means all rows in one window.</param>
/// <param name="Options">Columns, tests, thresholds, drift share.</param>
public sealed record MonitorSpec(string Name, MonitorData Reference, MonitorData Current, string? TimeColumn, WindowSize? Window, int? WindowRows, DriftOptions Options)
{
    /// <summary>The files this monitor reads (to notice when they change).</summary>
    public IReadOnlyList<string> Files => Reference.Path == Current.Path ? [Reference.Path] : [Reference.Path, Current.Path];

    /// <summary>Reads both sides, cuts the current data into windows and scores each against the reference.</summary>
    /// <exception cref="InvalidDataException">A file, column or window problem; the message names the monitor and the YAML field.</exception>
    public async Task<MonitoringResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var reference = await ReadAsync(Reference, "reference", TableReader.Expecting(Options), cancellationToken).ConfigureAwait(false);
        // Read with the reference's types, so a value that does not fit is named with its file, line and column.
        var current = await ReadAsync(Current, "current", TableReader.Like(reference), cancellationToken).ConfigureAwait(false);
        try
        {
            var windows = Window is { } size ? DriftMonitor.Split(current, TimeColumn!, size)
                : DriftMonitor.Split(current, WindowRows ?? (int)Math.Clamp(current.Rows.Count, 1, int.MaxValue));
            return DriftMonitor.Run(reference, windows, Options);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{Current.Where ?? "current"} (monitor '{Name}'): {e.Message}", e);
        }
    }

    private async Task<DataFrame> ReadAsync(MonitorData data, string side, TableReadOptions options, CancellationToken cancellationToken)
    {
        var where = data.Where ?? $"monitor '{Name}' {side}";
        DataFrame frame;
        try
        {
            frame = await TableReader.ReadAsync(data.Path, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidDataException or NotSupportedException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{where}: {e.Message}", e);
        }
        if (data.From is null && data.To is null)
            return frame.Rows.Count > 0 ? frame : throw new InvalidDataException($"{where}: '{data.Path}' has no rows.");
        if (!frame.Columns.Select(c => c.Name).Contains(TimeColumn!))
            throw new InvalidDataException($"{where}: the data has no time column '{TimeColumn}' (columns: {string.Join(", ", frame.Columns.Select(c => c.Name))}).");
        if (frame.Columns[TimeColumn!] is not PrimitiveDataFrameColumn<DateTime> times)
            throw new InvalidDataException($"{where}: column '{TimeColumn}' holds {frame.Columns[TimeColumn!].DataType.Name} values, not dates.");
        var keep = new PrimitiveDataFrameColumn<bool>("keep", times.Select(t => t is { } v && (data.From is null || v >= data.From) && (data.To is null || v < data.To)));
        var rows = frame.Filter(keep);
        return rows.Rows.Count > 0 ? rows
            : throw new InvalidDataException($"{where}: no row of '{data.Path}' has a {TimeColumn} in [{Format(data.From)}, {Format(data.To)}).");
    }

    private static string Format(DateTime? t) => t?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "…";
}

/// <summary>
/// A monitoring file: what <c>courseware server --monitors monitors.yaml</c> scores and serves at <c>/metrics</c>.
/// Paths are relative to the YAML file's folder. Errors name the file, line, column and field.
/// <code>
/// prefix: courseware_drift            # optional: metric name prefix
/// monitors:
///   - name: seattle-weather           # the monitor="..." label
///     reference: { path: ../datasets/vega/seattle-weather.csv, to: 2013-01-01 }
///     current: { path: ../datasets/vega/seattle-weather.csv, from: 2013-01-01 }
///     time_column: date               # needed by from / to and calendar windows
///     window: month                   # day | week | month | a number of rows; default: all rows, one window
///     columns: [temp_max, wind]       # and the test-suite options: drift_share, test, threshold, per_column, ...
/// </code>
/// </summary>
/// <param name="Prefix">Metric name prefix.</param>
/// <param name="Monitors">The monitors, names unique.</param>
public sealed record MonitorConfig(string Prefix, IReadOnlyList<MonitorSpec> Monitors)
{
    /// <summary>The default metric name prefix.</summary>
    public const string DefaultPrefix = "courseware_drift";

    private static readonly string[] TopLevel = ["prefix", "monitors"];
    private static readonly string[] MonitorKeys = ["name", "reference", "current", "time_column", "window"];
    private static readonly string[] DataKeys = ["path", "from", "to"];

    /// <summary>Reads a monitoring file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The YAML is wrong; the message names the file, line, column and field.</exception>
    public static MonitorConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Monitoring file '{path}' does not exist.", path);
        var full = System.IO.Path.GetFullPath(path);
        return Parse(File.ReadAllText(full), System.IO.Path.GetFileName(full), System.IO.Path.GetDirectoryName(full)!);
    }

    /// <summary>Parses YAML text; <paramref name="source"/> names it in errors, data paths are relative to <paramref name="baseFolder"/>.</summary>
    public static MonitorConfig Parse(string yaml, string source, string baseFolder)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new FormatException($"{source} line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e); }
        if (stream.Documents.Count == 0) throw new FormatException($"{source} is empty: expected a mapping with a 'monitors' list.");
        var root = TestSuiteYaml.Mapping(source, stream.Documents[0].RootNode, "expected a mapping with a 'monitors' list at the top level");
        var prefix = DefaultPrefix;
        YamlSequenceNode? list = null;
        foreach (var (keyNode, value) in root.Children)
        {
            switch (TestSuiteYaml.Scalar(source, keyNode))
            {
                case "prefix":
                    prefix = TestSuiteYaml.Scalar(source, value);
                    if (!PrometheusMetrics.IsValidMetricName(prefix))
                        throw TestSuiteYaml.Error(source, value, $"prefix: '{prefix}' is not a Prometheus metric name (letters, digits, '_' or ':', not starting with a digit)");
                    break;
                case "monitors":
                    list = value as YamlSequenceNode ?? throw TestSuiteYaml.Error(source, value, "monitors: expected a list of monitors");
                    break;
                case var other:
                    throw TestSuiteYaml.Error(source, keyNode, $"unknown key '{other}'; expected one of {string.Join(", ", TopLevel)}");
            }
        }
        if (list is null || list.Children.Count == 0) throw TestSuiteYaml.Error(source, root, "missing 'monitors': expected a list with at least one monitor");
        var monitors = new List<MonitorSpec>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var monitor = ParseMonitor(source, baseFolder, list.Children[i], $"monitors[{i}]");
            if (monitors.Any(m => m.Name == monitor.Name))
                throw TestSuiteYaml.Error(source, list.Children[i], $"monitors[{i}].name: '{monitor.Name}' is already the name of another monitor");
            monitors.Add(monitor);
        }
        return new MonitorConfig(prefix, monitors);
    }

    private static MonitorSpec ParseMonitor(string source, string baseFolder, YamlNode node, string field)
    {
        var map = TestSuiteYaml.Mapping(source, node, $"{field}: expected a mapping with name, reference and current");
        var options = new DriftOptionsYaml(source);
        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            var key = TestSuiteYaml.Scalar(source, keyNode);
            if (MonitorKeys.Contains(key)) values[key] = value;
            else if (!options.TryRead(key, value))
                throw TestSuiteYaml.Error(source, keyNode, $"{field}: unknown key '{key}'; expected one of {string.Join(", ", MonitorKeys.Concat(DriftOptionsYaml.Keys))}");
        }
        YamlNode Required(string key) => values.TryGetValue(key, out var v) ? v : throw TestSuiteYaml.Error(source, node, $"{field}: missing '{key}'");
        var name = TestSuiteYaml.Scalar(source, Required("name"));
        if (name.Length == 0) throw TestSuiteYaml.Error(source, values["name"], $"{field}.name: expected a non-empty name");
        var timeColumn = values.TryGetValue("time_column", out var t) ? TestSuiteYaml.Scalar(source, t) : null;
        var reference = ParseData(source, baseFolder, Required("reference"), $"{field}.reference", timeColumn);
        var current = ParseData(source, baseFolder, Required("current"), $"{field}.current", timeColumn);
        WindowSize? window = null;
        int? rows = null;
        if (values.TryGetValue("window", out var w))
        {
            var text = TestSuiteYaml.Scalar(source, w);
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                rows = n > 0 ? n : throw TestSuiteYaml.Error(source, w, $"{field}.window: a window needs at least one row, found {text}");
            else if (Enum.GetNames<WindowSize>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } size)
                window = timeColumn is not null ? Enum.Parse<WindowSize>(size)
                    : throw TestSuiteYaml.Error(source, w, $"{field}.window: '{text}' windows need a 'time_column' to split on");
            else
                throw TestSuiteYaml.Error(source, w, $"{field}.window: expected day, week, month or a number of rows, found '{text}'");
        }
        return new MonitorSpec(name, reference, current, timeColumn, window, rows, options.Build());
    }

    private static MonitorData ParseData(string source, string baseFolder, YamlNode node, string field, string? timeColumn)
    {
        var where = $"{source} line {node.Start.Line}, column {node.Start.Column}: {field}";
        if (node is YamlScalarNode)
            return new MonitorData(Resolve(source, baseFolder, node, field), Where: where);
        var map = TestSuiteYaml.Mapping(source, node, $"{field}: expected a file path or a mapping of path, from, to");
        string? path = null;
        DateTime? from = null, to = null;
        foreach (var (keyNode, value) in map.Children)
        {
            switch (TestSuiteYaml.Scalar(source, keyNode))
            {
                case "path": path = Resolve(source, baseFolder, value, field + ".path"); break;
                case "from": from = Time(source, value, field + ".from", timeColumn); break;
                case "to": to = Time(source, value, field + ".to", timeColumn); break;
                case var other: throw TestSuiteYaml.Error(source, keyNode, $"{field}: unknown key '{other}'; expected one of {string.Join(", ", DataKeys)}");
            }
        }
        if (path is null) throw TestSuiteYaml.Error(source, node, $"{field}: missing 'path'");
        if (from >= to) throw TestSuiteYaml.Error(source, node, $"{field}: 'from' must be before 'to'");
        return new MonitorData(path, from, to, where);
    }

    private static string Resolve(string source, string baseFolder, YamlNode node, string field)
    {
        var text = TestSuiteYaml.Scalar(source, node);
        if (text.Length == 0) throw TestSuiteYaml.Error(source, node, $"{field}: expected a file path");
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(baseFolder, text));
    }

    private static DateTime Time(string source, YamlNode node, string field, string? timeColumn)
    {
        if (timeColumn is null) throw TestSuiteYaml.Error(source, node, $"{field}: 'from' and 'to' need a 'time_column' on the monitor");
        var text = TestSuiteYaml.Scalar(source, node);
        return DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw TestSuiteYaml.Error(source, node, $"{field}: expected a date like 2013-01-01 or 2013-01-01T06:00:00, found '{text}'");
    }
}
