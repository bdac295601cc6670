using System.Globalization;
using System.Text.Json;
using Courseware.Notebooks;
using Microsoft.Data.Analysis;

namespace Courseware.Drift;

/// <summary>Outcome of one check in a <see cref="TestSuite"/> (Evidently's statuses).</summary>
public enum TestStatus
{
    /// <summary>The condition holds.</summary>
    Success,
    /// <summary>The condition fails on a critical check.</summary>
    Fail,
    /// <summary>The condition fails on a check marked non-critical.</summary>
    Warning,
    /// <summary>The check could not run (for example its column does not exist).</summary>
    Error,
    /// <summary>The check does not apply (for example a mean check on a categorical column).</summary>
    Skipped,
}

/// <summary>A numeric condition: every bound given must hold (Evidently's lt/lte/gt/gte/eq).</summary>
public sealed record Condition(double? Lt = null, double? Lte = null, double? Gt = null, double? Gte = null, double? Eq = null)
{
    /// <summary>Whether <paramref name="value"/> meets every bound.</summary>
    public bool Holds(double value) =>
        (Lt is null || value < Lt) && (Lte is null || value <= Lte) && (Gt is null || value > Gt) && (Gte is null || value >= Gte) && (Eq is null || value == Eq);

    /// <inheritdoc />
    public override string ToString()
    {
        var parts = new List<string>();
        string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        if (Lt is { } lt) parts.Add($"< {F(lt)}");
        if (Lte is { } lte) parts.Add($"≤ {F(lte)}");
        if (Gt is { } gt) parts.Add($"> {F(gt)}");
        if (Gte is { } gte) parts.Add($"≥ {F(gte)}");
        if (Eq is { } eq) parts.Add($"= {F(eq)}");
        return string.Join(" and ", parts);
    }

    internal void Validate(string check)
    {
        if (Lt is null && Lte is null && Gt is null && Gte is null && Eq is null)
            throw new ArgumentException($"{check} needs a condition: one of lt, lte, gt, gte or eq.");
    }
}

/// <summary>The result of one check.</summary>
/// <param name="Name">Check name, for example "Share of drifted columns".</param>
/// <param name="Status">SUCCESS, FAIL, WARNING, ERROR or SKIPPED.</param>
/// <param name="Description">What was measured and against what, in words.</param>
/// <param name="Column">The column checked, if the check is about one.</param>
/// <param name="Value">The measured value, when there is one.</param>
public sealed record TestResult(string Name, TestStatus Status, string Description, string? Column = null, double? Value = null);

/// <summary>One check of a <see cref="TestSuite"/>; build them with the static factories.</summary>
public sealed class SuiteTest
{
    readonly Func<DriftReport, DataFrame, DataFrame, DriftOptions, (TestStatus Status, string Description, double? Value)> _evaluate;

    SuiteTest(string name, string? column, bool critical, Func<DriftReport, DataFrame, DataFrame, DriftOptions, (TestStatus, string, double?)> evaluate)
    {
        Name = name;
        Column = column;
        Critical = critical;
        _evaluate = evaluate;
    }

    /// <summary>Check name.</summary>
    public string Name { get; }
    /// <summary>The column, for column checks.</summary>
    public string? Column { get; }
    /// <summary>A failing non-critical check reports WARNING instead of FAIL.</summary>
    public bool Critical { get; }

    /// <summary>Share of drifted columns meets the condition (Evidently's TestShareOfDriftedColumns; default lt 0.3).</summary>
    public static SuiteTest ShareOfDriftedColumns(Condition? condition = null, bool critical = true)
    {
        condition ??= new Condition(Lt: 0.3);
        condition.Validate("share_of_drifted_columns");
        return new("Share of drifted columns", null, critical, (report, _, _, _) =>
        {
            var share = report.ShareOfDriftedColumns;
            return (condition.Holds(share) ? TestStatus.Success : TestStatus.Fail,
                $"{report.NumberOfDriftedColumns} of {report.NumberOfColumns} columns drifted: share {Format(share)}, expected {condition}.", share);
        });
    }

