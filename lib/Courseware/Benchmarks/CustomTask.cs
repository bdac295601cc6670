using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Courseware.Benchmarks;

/// <summary>
/// A task described in YAML or JSON, with the harness's field names (a small, explicit subset of its task YAML):
/// <code>
/// task: tinyworld_pets
/// dataset_path: pets.jsonl        # JSON Lines, or .csv with 'columns' naming the headerless columns
/// fewshot_path: pets_dev.jsonl    # optional
/// description: ""
/// doc_to_text: "Question: {{question}}\nAnswer:"
/// doc_to_choice: "{{choices}}"    # a field holding a list, or a literal list such as ["A", "B", "C", "D"]
/// doc_to_target: "{{answer}}"     # an index, a letter A.., or the gold choice's text
/// metric_list: [acc, acc_norm]
/// num_fewshot: 0
/// fewshot_sampler: first_n        # or random
/// </code>
/// Templates substitute <c>{{ field }}</c>, <c>{{ field.sub }}</c> and <c>{{ field[0] }}</c> (a subset of Jinja); paths are
/// relative to the description file. Lab 4.3.4 extends this.
/// </summary>
/// <example><code>var task = CustomTask.Load("datasets/benchmarks/tinyworld/custom/pets.yaml");</code></example>
public static partial class CustomTask
{
    private static readonly string[] Known = ["task", "dataset_path", "fewshot_path", "columns", "description", "doc_to_text", "doc_to_choice", "doc_to_target",
        "metric_list", "num_fewshot", "fewshot_sampler", "target_delimiter", "fewshot_delimiter", "group", "version", "output_type"];

