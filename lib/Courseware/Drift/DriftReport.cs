using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Courseware.Notebooks;
using Microsoft.Data.Analysis;

namespace Courseware.Drift;

/// <summary>Per-column choices that override Evidently's defaults.</summary>
/// <param name="Test">Test name (see <see cref="StatTest.Get"/>); null keeps the default choice.</param>
/// <param name="Threshold">Threshold; null keeps the test's default.</param>
/// <param name="Type">Treat the column as this type (for example a numeric code as categorical).</param>
public sealed record ColumnOptions(string? Test = null, double? Threshold = null, ColumnType? Type = null);

/// <summary>Options for <see cref="DriftReport.Compute"/>.</summary>
public sealed record DriftOptions
{
    /// <summary>Dataset drift is declared when the share of drifted columns is at least this (Evidently: 0.5).</summary>
    public double DriftShare { get; init; } = 0.5;

    /// <summary>Columns to test; null tests every reference column except date/time columns.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>Target column: tested like the others and reported as <see cref="DriftReport.TargetDrift"/> (label drift, P(Y)).</summary>
    public string? Target { get; init; }

    /// <summary>Prediction column: reported as <see cref="DriftReport.PredictionDrift"/>.</summary>
    public string? Prediction { get; init; }

    /// <summary>Test for every column (null: Evidently's default per column).</summary>
    public string? Test { get; init; }

    /// <summary>Threshold for every column (null: each test's default).</summary>
    public double? Threshold { get; init; }