    /// <summary>Number of drifted columns meets the condition.</summary>
    public static SuiteTest NumberOfDriftedColumns(Condition condition, bool critical = true)
    {
        condition.Validate("number_of_drifted_columns");
        return new("Number of drifted columns", null, critical, (report, _, _, _) =>
        {
            var n = report.NumberOfDriftedColumns;
            return (condition.Holds(n) ? TestStatus.Success : TestStatus.Fail, $"{n} columns drifted, expected {condition}.", n);
        });
    }

    /// <summary>The column shows no drift by its test (default, or <paramref name="test"/>/<paramref name="threshold"/> when given).</summary>
    public static SuiteTest ColumnDrift(string column, string? test = null, double? threshold = null, bool critical = true)
    {
        if (test is not null) StatTest.Get(test); // unknown names fail when the suite is built, not when it runs
        return new("Column drift", column, critical, (report, reference, current, options) =>
        {
            var drift = test is null && threshold is null ? report[column] : DriftReport.Compute(reference, current, new DriftOptions
            {
                Columns = [column],
                PerColumn = { [column] = new ColumnOptions(test, threshold, options.PerColumn.GetValueOrDefault(column)?.Type) },
            })[column];
            if (drift.Result is null) return (TestStatus.Skipped, $"Column '{column}' was not tested: {drift.Error}", null);
            var r = drift.Result;
            var rule = drift.Test!.IsPValue ? $"p-value {Format(r.Score)} against threshold {Format(r.Threshold)}" : $"{drift.Test.Name} {Format(r.Score)} against threshold {Format(r.Threshold)}";
            return (r.Drifted ? TestStatus.Fail : TestStatus.Success, $"Drift of '{column}' by {drift.Test.DisplayName}: {rule}; {(r.Drifted ? "drift detected" : "no drift")}.", r.Score);
        });
    }

    /// <summary>The current mean lies within reference mean ± n·std (Evidently's TestMeanInNSigmas, n = 2 by default).</summary>
    public static SuiteTest MeanInNSigmas(string column, double nSigmas = 2, bool critical = true) =>
        new("Mean in N sigmas", column, critical, (report, _, _, _) =>
        {
            var c = report[column];
            if (c.Type != ColumnType.Numerical) return (TestStatus.Skipped, $"Column '{column}' is {c.Type}; the mean check needs numbers.", null);
            if (c.Reference.Mean is not { } mean || c.Current.Mean is not { } current)
                return (TestStatus.Skipped, $"Column '{column}' has no values on one side.", null);
            double std = c.Reference.Std ?? 0, lo = mean - nSigmas * std, hi = mean + nSigmas * std;
            return (current >= lo && current <= hi ? TestStatus.Success : TestStatus.Fail,
                $"Mean of '{column}' is {Format(current)}; expected within {Format(nSigmas)}σ of the reference mean {Format(mean)} ± {Format(nSigmas * std)} = [{Format(lo)}, {Format(hi)}].", current);
        });

    /// <summary>Share of missing values of the column in the current data meets the condition (all columns when null).</summary>
    public static SuiteTest ShareOfMissingValues(string? column, Condition condition, bool critical = true)
    {
        condition.Validate("share_of_missing_values");
        return new("Share of missing values", column, critical, (report, _, current, _) =>
        {
            double share = column is null
                ? (double)report.Columns.Sum(c => c.Current.Missing) / Math.Max(1, report.Columns.Sum(c => c.Current.Count))
                : report[column].Current.MissingShare;
            var what = column is null ? "all tested columns" : $"'{column}'";
            return (condition.Holds(share) ? TestStatus.Success : TestStatus.Fail, $"Share of missing values in {what}: {Format(share)}, expected {condition}.", share);
        });
    }