    /// <summary>Reads a task description (.yaml, .yml or .json) and its data.</summary>
    public static BenchmarkTask Load(string descriptionFile, bool strict = false)
    {
        RowReader.RequireFile(descriptionFile);
        JsonObject spec = ReadSpec(descriptionFile);
        string Field(string name) => spec[name] is JsonValue v && v.TryGetValue(out string? s) ? s
            : throw new BenchmarkDataException($"{descriptionFile}: '{name}' is required (a string).");
        string? Optional(string name) => spec[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        if (Optional("output_type") is { } outputType && outputType != "multiple_choice")
            throw new BenchmarkDataException($"{descriptionFile}: output_type '{outputType}' is a generative task; load it with GenerativeTask.Load and run it with RunAsync (this loader and 'courseware eval' score multiple choice).");
        foreach (var (key, _) in spec)
        {
            if (!Known.Contains(key)) throw new BenchmarkDataException($"{descriptionFile}: unknown field '{key}'; expected one of {string.Join(", ", Known)}.");
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(descriptionFile))!;
        string text = Field("doc_to_text"), target = Field("doc_to_target");
        JsonNode choice = spec["doc_to_choice"] ?? throw new BenchmarkDataException($"{descriptionFile}: 'doc_to_choice' is required.");
        var columns = JsonFields.Strings(spec["columns"]);
        var metrics = JsonFields.Strings(spec["metric_list"]) ?? [.. BenchmarkTask.AccuracyMetrics];
        foreach (string metric in metrics)
        {
            if (metric is not ("acc" or "acc_norm" or "acc_bytes"))
                throw new BenchmarkDataException($"{descriptionFile}: metric '{metric}' is not supported; expected acc, acc_norm or acc_bytes.");
        }
        string sampler = Optional("fewshot_sampler") ?? "first_n";
        if (sampler is not ("first_n" or "random")) throw new BenchmarkDataException($"{descriptionFile}: fewshot_sampler '{sampler}' must be first_n or random.");

        var (documents, problems) = Read(Path.Combine(folder, Field("dataset_path")), columns, text, choice, target, strict);
        var (fewShot, fewShotProblems) = Optional("fewshot_path") is string f ? Read(Path.Combine(folder, f), columns, text, choice, target, strict) : ([], []);
        return new BenchmarkTask
        {
            Name = Field("task"),
            Groups = Optional("group") is string g ? [g] : [],
            Description = Optional("description") ?? "",
            Documents = documents,
            FewShotDocuments = fewShot,
            Sampler = sampler == "random" ? FewShotSampler.Random : FewShotSampler.FirstN,
            DefaultShots = JsonFields.Integer(spec["num_fewshot"]) ?? 0,
            TargetDelimiter = Optional("target_delimiter") ?? " ",
            FewShotDelimiter = Optional("fewshot_delimiter") ?? "\n\n",
            Metrics = metrics,
            Version = spec["version"] is JsonValue ver && ver.TryGetValue(out double version) ? version : 1.0,
            DataSource = Path.Combine(folder, Field("dataset_path")),
            Problems = [.. problems, .. fewShotProblems],
        };
    }

    /// <summary>Fills <c>{{ path }}</c> placeholders from a row; a missing field is an error naming it.</summary>
    public static string Render(string template, JsonObject row) =>
        Placeholder().Replace(template, m => Resolve(row, m.Groups[1].Value) switch
        {
            JsonValue v when v.TryGetValue(out string? s) => s,
            JsonNode node => node.ToJsonString(),
            null => throw new KeyNotFoundException($"field '{m.Groups[1].Value}' is missing"),
        });

    private static (List<BenchmarkDocument>, IReadOnlyList<DataProblem>) Read(string file, List<string>? columns, string text, JsonNode choice, string target, bool strict)
    {
        var reader = new RowReader(file, strict);
        IEnumerable<(RowAt At, JsonObject Row)> rows;
        if (file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            if (columns is null) throw new BenchmarkDataException($"{file}: a CSV dataset needs 'columns' in the task description.");
            rows = reader.CsvRecords().Select(r =>
            {
                var row = new JsonObject();
                for (int i = 0; i < Math.Min(columns.Count, r.Fields.Count); i++) row[columns[i]] = r.Fields[i];
                if (r.Fields.Count != columns.Count) row["__columns"] = r.Fields.Count;
                return (new RowAt(r.Line), row);
            });
        }
        else rows = reader.JsonRows();

        var documents = new List<BenchmarkDocument>();
        foreach (var (line, row) in rows)
        {
            if (row["__columns"] is JsonNode found) { reader.Problem(line, $"expected {columns!.Count} columns ({string.Join(",", columns)}); found {found}"); continue; }
            try
            {
                string query = Render(text, row);
                List<string> choices = Choices(choice, row);
                int gold = Gold(Render(target, row), choices);
                documents.Add(new BenchmarkDocument($"{Path.GetFileName(file)}:{line}", query, choices, gold) { Source = $"{file}:{line}" });
            }
            catch (Exception e) when (e is KeyNotFoundException or FormatException)
            {
                reader.Problem(line, e.Message);
            }
        }
        reader.RequireRows(documents.Count);
        return (documents, reader.Problems);
    }

    private static List<string> Choices(JsonNode choice, JsonObject row)
    {
        if (JsonFields.Strings(choice) is { } literal) return literal;
        string template = choice.GetValue<string>();
        Match whole = Placeholder().Match(template);
        if (whole.Success && whole.Length == template.Trim().Length && Resolve(row, whole.Groups[1].Value) is JsonNode node)
        {
            return JsonFields.Strings(node) ?? throw new FormatException($"'{whole.Groups[1].Value}' must be a list of strings for doc_to_choice; found {node.ToJsonString()}");
        }
        throw new FormatException($"doc_to_choice '{template}' must name a list field, such as {{{{choices}}}}");
    }

    private static int Gold(string value, List<string> choices)
    {
        value = value.Trim();
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
        {
            return index >= 0 && index < choices.Count ? index : throw new FormatException($"target index {index} is outside 0..{choices.Count - 1}");
        }
        int text = choices.IndexOf(value);
        if (text >= 0) return text;
        if (value.Length == 1 && value[0] - 'A' is int letter && letter >= 0 && letter < choices.Count) return letter;
        throw new FormatException($"target '{value}' is neither an index, a letter A-{(char)('A' + choices.Count - 1)}, nor one of the choices");
    }

    private static JsonNode? Resolve(JsonObject row, string path)
    {
        JsonNode? node = row;
        foreach (Match part in PathPart().Matches(path))
        {
            node = part.Groups["name"].Success ? (node as JsonObject)?[part.Groups["name"].Value]
                : node is JsonArray array && int.Parse(part.Groups["index"].Value, CultureInfo.InvariantCulture) is int i && i < array.Count ? array[i] : null;
            if (node is null) return null;
        }
        return node;
    }

    internal static JsonObject ReadSpec(string file)
    {
        string content = File.ReadAllText(file);
        try
        {
            if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                return JsonNode.Parse(content) as JsonObject ?? throw new BenchmarkDataException($"{file}: expected a JSON object.");
            var yaml = new YamlStream();
            yaml.Load(new StringReader(content));
            if (yaml.Documents.Count == 0 || ToJson(yaml.Documents[0].RootNode) is not JsonObject spec)
                throw new BenchmarkDataException($"{file}: expected a YAML mapping of task fields.");
            return spec;
        }
        catch (JsonException e)
        {
            throw new BenchmarkDataException($"{file}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", inner: e);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new BenchmarkDataException($"{file}: not valid YAML (line {e.Start.Line}, column {e.Start.Column}): {e.Message}", inner: e);
        }
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s when int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) => JsonValue.Create(i),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s when double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => JsonValue.Create(d),
        YamlScalarNode s => JsonValue.Create(s.Value ?? ""),
        _ => null,
    };

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][\w.\[\]]*)\s*\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"(?<name>[A-Za-z_]\w*)|\[(?<index>\d+)\]")]
    private static partial Regex PathPart();
}
