using System.Globalization;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Microsoft.Data.Analysis;
using Parquet;
using Parquet.Schema;

namespace Courseware.Drift;

/// <summary>How a column is treated by drift detection.</summary>
public enum ColumnType
{
    /// <summary>Numbers (stored as double; integers, floats and decimals all become numerical).</summary>
    Numerical,
    /// <summary>Labels: strings and booleans.</summary>
    Categorical,
    /// <summary>Timestamps: used to split data into windows, not tested for drift.</summary>
    DateTime,
}

/// <summary>Options for <see cref="TableReader"/>.</summary>
public sealed class TableReadOptions
{
    /// <summary>Types to force per column, overriding inference (for example a numeric code that is really a category).</summary>
    public Dictionary<string, ColumnType> ColumnTypes { get; init; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Types the columns should have where the file has them, such as the reference data's types when reading current
    /// data: a value that does not fit is an error naming the file, line, column and value. Unlike
    /// <see cref="ColumnTypes"/>, a column the file lacks is not an error; <see cref="ColumnTypes"/> wins where both name one.
    /// </summary>
    public Dictionary<string, ColumnType> ExpectedTypes { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Text read as a missing value in CSV and JSON strings (compared exactly).</summary>
    public HashSet<string> MissingValues { get; init; } = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"];
}

/// <summary>
/// Reads CSV, JSON (an array of records), Parquet and Arrow IPC files into Microsoft.Data.Analysis DataFrames with one
/// of three column types (<see cref="ColumnType"/>): numbers become <see cref="DoubleDataFrameColumn"/>, labels
/// <see cref="StringDataFrameColumn"/>, timestamps <c>PrimitiveDataFrameColumn&lt;DateTime&gt;</c>; missing values are nulls.
/// Errors name the file, the line or record, and the column.
/// </summary>
/// <example><code>var weather = await TableReader.ReadAsync("datasets/vega/seattle-weather.csv");</code></example>
public static class TableReader
{
    /// <summary>Reads a table, choosing the format by extension (.csv, .json, .parquet, .arrow/.feather/.ipc).</summary>
    public static async Task<DataFrame> ReadAsync(string path, TableReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TableReadOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        var name = Path.GetFileName(path);
        var frame = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => ReadCsv(await File.ReadAllTextAsync(path, cancellationToken), name, options),
            ".json" => ReadJson(await File.ReadAllBytesAsync(path, cancellationToken), name, options),
            ".parquet" => await ReadParquetAsync(path, name, options, cancellationToken),
            ".arrow" or ".feather" or ".ipc" => await ReadArrowAsync(path, name, options, cancellationToken),
            var ext => throw new NotSupportedException($"'{name}': unsupported extension '{ext}'; expected .csv, .json, .parquet or .arrow."),
        };
        if (frame.Columns.Count == 0) throw new InvalidDataException($"'{name}' has no columns.");
        return frame;
    }

    /// <summary>
    /// Reads both sides of a drift comparison: the reference with the types <paramref name="options"/> gives per column,
    /// the current data with the reference's types. So 'abc' in a column of numbers is reported with its file, line,
    /// column and value, not as a column whose type differs between the sides.
    /// </summary>
    public static async Task<(DataFrame Reference, DataFrame Current)> ReadPairAsync(string reference, string current, DriftOptions? options = null, CancellationToken cancellationToken = default)
    {
        var referenceData = await ReadAsync(reference, Expecting(options), cancellationToken).ConfigureAwait(false);
        var currentData = await ReadAsync(current, Like(referenceData), cancellationToken).ConfigureAwait(false);
        return (referenceData, currentData);
    }

    /// <summary>Options that expect the types <paramref name="options"/> gives per column (<see cref="ColumnOptions.Type"/>).</summary>
    public static TableReadOptions Expecting(DriftOptions? options)
    {
        var read = new TableReadOptions();
        foreach (var (name, column) in options?.PerColumn ?? [])
            if (column.Type is { } type) read.ExpectedTypes[name] = type;
        return read;
    }

    /// <summary>Options that expect each column to have the type it has in <paramref name="reference"/>.</summary>
    public static TableReadOptions Like(DataFrame reference)
    {
        var options = new TableReadOptions();
        foreach (var column in reference.Columns) options.ExpectedTypes[column.Name] = TypeOf(column);
        return options;
    }

    /// <summary>The drift type of a DataFrame column (numbers → numerical, dates → datetime, everything else categorical).</summary>
    public static ColumnType TypeOf(DataFrameColumn column) => column.DataType switch
    {
        var t when t == typeof(DateTime) || t == typeof(DateTimeOffset) => ColumnType.DateTime,
        var t when t == typeof(double) || t == typeof(float) || t == typeof(int) || t == typeof(long) || t == typeof(short)
            || t == typeof(decimal) || t == typeof(byte) || t == typeof(sbyte) || t == typeof(uint) || t == typeof(ulong) || t == typeof(ushort) => ColumnType.Numerical,
        _ => ColumnType.Categorical,
    };

    // ---- CSV ---------------------------------------------------------------------------------------------------

    /// <summary>Parses CSV text (RFC 4180 quoting, first line is the header).</summary>
    public static DataFrame ReadCsv(string text, string source, TableReadOptions? options = null)
    {
        options ??= new TableReadOptions();
        var rows = CsvRecords(text, source).ToList();
        if (rows.Count == 0) throw new InvalidDataException($"'{source}' is empty: expected a header line.");
        var (headerLine, header) = rows[0];
        var duplicate = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"'{source}' line {headerLine}: column '{duplicate.Key}' appears more than once in the header.");
        var cells = header.Select(_ => new List<Cell>(rows.Count)).ToArray();
        foreach (var (line, fields) in rows.Skip(1))
        {
            if (fields.Length == 1 && fields[0].Length == 0) continue; // blank line
            if (fields.Length != header.Length)
                throw new InvalidDataException($"'{source}' line {line}: expected {header.Length} fields as in the header, found {fields.Length}.");
            for (int c = 0; c < header.Length; c++)
                cells[c].Add(options.MissingValues.Contains(fields[c]) ? Cell.Missing(line) : new Cell(fields[c], CellKind.Text, line));
        }
        return Build(header, cells, source, "line", options);
    }

