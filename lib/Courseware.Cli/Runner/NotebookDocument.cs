using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents;

namespace Courseware.Cli.Runner;

/// <summary>
/// A notebook as nbformat 4 JSON. Everything the file carries (VS Code's metadata included) is kept as-is;
/// the runner only replaces outputs and execution counts. A .dib file is converted to the same shape.
/// </summary>
public sealed class NotebookDocument
{
    /// <summary>The kernels this runner hosts, and the names a notebook may use for them.</summary>
    public static readonly IReadOnlyDictionary<string, string> HostedKernels = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["csharp"] = "csharp", ["c#"] = "csharp", ["C#"] = "csharp",
        ["html"] = "html", ["markdown"] = "markdown", ["md"] = "markdown", ["value"] = "value",
    };

    private NotebookDocument(string path, JsonObject json)
    {
        Path = path;
        Json = json;
    }

    /// <summary>Where the notebook was read from (absolute).</summary>
    public string Path { get; }

    /// <summary>The nbformat 4 JSON: top-level metadata, nbformat fields and the cells array.</summary>
    public JsonObject Json { get; }

    /// <summary>The cells, in order.</summary>
    public JsonArray Cells => (JsonArray)Json["cells"]!;

    /// <summary>The kernel a code cell runs on when its metadata names none.</summary>
    public string DefaultKernelName => Courseware.Notebooks.NotebookKernels.DefaultOf(Json);

    /// <summary>Reads a .ipynb (nbformat 4) or .dib file. Throws <see cref="NotebookException"/> naming the file and cause.</summary>
    public static NotebookDocument Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new NotebookException(full, "file not found");
        var text = File.ReadAllText(full);
        return System.IO.Path.GetExtension(full).ToLowerInvariant() switch
        {
            ".ipynb" => FromIpynb(full, text),
            ".dib" => FromDib(full, text),
            var ext => throw new NotebookException(full, $"unsupported file type '{ext}' (expected .ipynb or .dib)"),
        };
    }

    /// <summary>Parses nbformat 4 JSON text; <paramref name="path"/> names the source in errors and sets the working directory.</summary>
    public static NotebookDocument FromIpynb(string path, string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new NotebookException(path, $"not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {FirstSentence(e.Message)}");
        }
        if (node is not JsonObject json)
            throw new NotebookException(path, "the top level must be a JSON object with 'cells', 'metadata', 'nbformat'");
        var major = json["nbformat"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : (int?)null;
        if (major is null)
            throw new NotebookException(path, "missing 'nbformat' (expected nbformat 4)");
        if (major != 4)
            throw new NotebookException(path, $"nbformat {major} is not supported (expected nbformat 4; convert with `jupyter nbconvert --to notebook`)");
        if (json["cells"] is not JsonArray cells)
            throw new NotebookException(path, "missing 'cells' array");
        json["metadata"] ??= new JsonObject();
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell || (string?)cell["cell_type"] is not ("code" or "markdown" or "raw"))
                throw new NotebookException(path, $"cell {i}: expected an object with 'cell_type' code, markdown or raw");
            if (cell["source"] is not (JsonArray or JsonValue))
                throw new NotebookException(path, $"cell {i}: missing 'source'");
            cell["metadata"] ??= new JsonObject();
        }
        EnsureCellIds(json);
        return new NotebookDocument(path, json);
    }

    /// <summary>Parses the .dib plain-text form (a #!meta header, then cells split by #!csharp/#!markdown… lines).</summary>
    public static NotebookDocument FromDib(string path, string text)
    {
        InteractiveDocument dib;
        try
        {
            dib = CodeSubmission.Parse(text);
        }
        catch (JsonException e)
        {
            throw new NotebookException(path, $"the #!meta header is not valid JSON: {FirstSentence(e.Message)}");
        }
        var cells = new JsonArray();
        foreach (var element in dib.Elements)
        {
            var kernel = element.KernelName ?? "csharp";
            var cell = new JsonObject
            {
                ["cell_type"] = kernel == "markdown" ? "markdown" : "code",
                ["id"] = null,
                ["metadata"] = kernel == "markdown" ? new JsonObject() : CodeCellMetadata(kernel),
                ["source"] = SourceLines(element.Contents),
            };
            if (kernel != "markdown")
            {
                cell["execution_count"] = null;
                cell["outputs"] = new JsonArray();
            }
            cells.Add(cell);
        }
        var json = new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = VsCodeNotebookMetadata(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        EnsureCellIds(json);
        return new NotebookDocument(path, json);
    }

    /// <summary>Cell metadata exactly as VS Code Polyglot Notebooks writes it for a code cell.</summary>
    public static JsonObject CodeCellMetadata(string kernel) => new()
    {
        ["dotnet_interactive"] = new JsonObject { ["language"] = kernel },
        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = kernel },
    };

    /// <summary>Notebook metadata as VS Code Polyglot Notebooks writes it (C# default kernel).</summary>
    public static JsonObject VsCodeNotebookMetadata() => new()
    {
        ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
        ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
        ["polyglot_notebook"] = new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = "csharp",
                ["items"] = new JsonArray(new JsonObject { ["name"] = "csharp", ["aliases"] = new JsonArray(), ["languageName"] = "C#" }),
            },
        },
    };

    /// <summary>A cell's source as one string (nbformat allows a string or a list of lines).</summary>
    public static string SourceOf(JsonObject cell) => cell["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue value => (string?)value ?? "",
        _ => "",
    };

    /// <summary>Splits text into nbformat's list-of-lines form (each line but the last keeps its "\n").</summary>
    public static JsonArray SourceLines(string text)
    {
        var array = new JsonArray();
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0) { array.Add(text[start..]); break; }
            array.Add(text[start..(end + 1)]);
            start = end + 1;
        }
        return array;
    }

    /// <summary>The kernel a code cell targets: VS Code's cell metadata, else the notebook's default.</summary>
    public string KernelOf(JsonObject cell) => Courseware.Notebooks.NotebookKernels.KernelOf(Json, cell);

    /// <summary>The cell's tags (papermill's `parameters`, `injected-parameters`).</summary>
    public static IEnumerable<string> TagsOf(JsonObject cell) =>
        (cell["metadata"]?["tags"] as JsonArray)?.Select(t => (string?)t ?? "") ?? [];

    /// <summary>A deep copy: the runner writes outputs into the copy, never into a document someone else holds.</summary>
    public NotebookDocument Clone() => new(Path, (JsonObject)Json.DeepClone());

    /// <summary>Serialises as VS Code does (indent 1, LF, trailing newline).</summary>
    public string ToJson()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            IndentSize = 1,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        return Json.ToJsonString(options) + "\n";
    }

    /// <summary>Writes the notebook to <paramref name="path"/> atomically (temp file in the same folder, then rename).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>nbformat 4.5 requires an id on every cell: keep existing ones, give the rest stable ones.</summary>
    private static void EnsureCellIds(JsonObject json)
    {
        var cells = (JsonArray)json["cells"]!;
        var minor = json["nbformat_minor"] is JsonValue m && m.TryGetValue<int>(out var k) ? k : 0;
        var used = new HashSet<string>(cells.Select(c => (string?)c!["id"]).OfType<string>());
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = (JsonObject)cells[i]!;
            if ((string?)cell["id"] is { Length: > 0 }) continue;
            var id = $"cell-{i}";
            for (var n = 1; used.Contains(id); n++) id = $"cell-{i}-{n}";
            used.Add(id);
            cell["id"] = id;
        }
        if (minor < 5) json["nbformat_minor"] = 5;
    }

    /// <summary>The parser's message without its own position suffix (we give line and column 1-based ourselves).</summary>
    private static string FirstSentence(string message)
    {
        foreach (var suffix in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(suffix, StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        }
        return message;
    }
}

/// <summary>A notebook could not be read or run; the message names the file (and cell) and the cause.</summary>
public sealed class NotebookException(string path, string cause) : Exception($"{path}: {cause}");
