using Apache.Arrow;
using Apache.Arrow.Ipc;
using Courseware.Drift;
using Microsoft.Data.Analysis;
using Parquet.Serialization;

namespace Courseware.Tests.Drift;

public class TableReaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cw-drift-read-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task SeattleWeatherCsvTypesAreInferred()
    {
        var df = await TableReader.ReadAsync(DriftReportTests.Dataset("seattle-weather.csv"));
        Assert.Equal(1461, df.Rows.Count);
        Assert.Equal(ColumnType.DateTime, TableReader.TypeOf(df.Columns["date"]));
        Assert.Equal(ColumnType.Numerical, TableReader.TypeOf(df.Columns["temp_max"]));
        Assert.Equal(ColumnType.Categorical, TableReader.TypeOf(df.Columns["weather"]));
        Assert.Equal(new DateTime(2012, 1, 1), df.Columns["date"][0]);
        Assert.Equal(12.8, df.Columns["temp_max"][0]);
        Assert.Equal("drizzle", df.Columns["weather"][0]);
    }

    [Fact]
    public async Task FlightsJsonRecords()
    {
        var df = await TableReader.ReadAsync(DriftReportTests.Dataset("flights-20k.json"));
        Assert.Equal(20000, df.Rows.Count);
        Assert.Equal(["date", "delay", "distance", "origin", "destination"], df.Columns.Select(c => c.Name));
        Assert.Equal(new DateTime(2001, 1, 1, 0, 47, 0), df.Columns["date"][0]);
        Assert.Equal(66.0, df.Columns["delay"][0]);
        Assert.Equal("DTW", df.Columns["origin"][0]);
    }

    [Fact]
    public async Task CsvQuotingMissingValuesAndOverrides()
    {
        var path = Write("q.csv", "id,name,score\n1,\"Smith, J\",3.5\n2,\"say \"\"hi\"\"\",NA\n3,,7\n");
        var df = await TableReader.ReadAsync(path, new TableReadOptions { ColumnTypes = { ["id"] = ColumnType.Categorical } });
        Assert.Equal(ColumnType.Categorical, TableReader.TypeOf(df.Columns["id"]));
        Assert.Equal("Smith, J", df.Columns["name"][0]);
        Assert.Equal("say \"hi\"", df.Columns["name"][1]);
        Assert.Null(df.Columns["name"][2]);
        Assert.Null(df.Columns["score"][1]);
        Assert.Equal(1, df.Columns["score"].NullCount);
        Assert.Equal(7.0, df.Columns["score"][2]);
    }

    [Fact]
    public async Task CsvErrorsNameFileLineAndColumn()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(Write("bad.csv", "a,b\n1,2\n3\n")));
        Assert.Equal("'bad.csv' line 3: expected 2 fields as in the header, found 1.", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(
            Write("typed.csv", "a,b\n1,x\n2,y\n"), new TableReadOptions { ColumnTypes = { ["b"] = ColumnType.Numerical } }));
        Assert.Equal("'typed.csv' line 2, column 'b': expected a number, found 'x'.", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(Write("empty.csv", "")));
        Assert.Contains("'empty.csv' is empty", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(Write("open.csv", "a\n\"never closed\n")));
        Assert.Contains("line 2: a quoted field is not closed", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(Write("dup.csv", "a,a\n1,2\n")));
        Assert.Contains("column 'a' appears more than once", e.Message);
        var a = await Assert.ThrowsAsync<ArgumentException>(() => TableReader.ReadAsync(
            Write("ok.csv", "a\n1\n"), new TableReadOptions { ColumnTypes = { ["zz"] = ColumnType.Numerical } }));
        Assert.Contains("column 'zz', which the file does not have", a.Message);
        await Assert.ThrowsAsync<FileNotFoundException>(() => TableReader.ReadAsync(Path.Combine(_dir, "nope.csv")));
        await Assert.ThrowsAsync<NotSupportedException>(() => TableReader.ReadAsync(Write("x.xlsx", "")));
    }

    [Fact]
    public async Task JsonMismatchedTypesAndShapesAreRejected()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(
            Write("mixed.json", "[{\"a\": 1}, {\"a\": 2}, {\"a\": \"three\"}]")));
        Assert.Equal("'mixed.json' line 1 (record 3), column 'a': found the string 'three' where line 1 (record 1) has the number 1; give the column a type in TableReadOptions.ColumnTypes to read it anyway.", e.Message);
        var ok = await TableReader.ReadAsync(Write("mixed2.json", "[{\"a\": 1}, {\"a\": \"three\"}, {\"b\": true}]"),
            new TableReadOptions { ColumnTypes = { ["a"] = ColumnType.Categorical } });
        Assert.Equal("three", ok.Columns["a"][1]);
        Assert.Null(ok.Columns["a"][2]); // field absent from a record
        Assert.Equal("true", ok.Columns["b"][2]);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(Write("obj.json", "{\"a\": 1}")));
        Assert.Contains("expected a JSON array of records", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(Write("nested.json", "[{\"a\": [1, 2]}]")));
        Assert.Contains("line 1 (record 1), field 'a': nested Array", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(Write("broken.json", "[{\"a\": 1,,}]")));
        Assert.Contains("'broken.json' is not valid JSON", e.Message);
    }

    // ---- issue #16: a value that does not fit names file, line, column, value and the type expected -------------

    [Fact]
    public async Task ACurrentValueThatIsNotANumberIsReportedWhereItIs()
    {
        var reference = Write("ref.csv", "x,label\n1.5,a\n2.5,b\n3,c\n");
        var current = Write("cur.csv", "x,label\n1.5,a\n\n\"2\",b\nabc,c\n");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadPairAsync(reference, current));
        Assert.Equal("'cur.csv' line 5, column 'x': expected a number, found 'abc'.", e.Message);

        // JSON: the line of the value, and the record when several share a line.
        var json = Write("cur.json", "[\n  {\"x\": 1.5, \"label\": \"a\"},\n  {\"label\": \"b\",\n   \"x\": \"abc\"}\n]");
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadPairAsync(reference, json));
        Assert.Equal("'cur.json' line 4 (record 2), column 'x': expected a number, found 'abc'.", e.Message);

        // The per-column type a test suite gives wins over the reference's.
        var (_, asLabels) = await TableReader.ReadPairAsync(reference, current,
            new DriftOptions { PerColumn = { ["x"] = new(Type: ColumnType.Categorical) } });
        Assert.Equal("abc", asLabels.Columns["x"][2]);
        // Hostile values: a control character is shown as found; nesting 10 000 deep stops at the first nested value.
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadPairAsync(reference, Write("ctl.csv", "x,label\n1\u0000,a\n")));
        Assert.Equal("'ctl.csv' line 2, column 'x': expected a number, found '1\u0000'.", e.Message);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(
            Write("deep.json", "[{\"x\": " + new string('[', 10_000) + new string(']', 10_000) + "}]")));
        Assert.Contains("'deep.json' line 1 (record 1), field 'x': nested Array", e.Message);

        // Columns only one side has are left to the drift report.
        var (_, extra) = await TableReader.ReadPairAsync(reference, Write("extra.csv", "x,other\n1,q\n"));
        Assert.Equal(ColumnType.Categorical, TableReader.TypeOf(extra.Columns["other"]));
    }

    public sealed class Row
    {
        public double? Value { get; set; }
        public int Count { get; set; }
        public string? Label { get; set; }
        public DateTime When { get; set; }
    }

    [Fact]
    public async Task ParquetColumnsAndNulls()
    {
        var path = Path.Combine(_dir, "t.parquet");
        var rows = Enumerable.Range(0, 5).Select(i => new Row
        {
            Value = i == 2 ? null : i * 1.5, Count = i, Label = i % 2 == 0 ? "even" : "odd", When = new DateTime(2024, 1, 1).AddDays(i),
        }).ToList();
        await ParquetSerializer.SerializeAsync(rows, path);
        var df = await TableReader.ReadAsync(path);
        Assert.Equal(5, df.Rows.Count);
        Assert.Equal(ColumnType.Numerical, TableReader.TypeOf(df.Columns["Value"]));
        Assert.Null(df.Columns["Value"][2]);
        Assert.Equal(4.5, df.Columns["Value"][3]);
        Assert.Equal(3.0, df.Columns["Count"][3]);
        Assert.Equal("odd", df.Columns["Label"][1]);
        Assert.Equal(ColumnType.DateTime, TableReader.TypeOf(df.Columns["When"]));
        var asLabels = await TableReader.ReadAsync(path, new TableReadOptions { ColumnTypes = { ["Count"] = ColumnType.Categorical } });
        Assert.Equal("3", asLabels.Columns["Count"][3]);
    }

    [Fact]
    public async Task ArrowFileColumnsAndNulls()
    {
        var path = Path.Combine(_dir, "t.arrow");
        var batch = new RecordBatch.Builder()
            .Append("x", true, col => col.Double(a => a.Append(1.5).AppendNull().Append(3.0)))
            .Append("n", false, col => col.Int64(a => a.Append(7).Append(8).Append(9)))
            .Append("s", true, col => col.String(a => a.Append("a").AppendNull().Append("c")))
            .Build();
        await using (var stream = File.Create(path))
        using (var writer = new ArrowFileWriter(stream, batch.Schema))
        {
            await writer.WriteRecordBatchAsync(batch);
            await writer.WriteEndAsync();
        }
        var df = await TableReader.ReadAsync(path);
        Assert.Equal(3, df.Rows.Count);
        Assert.Equal(1.5, df.Columns["x"][0]);
        Assert.Null(df.Columns["x"][1]);
        Assert.Equal(9.0, df.Columns["n"][2]);
        Assert.Null(df.Columns["s"][1]);
        Assert.Equal(ColumnType.Categorical, TableReader.TypeOf(df.Columns["s"]));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => TableReader.ReadAsync(
            path, new TableReadOptions { ColumnTypes = { ["s"] = ColumnType.Numerical } }));
        Assert.Equal("'t.arrow' row 1, column 's': expected a number, found 'a'.", e.Message);
    }
}
