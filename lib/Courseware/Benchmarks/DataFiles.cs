using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Courseware.Benchmarks;

/// <summary>
/// Reads benchmark files row by row with the line each row starts on, so a malformed row can be reported as
/// "file:line: what was expected". Policy (the same for every reader): a malformed row is skipped and recorded in
/// <see cref="BenchmarkTask.Problems"/> (the evaluator prints each one and writes them into the results JSON), the rest
/// of the task still runs; a missing file, a file with no readable row, or any bad row under <c>strict</c> fails the
/// task with a <see cref="BenchmarkDataException"/>.
/// </summary>
internal sealed class RowReader(string file, bool strict)
{
    private readonly List<DataProblem> _problems = [];

    public string File { get; } = file;

    public IReadOnlyList<DataProblem> Problems => _problems;

    /// <summary>Records a bad row (or throws under strict).</summary>
    public void Problem(int line, string message) => Problem(new RowAt(line), message);

    /// <summary>Records a bad row (or throws under strict), naming its index when it is an element of a JSON array.</summary>
    public void Problem(RowAt at, string message)
    {
        var problem = new DataProblem(File, at.Line, message) { Index = at.Index };
        if (strict) throw new BenchmarkDataException($"{problem} (strict mode stops at the first malformed row)", [problem]);
        _problems.Add(problem);
    }

    /// <summary>
    /// The documents of a test file and an optional few-shot file, each JSON row made a document by <paramref name="parse"/>
    /// (null for a row it reported through <see cref="Problem(RowAt, string)"/>), with the problems of both files.
    /// </summary>
    public static (List<BenchmarkDocument> Documents, List<BenchmarkDocument> FewShot, IReadOnlyList<DataProblem> Problems) ReadSplits(
        string file, string? trainFile, bool strict, Func<RowReader, RowAt, JsonObject, BenchmarkDocument?> parse)
    {
        var (documents, problems) = ReadDocuments(file, strict, parse);
        var (train, trainProblems) = trainFile is null ? ([], []) : ReadDocuments(trainFile, strict, parse);
        return (documents, train, [.. problems, .. trainProblems]);
    }

    private static (List<BenchmarkDocument>, IReadOnlyList<DataProblem>) ReadDocuments(string file, bool strict, Func<RowReader, RowAt, JsonObject, BenchmarkDocument?> parse)
    {
        var reader = new RowReader(file, strict);
        var documents = new List<BenchmarkDocument>();
        foreach (var (at, row) in reader.JsonRows())
            if (parse(reader, at, row) is { } document) documents.Add(document);
        reader.RequireRows(documents.Count);
        return (documents, reader.Problems);
    }

    /// <summary>Fails when nothing could be read.</summary>
    public void RequireRows(int rows)
    {
        if (rows > 0) return;
        string detail = _problems.Count == 0 ? "the file has no rows" : $"all {_problems.Count} rows are malformed; first: {_problems[0]}";
        throw new BenchmarkDataException($"{File}: no usable benchmark rows ({detail}).", _problems);
    }

    public static void RequireFile(string path)
    {
        if (!System.IO.File.Exists(path)) throw new BenchmarkDataException($"{path}: file not found.");
    }

    /// <summary>
    /// JSON rows in either shape the benchmarks ship in: one JSON array of objects (a '[' first, after any BOM and
    /// whitespace, as TruthfulQA's mc_task.json) or JSON Lines.
    /// </summary>
    public IEnumerable<(RowAt At, JsonObject Row)> JsonRows()
    {
        RequireFile(File);
        return StartsWithBracket() ? JsonArray() : JsonLines();
    }