    /// <summary>Per-column test, threshold and type; these win over <see cref="Test"/> and <see cref="Threshold"/>.</summary>
    public Dictionary<string, ColumnOptions> PerColumn { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>Summary numbers of one side (reference or current) of a column.</summary>
/// <param name="Count">Rows in the data.</param>
/// <param name="Missing">Missing values (null, NaN or ±∞).</param>
/// <param name="Unique">Distinct non-missing values.</param>
/// <param name="Mean">Mean of the non-missing values (numerical columns).</param>
/// <param name="Std">Sample standard deviation (ddof 1) of the non-missing values (numerical columns).</param>
/// <param name="Min">Smallest value (numerical columns).</param>
/// <param name="Max">Largest value (numerical columns).</param>
public sealed record ColumnSummary(long Count, long Missing, long Unique, double? Mean, double? Std, double? Min, double? Max)
{
    /// <summary>Share of missing values (0 when the data has no rows).</summary>
    public double MissingShare => Count == 0 ? 0 : (double)Missing / Count;
}

/// <summary>The drift verdict for one column.</summary>
public sealed record ColumnDrift
{
    /// <summary>Column name.</summary>
    public required string Name { get; init; }
    /// <summary>How the column was treated.</summary>
    public required ColumnType Type { get; init; }
    /// <summary>"feature", "target" or "prediction".</summary>
    public required string Role { get; init; }
    /// <summary>Reference-side summary.</summary>
    public required ColumnSummary Reference { get; init; }
    /// <summary>Current-side summary.</summary>
    public required ColumnSummary Current { get; init; }
    /// <summary>The test used (null when the column could not be tested).</summary>
    [JsonIgnore] public StatTest? Test { get; init; }
    /// <summary>The test's outcome (null when <see cref="Error"/> says why there is none).</summary>
    public StatTestResult? Result { get; init; }
    /// <summary>Why the column was not tested (for example, all values missing in the current data).</summary>
    public string? Error { get; init; }
    /// <summary>Reference and current shares per bin, for distribution overlays.</summary>
    public Binned? Distribution { get; init; }
    /// <summary>Whether drift was detected.</summary>
    public bool Drifted => Result?.Drifted ?? false;
    /// <summary>The test's name as Evidently spells it.</summary>
    public string? TestName => Test?.Name;
}

/// <summary>
/// Data drift between a reference and a current dataset, Evidently-style: one test per column (Evidently's default
/// choice unless overridden), dataset drift when the share of drifted columns reaches <see cref="DriftOptions.DriftShare"/>.
/// Renders as HTML in a notebook; <see cref="ToJson"/> gives the same numbers.
/// </summary>
/// <example><code>var report = DriftReport.Compute(reference, current); report.DatasetDrift</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class DriftReport
{
    DriftReport(IReadOnlyList<ColumnDrift> columns, long referenceRows, long currentRows, double driftShare, IReadOnlyList<string> warnings)
    {
        Columns = columns;
        ReferenceRows = referenceRows;
        CurrentRows = currentRows;
        DriftShare = driftShare;
        Warnings = warnings;
    }

    /// <summary>Every tested column, in the order of the reference data.</summary>
    public IReadOnlyList<ColumnDrift> Columns { get; }
    /// <summary>Rows in the reference data.</summary>
    public long ReferenceRows { get; }
    /// <summary>Rows in the current data.</summary>
    public long CurrentRows { get; }
    /// <summary>The dataset-drift threshold on the share of drifted columns.</summary>
    public double DriftShare { get; }
    /// <summary>Things the reader should know: columns only in current data, columns that could not be tested.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Columns with a test result (columns with an <see cref="ColumnDrift.Error"/> are left out of the share).</summary>
    public int NumberOfColumns => Columns.Count(c => c.Result is not null);
    /// <summary>Columns where drift was detected.</summary>
    public int NumberOfDriftedColumns => Columns.Count(c => c.Drifted);
    /// <summary>Drifted columns over tested columns.</summary>
    public double ShareOfDriftedColumns => NumberOfColumns == 0 ? 0 : (double)NumberOfDriftedColumns / NumberOfColumns;
    /// <summary>Dataset drift: share of drifted columns ≥ drift share.</summary>
    public bool DatasetDrift => NumberOfColumns > 0 && ShareOfDriftedColumns >= DriftShare;
    /// <summary>Drift of the target column (label drift), when one was named.</summary>
    public ColumnDrift? TargetDrift => Columns.FirstOrDefault(c => c.Role == "target");
    /// <summary>Drift of the prediction column, when one was named.</summary>
    public ColumnDrift? PredictionDrift => Columns.FirstOrDefault(c => c.Role == "prediction");

    /// <summary>The column named <paramref name="name"/>.</summary>
    public ColumnDrift this[string name] => Columns.FirstOrDefault(c => c.Name == name)
        ?? throw new KeyNotFoundException($"The report has no column '{name}' (columns: {string.Join(", ", Columns.Select(c => c.Name))}).");

    /// <summary>Compares <paramref name="current"/> with <paramref name="reference"/> column by column.</summary>
    public static DriftReport Compute(DataFrame reference, DataFrame current, DriftOptions? options = null)
    {
        options ??= new DriftOptions();
        if (reference.Rows.Count == 0) throw new ArgumentException("The reference data has no rows.", nameof(reference));
        if (current.Rows.Count == 0) throw new ArgumentException("The current data has no rows.", nameof(current));
        if (options.DriftShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), options.DriftShare, "DriftShare must be between 0 and 1.");
        var refNames = reference.Columns.Select(c => c.Name).ToList();
        var curNames = current.Columns.Select(c => c.Name).ToHashSet();
        var warnings = new List<string>();

        var names = options.Columns?.ToList() ?? refNames.Where(n => EffectiveType(reference.Columns[n], options, n) != ColumnType.DateTime).ToList();
        foreach (var extra in new[] { options.Target, options.Prediction })
            if (extra is not null && !names.Contains(extra)) names.Add(extra);
        var notInReference = names.Where(n => !refNames.Contains(n)).ToList();
        if (notInReference.Count > 0) throw new ArgumentException($"Column(s) {Quote(notInReference)} are not in the reference data (it has {Quote(refNames)}).");
        var notInCurrent = names.Where(n => !curNames.Contains(n)).ToList();
        if (notInCurrent.Count > 0) throw new ArgumentException($"Column(s) {Quote(notInCurrent)} are in the reference data but missing from the current data.");
        var onlyCurrent = current.Columns.Select(c => c.Name).Where(n => !refNames.Contains(n)).ToList();
        if (onlyCurrent.Count > 0) warnings.Add($"Column(s) {Quote(onlyCurrent)} appear only in the current data and were not tested.");
        foreach (var key in options.PerColumn.Keys.Where(k => !names.Contains(k)))
            throw new ArgumentException($"Options are given for column '{key}', which is not among the tested columns ({Quote(names)}).");

        var columns = new List<ColumnDrift>();
        foreach (var name in names)
        {
            var role = name == options.Target ? "target" : name == options.Prediction ? "prediction" : "feature";
            var column = CompareColumn(name, role, reference.Columns[name], current.Columns[name], options);
            if (column.Error is not null) warnings.Add($"Column '{name}' was not tested: {column.Error}");
            columns.Add(column);
        }
        return new DriftReport(columns, reference.Rows.Count, current.Rows.Count, options.DriftShare, warnings);
    }

    static string Quote(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    static ColumnType EffectiveType(DataFrameColumn column, DriftOptions options, string name) =>
        options.PerColumn.TryGetValue(name, out var o) && o.Type is { } t ? t : TableReader.TypeOf(column);

    static ColumnDrift CompareColumn(string name, string role, DataFrameColumn reference, DataFrameColumn current, DriftOptions options)
    {
        options.PerColumn.TryGetValue(name, out var perColumn);
        var refType = TableReader.TypeOf(reference);
        var curType = TableReader.TypeOf(current);
        var type = perColumn?.Type ?? refType;
        if (perColumn?.Type is null && refType != curType)
            throw new ArgumentException($"Column '{name}' is {refType} in the reference data but {curType} in the current data; give it one type with DriftOptions.PerColumn[\"{name}\"] = new(Type: ColumnType.Categorical).");
        if (type == ColumnType.DateTime)
            throw new ArgumentException($"Column '{name}' holds dates/times, which are not tested for drift; leave it out of DriftOptions.Columns.");

        var r = Sample(reference, type, "reference");
        var c = Sample(current, type, "current");
        var refSummary = Summarize(reference.Length, r);
        var curSummary = Summarize(current.Length, c);
        string? error = r.Count == 0 ? "all values are missing in the reference data"
            : c.Count == 0 ? "all values are missing in the current data" : null;
        if (error is not null)
            return new ColumnDrift { Name = name, Type = type, Role = role, Reference = refSummary, Current = curSummary, Error = error };

        var test = (perColumn?.Test ?? options.Test) is { } testName
            ? StatTest.Get(testName)
            : StatTest.DefaultFor(type, r.Count, UniqueCount(r, c));
        if (test.NumericalOnly && type != ColumnType.Numerical)
            throw new ArgumentException($"Test '{test.Name}' needs a numerical column, but '{name}' is {type}; use chisquare, z, psi, kl_div, jensenshannon or hellinger.");
        double threshold = perColumn?.Threshold ?? options.Threshold ?? test.DefaultThreshold;
        StatTestResult? result = null;
        try { result = test.Run(r, c, threshold); }
        catch (ArgumentException e) { error = $"{test.Name} could not be computed: {e.Message}"; }
        Binned distribution = r.Numbers is not null
            ? Binned.ByEdges(r.Numbers, c.Numbers!, Binned.SturgesEdges(r.Numbers, c.Numbers!), openEnds: false)
            : Binned.Categorical(r.Labels!, c.Labels!, s => s);
        return new ColumnDrift
        {
            Name = name, Type = type, Role = role, Reference = refSummary, Current = curSummary,
            Test = test, Result = result, Error = error, Distribution = distribution,
        };
    }

    /// <summary>Non-missing values of a column as the drift tests see them (numbers sorted, or labels).</summary>
    internal static ColumnSample Sample(DataFrameColumn column, ColumnType type, string side)
    {
        if (type == ColumnType.Numerical)
        {
            var values = new List<double>((int)column.Length);
            if (column is DoubleDataFrameColumn doubles)
            {
                foreach (var v in doubles) if (v is { } d && double.IsFinite(d)) values.Add(d);
            }
            else
            {
                for (long i = 0; i < column.Length; i++)
                {
                    var v = column[i];
                    if (v is null) continue;
                    double d = v switch
                    {
                        string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x
                            : throw new ArgumentException($"Column '{column.Name}' in the {side} data, row {i + 1}: expected a number, found '{s}'."),
                        IConvertible conv when column.DataType != typeof(DateTime) => conv.ToDouble(CultureInfo.InvariantCulture),
                        _ => throw new ArgumentException($"Column '{column.Name}' in the {side} data holds {column.DataType.Name} values, which cannot be read as numbers."),
                    };
                    if (double.IsFinite(d)) values.Add(d);
                }
            }
            var array = values.ToArray();
            Array.Sort(array);
            return new ColumnSample(array, null);
        }
        var labels = new List<string>((int)column.Length);
        for (long i = 0; i < column.Length; i++)
        {
            var v = column[i];
            if (v is null || v is double d && double.IsNaN(d)) continue;
            labels.Add(v switch
            {
                double x => x.ToString("R", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => v.ToString()!,
            });
        }
        return new ColumnSample(null, [.. labels]);
    }

    static long UniqueCount(ColumnSample r, ColumnSample c) => r.Numbers is not null
        ? DriftStats.CountDistinctMerged(r.Numbers, c.Numbers!)
        : r.Labels!.Concat(c.Labels!).Distinct(StringComparer.Ordinal).LongCount();

    static ColumnSummary Summarize(long rows, ColumnSample s)
    {
        long missing = rows - s.Count;
        if (s.Labels is not null) return new ColumnSummary(rows, missing, s.Labels.Distinct(StringComparer.Ordinal).LongCount(), null, null, null, null);
        var x = s.Numbers!;
        if (x.Length == 0) return new ColumnSummary(rows, missing, 0, null, null, null, null);
        double mean = x.Average();
        double std = x.Length > 1 ? Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1)) : 0;
        return new ColumnSummary(rows, missing, Binned.CountDistinctSorted(x), mean, std, x[0], x[^1]);
    }

    // ---- JSON --------------------------------------------------------------------------------------------------

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The report's numbers as a JSON-ready object.</summary>
    public object ToDictionary() => new
    {
        reference_rows = ReferenceRows,
        current_rows = CurrentRows,
        drift_share = DriftShare,
        number_of_columns = NumberOfColumns,
        number_of_drifted_columns = NumberOfDriftedColumns,
        share_of_drifted_columns = ShareOfDriftedColumns,
        dataset_drift = DatasetDrift,
        columns = Columns.Select(c => new
        {
            name = c.Name, type = c.Type, role = c.Role, test = c.TestName,
            statistic = c.Result?.Statistic, p_value = c.Result?.PValue, score = c.Result?.Score,
            threshold = c.Result?.Threshold, drifted = c.Drifted, error = c.Error,
            reference = c.Reference, current = c.Current,
        }),
        warnings = Warnings,
    };

    /// <summary>The report as indented JSON (NaN and ∞ written as "NaN"/"Infinity").</summary>
    public string ToJson() => JsonSerializer.Serialize(ToDictionary(), Json);

    /// <summary>Writes <see cref="ToJson"/> atomically (temp file, then rename).</summary>
    public void SaveJson(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Writes the self-contained HTML report (plotly.js embedded, works offline), optionally with monitoring windows.</summary>
    public void SaveHtml(string path, MonitoringResult? monitoring = null) => AtomicFile.WriteAllText(path, DriftHtml.Document(this, monitoring));

    /// <inheritdoc />
    public override string ToString() =>
        $"Drift: {NumberOfDriftedColumns} of {NumberOfColumns} columns drifted (share {ShareOfDriftedColumns:0.###}, threshold {DriftShare:0.###}) → dataset drift: {DatasetDrift}";
}
