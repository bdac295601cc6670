using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Courseware.Cli.Runner;

/// <summary>How a code cell ended.</summary>
public enum CellStatus
{
    /// <summary>Ran without error.</summary>
    Succeeded,
    /// <summary>Compile error, runtime exception, or a kernel we do not host.</summary>
    Failed,
    /// <summary>Ran past the per-cell timeout; its worker process was killed.</summary>
    TimedOut,
    /// <summary>Not run: an earlier cell failed (without --continue-on-error) or timed out.</summary>
    NotRun,
}

/// <summary>One executed code cell.</summary>
/// <param name="Index">Position in the executed notebook's cells (0-based; an injected-parameters cell counts).</param>
/// <param name="Id">The nbformat cell id.</param>
/// <param name="Kernel">The kernel the cell targeted (csharp, html, value, …).</param>
/// <param name="Status">How the cell ended.</param>
/// <param name="Outputs">nbformat outputs, shaped as VS Code writes them.</param>
/// <param name="ErrorName">For a failure: the exception type (System.NotImplementedException), CompilationError, UnknownKernel or Timeout.</param>
/// <param name="ErrorMessage">For a failure: the kernel's message (compile diagnostics or the exception's text).</param>
/// <param name="Duration">Wall time of the cell.</param>
public sealed partial record CellResult(
    int Index,
    string Id,
    string Kernel,
    CellStatus Status,
    JsonArray Outputs,
    string? ErrorName,
    string? ErrorMessage,
    TimeSpan Duration)
{
    /// <summary>True when the cell ran to completion without error.</summary>
    public bool Succeeded => Status == CellStatus.Succeeded;

    /// <summary>
    /// The error as one line: the first line of the message, after the error's name unless it says nothing. A plain
    /// <c>System.Exception</c> (a check's failure) and compile diagnostics read as their message alone.
    /// </summary>
    public string? ErrorLine
    {
        get
        {
            if (ErrorName is null) return null;
            var first = NotebookResult.FirstLine(ErrorMessage);
            if (ErrorName is "System.Exception" or "CompilationError")
                return TypePrefix().Replace(first, "", 1);
            return first.StartsWith(ErrorName, StringComparison.Ordinal) ? first : $"{ErrorName}: {first}";
        }
    }

    [GeneratedRegex(@"^(?:System\.Exception|[\w.]*CompilationErrorException): ")]
    private static partial Regex TypePrefix();

    /// <summary>Everything the cell printed or displayed as plain text (streams, then text/plain of displays), for assertions and reports.</summary>
    public string Text
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var output in Outputs.OfType<JsonObject>())
            {
                switch ((string?)output["output_type"])
                {
                    case "stream": sb.Append(Join(output["text"])); break;
                    case "display_data" or "execute_result":
                        sb.Append(Join(output["data"]?["text/plain"] ?? output["data"]?["text/html"])).Append('\n');
                        break;
                }
            }
            return sb.ToString();
        }
    }

    internal static string Join(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue v => (string?)v ?? "",
        _ => "",
    };
}

/// <summary>The outcome of running one notebook.</summary>
/// <param name="Path">The source notebook.</param>
/// <param name="OutputPath">Where the executed notebook was written (null when none was written).</param>
/// <param name="Cells">Every code cell, run or not, in order.</param>
/// <param name="Error">A notebook-level failure (unreadable file, bad parameter, worker crash), else null.</param>
/// <param name="Duration">Wall time, including handing the notebook to a warm worker.</param>
public sealed record NotebookResult(
    string Path,
    string? OutputPath,
    IReadOnlyList<CellResult> Cells,
    string? Error,
    TimeSpan Duration)
{
    /// <summary>Things the reader should know that did not fail the run (e.g. parameters given to a notebook without a parameters cell).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>True when the notebook loaded and every code cell succeeded.</summary>
    public bool Succeeded => Error is null && Cells.All(c => c.Status == CellStatus.Succeeded);

    /// <summary>Cells that failed or timed out.</summary>
    public IEnumerable<CellResult> Failures => Cells.Where(c => c.Status is CellStatus.Failed or CellStatus.TimedOut);

    /// <summary>The first failure as one line: file, cell index and id, cause.</summary>
    public string? FailureSummary =>
        Error ?? Failures.Select(c => $"{Path}: cell {c.Index} (id {c.Id}) {c.ErrorLine}").FirstOrDefault();

    internal static string FirstLine(string? text) => (text ?? "").Split('\n')[0].TrimEnd('\r');
}