    private bool StartsWithBracket()
    {
        using var text = new StreamReader(File, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        int c;
        while ((c = text.Read()) >= 0 && char.IsWhiteSpace((char)c)) { }
        return c == '[';
    }

    /// <summary>A JSON array: each element with the line it starts on; a syntax error fails the file (the rest cannot be trusted).</summary>
    private IEnumerable<(RowAt At, JsonObject Row)> JsonArray()
    {
        foreach (var (at, node) in ArrayElements(System.IO.File.ReadAllBytes(File)))
        {
            if (node is JsonObject row) yield return (at, row);
            else Problem(at, "expected a JSON object");
        }
    }

    private List<(RowAt At, JsonNode? Node)> ArrayElements(byte[] bytes)
    {
        var utf8 = bytes.AsSpan(Utf8Lines.BomLength(bytes));
        var lines = new Utf8Lines();
        var elements = new List<(RowAt, JsonNode?)>();
        var reader = new Utf8JsonReader(utf8);
        try
        {
            reader.Read(); // the '['
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                elements.Add((new RowAt(lines.Line(utf8, reader.TokenStartIndex), elements.Count), JsonNode.Parse(ref reader)));
            reader.Read(); // throws on anything after the array
        }
        catch (JsonException e)
        {
            var problem = new DataProblem(File, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON (column {e.BytePositionInLine + 1}): {e.Message}");
            throw new BenchmarkDataException(problem.ToString(), [problem], e);
        }
        return elements;
    }

    /// <summary>JSON Lines: one object per non-blank line; an unparsable line is a problem.</summary>
    private IEnumerable<(RowAt At, JsonObject Row)> JsonLines()
    {
        int lineNumber = 0;
        foreach (string line in System.IO.File.ReadLines(File))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                Problem(lineNumber, $"not valid JSON (column {e.BytePositionInLine + 1}): {e.Message}");
                continue;
            }
            if (node is JsonObject row) yield return (new RowAt(lineNumber), row);
            else Problem(lineNumber, "expected a JSON object");
        }
    }

    /// <summary>RFC 4180 CSV without a header (quoted fields may hold commas, quotes and newlines), as MMLU's original files are written.</summary>
    public IEnumerable<(int Line, List<string> Fields)> CsvRecords()
    {
        RequireFile(File);
        string text = System.IO.File.ReadAllText(File, Encoding.UTF8);
        int i = 0, line = 1;
        while (i < text.Length)
        {
            int start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            bool quoted = false, endOfRecord = false, badQuote = false;
            while (i < text.Length && !endOfRecord)
            {
                char c = text[i];
                if (quoted)
                {
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        quoted = false;
                        i++;
                        continue;
                    }
                    if (c == '\n') line++;
                    field.Append(c);
                    i++;
                    continue;
                }
                switch (c)
                {
                    case '"' when field.Length == 0:
                        quoted = true;
                        break;
                    case '"':
                        badQuote = true;
                        field.Append(c);
                        break;
                    case ',':
                        fields.Add(field.ToString());
                        field.Clear();
                        break;
                    case '\r':
                        break;
                    case '\n':
                        line++;
                        endOfRecord = true;
                        break;
                    default:
                        field.Append(c);
                        break;
                }
                i++;
            }
            fields.Add(field.ToString());
            if (quoted) Problem(start, "a quoted field is never closed (missing '\"')");
            else if (fields.Count == 1 && fields[0].Length == 0) continue;
            else if (badQuote) Problem(start, "a '\"' inside an unquoted field (quote the whole field and double the quote)");
            else yield return (start, fields);
        }
    }
}

/// <summary>Where a row starts: its 1-based line and, for an element of a JSON array, its 0-based index.</summary>
internal readonly record struct RowAt(int Line, int? Index = null)
{
    /// <summary>"12", or "12[3]" for an array element: with the file name, a unique document id.</summary>
    public override string ToString() => Index is { } index ? $"{Line}[{index}]" : Line.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Small helpers to read typed fields out of JSON rows with clear messages.</summary>
internal static class JsonFields
{
    public static string? String(JsonObject row, string name) =>
        row[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    public static List<string>? Strings(JsonNode? node)
    {
        if (node is not JsonArray array) return null;
        var result = new List<string>(array.Count);
        foreach (JsonNode? item in array)
        {
            if (item is JsonValue v && v.TryGetValue(out string? s)) result.Add(s);
            else return null;
        }
        return result;
    }

    /// <summary>An integer given as a JSON number or a string of digits (HF datasets use both for labels).</summary>
    public static int? Integer(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.TryGetValue(out int i)) return i;
        if (v.TryGetValue(out long l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
        if (v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
        if (v.TryGetValue(out string? s) && int.TryParse(s.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int parsed)) return parsed;
        return null;
    }

    public static string Describe(JsonNode? node) => node is null ? "missing" : node.ToJsonString();
}
