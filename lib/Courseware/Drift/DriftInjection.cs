using Microsoft.Data.Analysis;

namespace Courseware.Drift;

/// <summary>
/// Controlled drift for experiments: each method returns a copy of the data with one column changed, so a test's
/// sensitivity can be measured (how large a shift does KS, PSI or Wasserstein notice?).
/// </summary>
/// <example><code>var shifted = DriftInjection.Shift(current, "temp_max", 1.5);</code></example>
public static class DriftInjection
{
    /// <summary>Adds <paramref name="amount"/> to every value of a numerical column (a change of location).</summary>
    public static DataFrame Shift(DataFrame data, string column, double amount) =>
        MapNumbers(data, column, values => values.Select(v => v + amount));

    /// <summary>Multiplies each value's distance from the column mean by <paramref name="factor"/> (a change of spread, same mean).</summary>
    public static DataFrame Scale(DataFrame data, string column, double factor) =>
        MapNumbers(data, column, values =>
        {
            var present = values.Where(v => v is not null).Select(v => v!.Value).ToList();
            double mean = present.Count == 0 ? 0 : present.Average();
            return values.Select(v => mean + (v - mean) * factor);
        });

    /// <summary>Makes round(share · rows) randomly chosen values of the column missing (seeded, reproducible).</summary>
    public static DataFrame AddMissing(DataFrame data, string column, double share, int seed = 0)
    {
        var rows = Pick(data, column, share, seed);
        var copy = data.Clone();
        var target = copy.Columns[column];
        foreach (var i in rows) target[i] = null;
        return copy;
    }

    /// <summary>Replaces round(share · rows) randomly chosen values of a column with <paramref name="value"/> (for example a new category).</summary>
    public static DataFrame Replace(DataFrame data, string column, double share, object value, int seed = 0)
    {
        var rows = Pick(data, column, share, seed);
        var copy = data.Clone();
        var target = copy.Columns[column];
        var typed = target is StringDataFrameColumn ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)
            : target is DoubleDataFrameColumn ? Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) : value;
        foreach (var i in rows) target[i] = typed;
        return copy;
    }

    static DataFrame MapNumbers(DataFrame data, string column, Func<IReadOnlyList<double?>, IEnumerable<double?>> map)
    {
        var source = Column(data, column);
        if (source is not DoubleDataFrameColumn numbers)
            throw new ArgumentException($"Column '{column}' holds {source.DataType.Name} values; shifting and scaling need a numerical column.", nameof(column));
        var copy = data.Clone();
        var index = copy.Columns.IndexOf(column);
        copy.Columns[index] = new DoubleDataFrameColumn(column, map(numbers.ToList()));
        return copy;
    }

    static long[] Pick(DataFrame data, string column, double share, int seed)
    {
        Column(data, column);
        if (share is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(share), share, "The share of rows must be between 0 and 1.");
        long n = data.Rows.Count;
        var order = Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
        new Random(seed).Shuffle(order);
        return order[..(int)Math.Round(share * n)];
    }

    static DataFrameColumn Column(DataFrame data, string column) =>
        data.Columns.Select(c => c.Name).Contains(column) ? data.Columns[column]
        : throw new ArgumentException($"The data has no column '{column}' (columns: {string.Join(", ", data.Columns.Select(c => c.Name))}).", nameof(column));
}
