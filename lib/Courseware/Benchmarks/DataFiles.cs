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
    public void Problem(int line, string message)
    {
        var problem = new DataProblem(File, line, message);
        if (strict) throw new BenchmarkDataException($"{problem} (strict mode stops at the first malformed row)", [problem]);
        _problems.Add(problem);
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

    /// <summary>JSON Lines: one object per non-blank line; an unparsable line is a problem.</summary>
    public IEnumerable<(int Line, JsonObject Row)> JsonLines()
    {
        RequireFile(File);
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
            if (node is JsonObject row) yield return (lineNumber, row);
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
