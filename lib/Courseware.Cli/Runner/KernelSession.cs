using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace Courseware.Cli.Runner;

/// <summary>What one cell produced in the kernel: nbformat outputs and, on failure, the error.</summary>
public sealed record CellExecution(JsonArray Outputs, bool Failed, string? ErrorName, string? ErrorMessage);

/// <summary>
/// The embedded .NET Interactive kernel (C#, HTML, Markdown and value kernels) that runs one notebook's cells in this process.
/// It turns kernel events into nbformat outputs the way VS Code writes them.
/// </summary>
public sealed partial class KernelSession : IDisposable
{
    /// <summary>Kernel names a Polyglot notebook may use that this runner does not host, for a clear error.</summary>
    private static readonly HashSet<string> ForeignKernels = new(StringComparer.OrdinalIgnoreCase)
    {
        "fsharp", "f#", "pwsh", "powershell", "javascript", "js", "python", "pythonkernel", "r", "sql", "kql",
        "mermaid", "http", "spiral", "typescript", "java",
    };

    private readonly CompositeKernel _kernel;

    /// <summary>Creates the kernel (C# with #r nuget, #i, kernel helpers and value sharing; html; markdown; value).</summary>
    public KernelSession()
    {
        var csharp = new CSharpKernel()
            .UseNugetDirective((k, refs) =>
            {
                k.AddAssemblyReferences(refs.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            }, false)
            .UseKernelHelpers()
            .UseWho()
            .UseValueSharing();
        _kernel = new CompositeKernel().UseImportMagicCommand();
        _kernel.Add(csharp, ["c#", "C#"]);
        _kernel.Add(new HtmlKernel());
        _kernel.Add(new MarkdownKernel(), ["md"]);
        _kernel.Add(new KeyValueStoreKernel());
        _kernel.DefaultKernelName = "csharp";
    }

    /// <summary>Warms Roslyn and the formatter with a trivial submission so the notebook's first cell starts hot.</summary>
    public async Task WarmUpAsync()
    {
        var result = await _kernel.SendAsync(new SubmitCode("System.Math.Max(1, 2)", "csharp"));
        if (result.Events.OfType<CommandFailed>().FirstOrDefault() is { } failed)
            throw new InvalidOperationException($"kernel warm-up failed: {failed.Message}");
    }

    /// <summary>Runs one cell's code on <paramref name="kernelName"/> and collects its outputs.</summary>
    public async Task<CellExecution> ExecuteAsync(string code, string kernelName, CancellationToken cancellationToken = default)
    {
        if (UnhostedKernel(code, kernelName) is { } foreign)
        {
            var message = $"this cell needs the '{foreign}' kernel, which courseware run does not host (hosted kernels: csharp, html, markdown, value)";
            return new CellExecution([ErrorOutput(message)], true, "UnknownKernel", message);
        }

        var command = new SubmitCode(code, NotebookDocument.HostedKernels[kernelName]);
        var result = await _kernel.SendAsync(command, cancellationToken);
        var outputs = new OutputCollector();
        CommandFailed? failure = null;
        foreach (var e in result.Events)
        {
            switch (e)
            {
                case StandardOutputValueProduced o: outputs.Stream("stdout", PlainText(o)); break;
                case StandardErrorValueProduced o: outputs.Stream("stderr", PlainText(o)); break;
                case DisplayedValueUpdated u: outputs.Update(u.ValueId, u.FormattedValues); break;
                case DisplayedValueProduced d: outputs.Display(d.ValueId, d.FormattedValues); break;
                case ReturnValueProduced r when r.Value is not DisplayedValue: outputs.Display(null, r.FormattedValues); break;
                case ErrorProduced err: outputs.Error(err.Message); break;
                case CommandFailed f: failure ??= f; break;
            }
        }
        if (failure is null)
            return new CellExecution(outputs.ToArray(), false, null, null);
        outputs.Error(failure.Message);
        return new CellExecution(outputs.ToArray(), true, ErrorNameOf(failure), failure.Message);
    }

    /// <inheritdoc />
    public void Dispose() => _kernel.Dispose();

    /// <summary>The error output VS Code writes: ename "Error", the kernel's message, the message's lines as traceback.</summary>
    public static JsonObject ErrorOutput(string message) => new()
    {
        ["ename"] = "Error",
        ["evalue"] = message,
        ["output_type"] = "error",
        ["traceback"] = new JsonArray(message.Split('\n').Select(l => (JsonNode?)l.TrimEnd('\r')).ToArray()),
    };

    /// <summary>The foreign kernel a cell names (metadata or a #!name line), or null when every kernel it names is hosted.</summary>
    internal static string? UnhostedKernel(string code, string kernelName)
    {
        if (!NotebookDocument.HostedKernels.ContainsKey(kernelName))
            return kernelName;
        foreach (Match m in MagicLine().Matches(code))
            if (ForeignKernels.Contains(m.Groups[1].Value))
                return m.Groups[1].Value;
        return null;
    }

    /// <summary>A short error name: the exception's type, or CompilationError for diagnostics.</summary>
    private static string ErrorNameOf(CommandFailed failed)
    {
        if (failed.Exception is { } ex and not CodeSubmissionCompilationErrorException)
            return ex.GetType().FullName ?? ex.GetType().Name;
        if (CompileError().IsMatch(failed.Message))
            return "CompilationError";
        // A runtime exception whose object did not travel with the event still starts with "Type: message".
        return ExceptionHead().Match(failed.Message) is { Success: true } m ? m.Groups[1].Value : "Error";
    }

    private static string PlainText(DisplayEvent e) =>
        e.FormattedValues.FirstOrDefault(v => v.MimeType == PlainTextFormatter.MimeType)?.Value ?? e.Value?.ToString() ?? "";

    [GeneratedRegex(@"^#!([A-Za-z#][\w#-]*)\s*$", RegexOptions.Multiline)]
    private static partial Regex MagicLine();

    [GeneratedRegex(@"\(\d+,\d+\): error [A-Z]+\d+:")]
    private static partial Regex CompileError();

    [GeneratedRegex(@"^([A-Za-z_][\w.]*(?:Exception|Error)):")]
    private static partial Regex ExceptionHead();

    /// <summary>Builds the outputs list: streams merged while consecutive, updated displays collapsed to their final state.</summary>
    private sealed class OutputCollector
    {
        private readonly List<JsonObject> _outputs = [];
        private readonly Dictionary<string, JsonObject> _byDisplayId = [];

        public void Stream(string name, string text)
        {
            if (_outputs.Count > 0 && _outputs[^1] is { } last && (string?)last["output_type"] == "stream" && (string?)last["name"] == name)
            {
                var merged = CellResult.Join(last["text"]) + text;
                last["text"] = NotebookDocument.SourceLines(merged);
                return;
            }
            _outputs.Add(new JsonObject { ["name"] = name, ["output_type"] = "stream", ["text"] = NotebookDocument.SourceLines(text) });
        }

        public void Display(string? displayId, IReadOnlyCollection<FormattedValue> values)
        {
            var output = DisplayData(values);
            _outputs.Add(output);
            if (displayId is not null) _byDisplayId[displayId] = output;
        }

        public void Update(string? displayId, IReadOnlyCollection<FormattedValue> values)
        {
            // Keep only the final frame of an updated display (e.g. the many "Installing packages" frames).
            // Note: in this kernel version `display(x)` returns a DisplayedValue whose id differs from the one it
            // published, so its Update() lands as a new output (as in dotnet-repl); context.Display(x).Update() collapses.
            if (displayId is not null && _byDisplayId.TryGetValue(displayId, out var existing))
                existing["data"] = DisplayData(values)["data"]!.DeepClone();
            else
                Display(displayId, values); // a display shown by an earlier cell: its final state lands here
        }

        public void Error(string message) => _outputs.Add(ErrorOutput(message));

        public JsonArray ToArray() => new(_outputs.Select(o => (JsonNode?)o).ToArray());

        private static JsonObject DisplayData(IReadOnlyCollection<FormattedValue> values)
        {
            var data = new JsonObject();
            foreach (var value in values)
                data[value.MimeType] = NotebookDocument.SourceLines(value.Value ?? "");
            return new JsonObject { ["data"] = data, ["metadata"] = new JsonObject(), ["output_type"] = "display_data" };
        }
    }

    /// <summary>#!markdown cells display their text (as text/markdown for hosts that render it, and text/plain).</summary>
    private sealed class MarkdownKernel : Kernel, IKernelCommandHandler<SubmitCode>
    {
        public MarkdownKernel() : base("markdown") => KernelInfo.LanguageName = "Markdown";

        public Task HandleAsync(SubmitCode command, KernelInvocationContext context)
        {
            context.Publish(new DisplayedValueProduced(command.Code, command,
                [new FormattedValue("text/markdown", command.Code), new FormattedValue(PlainTextFormatter.MimeType, command.Code)]));
            return Task.CompletedTask;
        }
    }
}