    static IEnumerable<(int Line, string[] Fields)> CsvRecords(string text, string source)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1, i = 0;
        bool quoted = false, any = false;
        while (i < text.Length)
        {
            char ch = text[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                    quoted = false;
                }
                else { if (ch == '\n') line++; field.Append(ch); }
                i++;
                continue;
            }
            switch (ch)
            {
                case '"' when field.Length == 0: quoted = true; any = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); any = true; break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString()); field.Clear();
                    yield return (recordLine, fields.ToArray());
                    fields.Clear(); any = false; line++; recordLine = line;
                    break;
                default: field.Append(ch); any = true; break;
            }
            i++;
        }
        if (quoted) throw new InvalidDataException($"'{source}' line {recordLine}: a quoted field is not closed.");
        if (any || field.Length > 0) { fields.Add(field.ToString()); yield return (recordLine, fields.ToArray()); }
    }

    // ---- JSON --------------------------------------------------------------------------------------------------

    /// <summary>
    /// Parses a JSON array of flat records; a field absent from a record is missing there. Errors name the line of the
    /// value and the record (pandas writes all records on one line).
    /// </summary>
    public static DataFrame ReadJson(ReadOnlySpan<byte> utf8, string source, TableReadOptions? options = null)
    {
        options ??= new TableReadOptions();
        utf8 = utf8[Utf8Lines.BomLength(utf8)..];
        var lines = new Utf8Lines();
        var names = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var records = new List<(int Line, List<(int Column, Cell Cell)> Fields)>();
        var reader = new Utf8JsonReader(utf8);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new InvalidDataException($"'{source}': expected a JSON array of records, found {Kind(reader.TokenType)}.");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                int record = records.Count + 1, line = lines.Line(utf8, reader.TokenStartIndex);
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw new InvalidDataException($"'{source}' line {line} (record {record}): expected an object, found {Kind(reader.TokenType)}.");
                var fields = new List<(int, Cell)>();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    var at = lines.Line(utf8, reader.TokenStartIndex);
                    var cell = reader.TokenType switch
                    {
                        JsonTokenType.Null => Cell.Missing(at, record),
                        JsonTokenType.Number => new Cell(Encoding.UTF8.GetString(reader.ValueSpan), CellKind.Number, at, record),
                        JsonTokenType.True => new Cell("true", CellKind.Boolean, at, record),
                        JsonTokenType.False => new Cell("false", CellKind.Boolean, at, record),
                        JsonTokenType.String => reader.GetString()! is var text && options.MissingValues.Contains(text)
                            ? Cell.Missing(at, record) : new Cell(text, CellKind.Text, at, record),
                        _ => throw new InvalidDataException($"'{source}' line {at} (record {record}), field '{name}': nested {Kind(reader.TokenType)} values are not supported; expected a number, string, boolean or null."),
                    };
                    if (index.TryAdd(name, names.Count)) names.Add(name);
                    fields.Add((index[name], cell));
                }
                records.Add((line, fields));
            }
            reader.Read(); // throws on anything after the array
        }
        catch (JsonException e) { throw new InvalidDataException($"'{source}' is not valid JSON (line {e.LineNumber + 1}): {e.Message}", e); }

        var cells = names.Select(_ => new List<Cell>(records.Count)).ToArray();
        for (int r = 0; r < records.Count; r++)
        {
            var row = new Cell[names.Count];
            for (int c = 0; c < row.Length; c++) row[c] = Cell.Missing(records[r].Line, r + 1);
            foreach (var (c, cell) in records[r].Fields) row[c] = cell;
            for (int c = 0; c < row.Length; c++) cells[c].Add(row[c]);
        }
        return Build([.. names], cells, source, "line", options);
    }

    // Named as JsonValueKind names them.
    static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "Object", JsonTokenType.StartArray => "Array", JsonTokenType.True => "True", JsonTokenType.False => "False",
        JsonTokenType.None => "nothing", var other => other.ToString(),
    };

    // ---- typing shared by CSV and JSON -------------------------------------------------------------------------

    enum CellKind { Missing, Text, Number, Boolean }

    // Position: the line (CSV, JSON) or row (Parquet, Arrow); Record: the JSON record, 0 elsewhere.
    readonly record struct Cell(string Text, CellKind Kind, int Position, int Record = 0)
    {
        public static Cell Missing(int position, int record = 0) => new("", CellKind.Missing, position, record);

        public string Where(string unit) => Record > 0 ? $"{unit} {Position} (record {Record})" : $"{unit} {Position}";
    }

    static readonly string[] DateFormats =
    [
        "yyyy-MM-dd", "yyyy/MM/dd", "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy/MM/dd HH:mm:ss",
        "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
    ];

    // .NET's parser ignores trailing NUL characters ("1\0" is 1); a cell holding one is not a number.
    static bool TryNumber(string s, out double value)
    {
        value = 0;
        return !s.Contains('\0') && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    static bool TryDate(string s, out DateTime value) =>
        DateTime.TryParseExact(s, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out value);

    static DataFrame Build(string[] names, List<Cell>[] cells, string source, string unit, TableReadOptions options)
    {
        foreach (var forced in options.ColumnTypes.Keys.Where(k => !names.Contains(k)))
            throw new ArgumentException($"'{source}': a type is given for column '{forced}', which the file does not have (columns: {string.Join(", ", names)}).");
        var columns = new List<DataFrameColumn>();
        for (int c = 0; c < names.Length; c++)
        {
            var present = cells[c].Where(x => x.Kind != CellKind.Missing).ToList();
            var type = options.ColumnTypes.TryGetValue(names[c], out var t) || options.ExpectedTypes.TryGetValue(names[c], out t)
                ? t : Infer(present, names[c], source, unit);
            columns.Add(type switch
            {
                ColumnType.Numerical => new DoubleDataFrameColumn(names[c], cells[c].Select(x => x.Kind == CellKind.Missing ? (double?)null
                    : TryNumber(x.Text, out var v) ? v
                    : throw new InvalidDataException($"'{source}' {x.Where(unit)}, column '{names[c]}': expected a number, found '{x.Text}'."))),
                ColumnType.DateTime => new PrimitiveDataFrameColumn<DateTime>(names[c], cells[c].Select(x => x.Kind == CellKind.Missing ? (DateTime?)null
                    : TryDate(x.Text, out var d) ? d
                    : throw new InvalidDataException($"'{source}' {x.Where(unit)}, column '{names[c]}': expected a date such as 2012-01-31 or 2001/01/01 00:47, found '{x.Text}'."))),
                _ => new StringDataFrameColumn(names[c], cells[c].Select(x => x.Kind == CellKind.Missing ? null : x.Text)),
            });
        }
        return new DataFrame(columns);
    }

    // A column is numerical when every present value is a number, a date when every value is a date, else categorical.
    // JSON keeps its own kinds: numbers and strings mixed in one field are rejected rather than guessed.
    static ColumnType Infer(List<Cell> present, string name, string source, string unit)
    {
        if (present.Count == 0) return ColumnType.Numerical; // all missing: a numeric column of nulls, reported as empty later
        var kinds = present.Select(x => x.Kind).Distinct().ToList();
        if (kinds.Count > 1)
        {
            var first = present[0];
            var other = present.First(x => x.Kind != first.Kind);
            throw new InvalidDataException($"'{source}' {other.Where(unit)}, column '{name}': found {Describe(other)} where {first.Where(unit)} has {Describe(first)}; give the column a type in TableReadOptions.ColumnTypes to read it anyway.");
        }
        return kinds[0] switch
        {
            CellKind.Number => ColumnType.Numerical,
            CellKind.Boolean => ColumnType.Categorical,
            _ when present.All(x => TryNumber(x.Text, out _)) => ColumnType.Numerical,
            _ when present.All(x => TryDate(x.Text, out _)) => ColumnType.DateTime,
            _ => ColumnType.Categorical,
        };
    }

    static string Describe(Cell cell) => cell.Kind switch
    {
        CellKind.Number => $"the number {cell.Text}", CellKind.Boolean => $"the boolean {cell.Text}", _ => $"the string '{cell.Text}'",
    };

    // ---- Parquet -----------------------------------------------------------------------------------------------

    static async Task<DataFrame> ReadParquetAsync(string path, string source, TableReadOptions options, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: ct);
        var fields = reader.Schema.GetDataFields();
        // One typed list per field (no boxing): numbers, text (strings and booleans) or timestamps.
        var numbers = fields.Select(_ => new List<double?>()).ToArray();
        var texts = fields.Select(_ => new List<string?>()).ToArray();
        var dates = fields.Select(_ => new List<DateTime?>()).ToArray();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            for (int f = 0; f < fields.Length; f++)
            {
                var field = fields[f];
                if (field.IsArray) throw new NotSupportedException($"'{source}', column '{field.Name}': list columns are not supported.");
                var clr = field.ClrType;
                if (IsParquetString(clr)) { var buf = new string?[n]; await group.ReadAsync(field, buf.AsMemory(), cancellationToken: ct); texts[f].AddRange(buf); }
                else if (clr == typeof(double)) await ReadNumbers<double>(group, field, n, numbers[f], v => v, ct);
                else if (clr == typeof(float)) await ReadNumbers<float>(group, field, n, numbers[f], v => v, ct);
                else if (clr == typeof(int)) await ReadNumbers<int>(group, field, n, numbers[f], v => v, ct);
                else if (clr == typeof(long)) await ReadNumbers<long>(group, field, n, numbers[f], v => v, ct);
                else if (clr == typeof(short)) await ReadNumbers<short>(group, field, n, numbers[f], v => v, ct);
                else if (clr == typeof(byte)) await ReadNumbers<byte>(group, field, n, numbers[f], v => v, ct);
                else if (clr == typeof(decimal)) await ReadNumbers<decimal>(group, field, n, numbers[f], v => (double)v, ct);
                else if (clr == typeof(bool)) texts[f].AddRange((await ReadNullable<bool>(group, field, n, ct)).Select(b => b is null ? null : b.Value ? "true" : "false"));
                else if (clr == typeof(DateTime)) dates[f].AddRange(await ReadNullable<DateTime>(group, field, n, ct));
                else if (clr == typeof(DateTimeOffset)) dates[f].AddRange((await ReadNullable<DateTimeOffset>(group, field, n, ct)).Select(d => d?.UtcDateTime));
                else throw new NotSupportedException($"'{source}', column '{field.Name}': Parquet type {clr.Name} is not supported.");
            }
        }
        var columns = new List<DataFrameColumn>();
        for (int f = 0; f < fields.Length; f++)
        {
            var name = fields[f].Name;
            var clr = fields[f].ClrType;
            DataFrameColumn column = IsParquetString(clr) || clr == typeof(bool)
                ? new StringDataFrameColumn(name, texts[f])
                : clr == typeof(DateTime) || clr == typeof(DateTimeOffset)
                    ? new PrimitiveDataFrameColumn<DateTime>(name, dates[f])
                    : new DoubleDataFrameColumn(name, numbers[f]);
            columns.Add(Retype(column, options, source));
        }
        return new DataFrame(columns);
    }

    // Parquet.Net 6 reports UTF-8 columns as ReadOnlyMemory<char>; they read as strings.
    static bool IsParquetString(Type clr) => clr == typeof(string) || clr == typeof(ReadOnlyMemory<char>);

    static async Task ReadNumbers<T>(ParquetRowGroupReader group, DataField field, int n, List<double?> into, Func<T, double> convert, CancellationToken ct) where T : struct
    {
        into.EnsureCapacity(into.Count + n);
        if (field.IsNullable)
        {
            var buf = new T?[n];
            await group.ReadAsync<T>(field, buf.AsMemory(), cancellationToken: ct);
            foreach (var v in buf) into.Add(v is null ? null : convert(v.Value));
        }
        else
        {
            var buf = new T[n];
            await group.ReadAsync<T>(field, buf.AsMemory(), cancellationToken: ct);
            foreach (var v in buf) into.Add(convert(v));
        }
    }

    static async Task<T?[]> ReadNullable<T>(ParquetRowGroupReader group, DataField field, int n, CancellationToken ct) where T : struct
    {
        if (field.IsNullable)
        {
            var buf = new T?[n];
            await group.ReadAsync<T>(field, buf.AsMemory(), cancellationToken: ct);
            return buf;
        }
        var plain = new T[n];
        await group.ReadAsync<T>(field, plain.AsMemory(), cancellationToken: ct);
        return plain.Select(v => (T?)v).ToArray();
    }

    // ---- Arrow -------------------------------------------------------------------------------------------------

    static async Task<DataFrame> ReadArrowAsync(string path, string source, TableReadOptions options, CancellationToken ct)
    {
        var magic = new byte[6];
        await using (var probe = File.OpenRead(path)) _ = await probe.ReadAsync(magic, ct);
        await using var stream = File.OpenRead(path);
        using ArrowStreamReader reader = Encoding.ASCII.GetString(magic) == "ARROW1" ? new ArrowFileReader(stream) : new ArrowStreamReader(stream);
        Schema? schema = null;
        ColumnType[] kinds = [];
        var numbers = new List<List<double?>>();
        var values = new List<List<object?>>();
        while (await reader.ReadNextRecordBatchAsync(ct) is { } batch)
        {
            using (batch)
            {
                if (schema is null)
                {
                    schema = batch.Schema;
                    kinds = schema.FieldsList.Select(f => ArrowKind(f, source)).ToArray();
                    foreach (var _ in kinds) { numbers.Add([]); values.Add([]); }
                }
                for (int f = 0; f < kinds.Length; f++)
                {
                    var array = batch.Column(f);
                    for (int i = 0; i < array.Length; i++)
                    {
                        if (array.IsNull(i)) { if (kinds[f] == ColumnType.Numerical) numbers[f].Add(null); else values[f].Add(null); continue; }
                        switch (array)
                        {
                            case DoubleArray a: numbers[f].Add(a.GetValue(i)); break;
                            case FloatArray a: numbers[f].Add(a.GetValue(i)); break;
                            case Int64Array a: numbers[f].Add(a.GetValue(i)); break;
                            case Int32Array a: numbers[f].Add(a.GetValue(i)); break;
                            case Int16Array a: numbers[f].Add(a.GetValue(i)); break;
                            case Int8Array a: numbers[f].Add(a.GetValue(i)); break;
                            case UInt8Array a: numbers[f].Add(a.GetValue(i)); break;
                            case StringArray a: values[f].Add(a.GetString(i)); break;
                            case BooleanArray a: values[f].Add(a.GetValue(i) == true ? "true" : "false"); break;
                            case TimestampArray a: values[f].Add(a.GetTimestamp(i)?.UtcDateTime); break;
                            case Date32Array a: values[f].Add(a.GetDateTime(i)); break;
                            case Date64Array a: values[f].Add(a.GetDateTime(i)); break;
                        }
                    }
                }
            }
        }
        if (schema is null) throw new InvalidDataException($"'{source}' holds no record batches.");
        var columns = new List<DataFrameColumn>();
        for (int f = 0; f < kinds.Length; f++)
        {
            var name = schema.FieldsList[f].Name;
            DataFrameColumn column = kinds[f] switch
            {
                ColumnType.Numerical => new DoubleDataFrameColumn(name, numbers[f]),
                ColumnType.DateTime => new PrimitiveDataFrameColumn<DateTime>(name, values[f].Cast<DateTime?>()),
                _ => new StringDataFrameColumn(name, values[f].Cast<string?>()),
            };
            columns.Add(Retype(column, options, source));
        }
        return new DataFrame(columns);
    }

    static ColumnType ArrowKind(Apache.Arrow.Field field, string source) => field.DataType.TypeId switch
    {
        Apache.Arrow.Types.ArrowTypeId.Double or Apache.Arrow.Types.ArrowTypeId.Float or Apache.Arrow.Types.ArrowTypeId.Int64
            or Apache.Arrow.Types.ArrowTypeId.Int32 or Apache.Arrow.Types.ArrowTypeId.Int16 or Apache.Arrow.Types.ArrowTypeId.Int8
            or Apache.Arrow.Types.ArrowTypeId.UInt8 => ColumnType.Numerical,
        Apache.Arrow.Types.ArrowTypeId.String or Apache.Arrow.Types.ArrowTypeId.Boolean => ColumnType.Categorical,
        Apache.Arrow.Types.ArrowTypeId.Timestamp or Apache.Arrow.Types.ArrowTypeId.Date32 or Apache.Arrow.Types.ArrowTypeId.Date64 => ColumnType.DateTime,
        _ => throw new NotSupportedException($"'{source}', column '{field.Name}': Arrow type {field.DataType.Name} is not supported."),
    };

    // Type overrides for binary formats: numbers or dates to categories, text to numbers or dates.
    static DataFrameColumn Retype(DataFrameColumn column, TableReadOptions options, string source)
    {
        if (!(options.ColumnTypes.TryGetValue(column.Name, out var wanted) || options.ExpectedTypes.TryGetValue(column.Name, out wanted))
            || TypeOf(column) == wanted) return column;
        var cells = new List<Cell>((int)column.Length);
        for (long i = 0; i < column.Length; i++)
            cells.Add(column[i] switch
            {
                null => Cell.Missing((int)i + 1),
                double d => new Cell(d.ToString("R", CultureInfo.InvariantCulture), CellKind.Text, (int)i + 1),
                DateTime t => new Cell(t.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture), CellKind.Text, (int)i + 1),
                var o => new Cell(o.ToString()!, CellKind.Text, (int)i + 1),
            });
        var forced = new TableReadOptions { ColumnTypes = { [column.Name] = wanted } };
        return Build([column.Name], [cells], source, "row", forced).Columns[0];
    }
}
