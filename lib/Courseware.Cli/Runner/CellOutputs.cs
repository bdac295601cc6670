using System.Text.Json.Nodes;

namespace Courseware.Cli.Runner;

/// <summary>
/// A cell's nbformat outputs, built from output operations as the kernel produces them: streams merged while
/// consecutive, updated displays collapsed to their final state. The worker builds them while a cell runs and sends
/// each operation to the runner, which builds the same outputs: a cell stopped by its timeout keeps what it printed.
/// </summary>
/// <remarks>
/// Operations (JSON objects): <c>{"kind":"stream","name":"stdout","text":…}</c>, <c>{"kind":"display","id":…,"data":{mime: lines}}</c>,
/// <c>{"kind":"update","id":…,"data":…}</c>, <c>{"kind":"error","message":…}</c>.
/// </remarks>
internal sealed class CellOutputs
{
    private readonly List<JsonObject> _outputs = [];
    private readonly Dictionary<string, JsonObject> _byDisplayId = [];

    public static JsonObject Stream(string name, string text) => new() { ["kind"] = "stream", ["name"] = name, ["text"] = text };

    public static JsonObject Display(string? displayId, JsonObject data) => new() { ["kind"] = "display", ["id"] = displayId, ["data"] = data };

    public static JsonObject Update(string? displayId, JsonObject data) => new() { ["kind"] = "update", ["id"] = displayId, ["data"] = data };

    public static JsonObject Error(string message) => new() { ["kind"] = "error", ["message"] = message };

    /// <summary>Applies one operation (one of the factories above).</summary>
    public void Apply(JsonObject operation)
    {
        var id = (string?)operation["id"];
        switch ((string?)operation["kind"])
        {
            case "stream": AppendStream((string)operation["name"]!, (string?)operation["text"] ?? ""); break;
            case "display": AddDisplay(id, operation["data"]!.AsObject()); break;
            case "update":
                // Keep only the final frame of an updated display (e.g. the many "Installing packages" frames).
                // Note: in this kernel version `display(x)` returns a DisplayedValue whose id differs from the one it
                // published, so its Update() lands as a new output (as in dotnet-repl); context.Display(x).Update() collapses.
                if (id is not null && _byDisplayId.TryGetValue(id, out var existing))
                    existing["data"] = operation["data"]!.DeepClone();
                else
                    AddDisplay(id, operation["data"]!.AsObject()); // a display shown by an earlier cell: its final state lands here
                break;
            case "error": _outputs.Add(KernelSession.ErrorOutput((string?)operation["message"] ?? "")); break;
            case var kind: throw new InvalidOperationException($"unknown cell output operation '{kind}'");
        }
    }

    /// <summary>The outputs so far, as an nbformat outputs array (a copy).</summary>
    public JsonArray ToArray() => new(_outputs.Select(o => o.DeepClone()).ToArray());

    private void AppendStream(string name, string text)
    {
        if (_outputs.Count > 0 && _outputs[^1] is { } last && (string?)last["output_type"] == "stream" && (string?)last["name"] == name)
        {
            last["text"] = NotebookDocument.SourceLines(CellResult.Join(last["text"]) + text);
            return;
        }
        _outputs.Add(new JsonObject { ["name"] = name, ["output_type"] = "stream", ["text"] = NotebookDocument.SourceLines(text) });
    }

    private void AddDisplay(string? displayId, JsonObject data)
    {
        var output = new JsonObject { ["data"] = data.DeepClone(), ["metadata"] = new JsonObject(), ["output_type"] = "display_data" };
        _outputs.Add(output);
        if (displayId is not null) _byDisplayId[displayId] = output;
    }
}
