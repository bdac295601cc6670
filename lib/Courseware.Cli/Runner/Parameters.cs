using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Courseware.Cli.Runner;

/// <summary>
/// Papermill-style parameters: the values go, as typed C# declarations, into a new cell tagged
/// <c>injected-parameters</c> right after the cell tagged <c>parameters</c> (or first, when there is none).
/// A name declared with an explicit type in the parameters cell keeps that type; otherwise the literal's
/// type is inferred (bool, int, long, double, else string).
/// </summary>
public static partial class Parameters
{
    /// <summary>The tag of the cell this class inserts (papermill's name).</summary>
    public const string InjectedTag = "injected-parameters";

    /// <summary>Parses `name=value` pairs (from -p options). Throws <see cref="ArgumentException"/> naming the bad pair.</summary>
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string> pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            var name = eq > 0 ? pair[..eq].Trim() : "";
            if (!Identifier().IsMatch(name))
                throw new ArgumentException($"parameter '{pair}': expected name=value with a C# identifier as name");
            result[name] = pair[(eq + 1)..];
        }
        return result;
    }

    /// <summary>Inserts the injected-parameters cell; returns a warning when the notebook has no parameters cell.</summary>
    public static string? Inject(NotebookDocument notebook, IReadOnlyDictionary<string, string> values)
    {
        if (values.Count == 0) return null;
        var cells = notebook.Cells;
        var parametersIndex = -1;
        for (var i = 0; i < cells.Count; i++)
            if (NotebookDocument.TagsOf((JsonObject)cells[i]!).Contains("parameters")) { parametersIndex = i; break; }

        var declared = parametersIndex >= 0
            ? DeclaredTypes(NotebookDocument.SourceOf((JsonObject)cells[parametersIndex]!))
            : new Dictionary<string, string>();
        var code = new StringBuilder("// Parameters\n");
        foreach (var (name, value) in values)
        {
            var type = declared.GetValueOrDefault(name);
            code.Append(type is null or "var" ? "var" : type).Append(' ').Append(name).Append(" = ")
                .Append(Literal(name, value, type)).Append(";\n");
        }
        var cell = new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["id"] = UniqueId(cells, InjectedTag),
            ["metadata"] = NotebookDocument.CodeCellMetadata("csharp"),
            ["outputs"] = new JsonArray(),
            ["source"] = NotebookDocument.SourceLines(code.ToString().TrimEnd('\n')),
        };
        cell["metadata"]!["tags"] = new JsonArray(InjectedTag);
        cells.Insert(parametersIndex + 1, cell);
        return parametersIndex < 0
            ? $"{notebook.Path}: no cell tagged 'parameters'; the injected-parameters cell was inserted first"
            : null;
    }

    /// <summary>A C# literal for <paramref name="value"/>: of the declared type when known, else inferred.</summary>
    public static string Literal(string name, string value, string? declaredType = null)
    {
        var invariant = CultureInfo.InvariantCulture;
        switch (declaredType)
        {
            case "string": return StringLiteral(value);
            case "bool" when bool.TryParse(value, out var b): return b ? "true" : "false";
            case "int" when int.TryParse(value, NumberStyles.Integer, invariant, out var i): return i.ToString(invariant);
            case "long" when long.TryParse(value, NumberStyles.Integer, invariant, out var l): return l.ToString(invariant) + "L";
            case "double" or "float" or "decimal" when double.TryParse(value, NumberStyles.Float, invariant, out var d):
                return value.Trim() + declaredType switch { "float" => "f", "decimal" => "m", _ => "d" };
            case null or "var": break;
            default: throw new ArgumentException($"parameter '{name}': '{value}' is not a valid {declaredType} (declared in the parameters cell)");
        }
        if (value is "true" or "false") return value;
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, invariant, out var n)) return n.ToString(invariant);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, invariant, out var big)) return big.ToString(invariant) + "L";
        if (double.TryParse(value, NumberStyles.Float, invariant, out var x) && double.IsFinite(x))
            return value.Contains('.') || value.Contains('e') || value.Contains('E') ? value.Trim() : value.Trim() + "d";
        return StringLiteral(value);
    }

    private static string StringLiteral(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '\0' => "\\0",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    private static Dictionary<string, string> DeclaredTypes(string source) =>
        Declaration().Matches(source).GroupBy(m => m.Groups[2].Value)
            .ToDictionary(g => g.Key, g => g.Last().Groups[1].Value);

    private static string UniqueId(JsonArray cells, string id)
    {
        var ids = cells.Select(c => (string?)c!["id"]).ToHashSet();
        var candidate = id;
        for (var n = 2; ids.Contains(candidate); n++) candidate = $"{id}-{n}";
        return candidate;
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^\s*(var|string|bool|int|long|double|float|decimal)\s+([A-Za-z_][A-Za-z0-9_]*)\s*=", RegexOptions.Multiline)]
    private static partial Regex Declaration();
}