    internal TestResult Evaluate(DriftReport report, DataFrame reference, DataFrame current, DriftOptions options)
    {
        try
        {
            if (Column is not null && report.Columns.All(c => c.Name != Column))
                return new TestResult(Name, TestStatus.Error, $"Column '{Column}' is not among the tested columns ({string.Join(", ", report.Columns.Select(c => c.Name))}).", Column);
            var (status, description, value) = _evaluate(report, reference, current, options);
            if (status == TestStatus.Fail && !Critical) status = TestStatus.Warning;
            return new TestResult(Name, status, description, Column, value);
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            return new TestResult(Name, TestStatus.Error, e.Message, Column);
        }
    }

    static string Format(double v) => Html.FormatNumber(v);
}

/// <summary>
/// A list of checks run against a reference and a current dataset, for CI: <see cref="TestSuiteResult.Failed"/> is true
/// (and <c>courseware drift</c> exits 1) when any check FAILs or ERRORs. Define it in C# or in YAML (<see cref="TestSuiteYaml"/>).
/// </summary>
/// <example><code>new TestSuite([SuiteTest.ShareOfDriftedColumns(), SuiteTest.MeanInNSigmas("wind")]).Run(reference, current)</code></example>
public sealed class TestSuite(IEnumerable<SuiteTest> tests, DriftOptions? options = null)
{
    /// <summary>The checks, in order.</summary>
    public IReadOnlyList<SuiteTest> Tests { get; } = tests.ToList();

    /// <summary>How columns are tested for drift (tests, thresholds, drift share).</summary>
    public DriftOptions Options { get; } = options ?? new DriftOptions();

    /// <summary>Computes the drift report once and evaluates every check on it.</summary>
    public TestSuiteResult Run(DataFrame reference, DataFrame current)
    {
        var report = DriftReport.Compute(reference, current, Options);
        return new TestSuiteResult(report, Tests.Select(t => t.Evaluate(report, reference, current, Options)).ToList());
    }

    /// <summary>Reads a suite from a YAML file (see <see cref="TestSuiteYaml"/> for the format).</summary>
    public static TestSuite Load(string path) =>
        File.Exists(path) ? TestSuiteYaml.Parse(File.ReadAllText(path), Path.GetFileName(path))
        : throw new FileNotFoundException($"Test suite file '{path}' does not exist.", path);
}

/// <summary>The results of a <see cref="TestSuite"/> run, with the drift report they were judged on.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class TestSuiteResult
{
    internal TestSuiteResult(DriftReport report, IReadOnlyList<TestResult> results)
    {
        Report = report;
        Results = results;
    }

    /// <summary>The drift report the checks used.</summary>
    public DriftReport Report { get; }
    /// <summary>One result per check, in order.</summary>
    public IReadOnlyList<TestResult> Results { get; }
    /// <summary>True when any check is FAIL or ERROR (what fails a CI job).</summary>
    public bool Failed => Results.Any(r => r.Status is TestStatus.Fail or TestStatus.Error);
    /// <summary>Counts per status.</summary>
    public IReadOnlyDictionary<TestStatus, int> Summary => Enum.GetValues<TestStatus>().ToDictionary(s => s, s => Results.Count(r => r.Status == s));

    /// <summary>All results and the drift report as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        success = !Failed,
        summary = Summary.ToDictionary(kv => kv.Key.ToString().ToUpperInvariant(), kv => kv.Value),
        tests = Results.Select(r => new { name = r.Name, status = r.Status.ToString().ToUpperInvariant(), description = r.Description, column = r.Column, value = r.Value }),
        drift = Report.ToDictionary(),
    }, DriftReport.Json);

    /// <summary>Writes <see cref="ToJson"/> atomically.</summary>
    public void SaveJson(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", Summary.Where(kv => kv.Value > 0).Select(kv => $"{kv.Value} {kv.Key.ToString().ToUpperInvariant()}"));
}
