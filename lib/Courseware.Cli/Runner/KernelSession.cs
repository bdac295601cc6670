using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
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
        UsePackageExtensions();
    }

    /// <summary>
    /// Loads the .NET Interactive extensions a NuGet package ships in <c>interactive-extensions/dotnet</c> (e.g.
    /// Microsoft.Data.Analysis's DataFrame formatter) once the command that added the package has run, as VS Code's
    /// kernel and dotnet-repl do. The pinned kernel packages carry no loader (the hosts bring their own), hence this one.
    /// </summary>
    private void UsePackageExtensions()
    {
        var pending = new ConcurrentQueue<string>();
        var seen = new ConcurrentDictionary<string, bool>(RunPaths.Comparer);
        _kernel.RegisterForDisposal(_kernel.KernelEvents.Subscribe(new Observer(e =>
        {
            if (e is PackageAdded { PackageReference.PackageRoot: { } root } && seen.TryAdd(root, true)) pending.Enqueue(root);
        })));
        _kernel.AddMiddleware(async (command, context, next) =>
        {
            await next(command, context);
            while (pending.TryDequeue(out var root))
            {
                var folder = Path.Combine(root, "interactive-extensions", "dotnet");
                if (Directory.Exists(folder)) await LoadExtensionsAsync(folder, context);
            }
        });
    }

    private async Task LoadExtensionsAsync(string folder, KernelInvocationContext context)
    {
        foreach (var dll in Directory.GetFiles(folder, "*.dll").Order(StringComparer.Ordinal))
        {
            var name = AssemblyName.GetAssemblyName(dll);
            if (AssemblyLoadContext.Default.Assemblies.Any(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), name))) continue;
            var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll);
            foreach (var type in assembly.ExportedTypes.Where(t => t is { IsAbstract: false, IsInterface: false, IsGenericTypeDefinition: false } && typeof(IKernelExtension).IsAssignableFrom(t)))
            {
                try
                {
                    var extension = (IKernelExtension)Activator.CreateInstance(type)!;
                    await extension.OnLoadAsync(_kernel);
                    context.Publish(new KernelExtensionLoaded(extension, context.Command));
                }
                catch (Exception e)
                {
                    context.Publish(new ErrorProduced($"Failed to load kernel extension \"{type.Name}\" from {dll}", context.Command));
                    context.Fail(context.Command, new KernelExtensionLoadException(e));
                }
            }
        }
        var script = Path.Combine(folder, "extension.dib");
        if (File.Exists(script)) await _kernel.LoadAndRunInteractiveDocument(new FileInfo(script), context.Command);
    }

    /// <summary>Warms Roslyn and the formatter with a trivial submission so the notebook's first cell starts hot.</summary>
    public async Task WarmUpAsync()
    {
        var result = await _kernel.SendAsync(new SubmitCode("System.Math.Max(1, 2)", "csharp"));
        if (result.Events.OfType<CommandFailed>().FirstOrDefault() is { } failed)
            throw new InvalidOperationException($"kernel warm-up failed: {failed.Message}");
    }

    /// <summary>
    /// Runs one cell's code on <paramref name="kernelName"/> and collects its outputs; <paramref name="onOutput"/> sees each
    /// output operation (<see cref="CellOutputs"/>) as the kernel produces it.
    /// </summary>
    public async Task<CellExecution> ExecuteAsync(string code, string kernelName, Action<JsonObject>? onOutput = null, CancellationToken cancellationToken = default)
    {
        var outputs = new CellOutputs();
        void Emit(JsonObject operation)
        {
            outputs.Apply(operation);
            onOutput?.Invoke(operation);
        }

        if (UnhostedKernel(code, kernelName) is { } foreign)
        {
            var message = $"this cell needs the '{foreign}' kernel, which courseware run does not host (hosted kernels: csharp, html, markdown, value)";
            Emit(CellOutputs.Error(message));
            return new CellExecution(outputs.ToArray(), true, "UnknownKernel", message);
        }

        var command = new SubmitCode(WithoutDirectiveComments(code), NotebookDocument.HostedKernels[kernelName]);
        KernelCommandResult result;
        // Outputs are taken as they are published (not from the result), so that the runner has them even if the cell never ends.
        using (_kernel.KernelEvents.Subscribe(new Observer(e =>
               {
                   if (OperationOf(e) is { } operation) Emit(operation);
               })))
        {
            try
            {
                result = await _kernel.SendAsync(command, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A kernel bug (e.g. in its directive parser) must fail the cell, not kill the worker with every later cell.
                var message = $"the kernel failed on this cell ({e.GetType().FullName}: {e.Message})";
                Emit(CellOutputs.Error(message));
                return new CellExecution(outputs.ToArray(), true, "KernelError", message);
            }
        }
        if (result.Events.OfType<CommandFailed>().FirstOrDefault() is not { } failure)
            return new CellExecution(outputs.ToArray(), false, null, null);
        Emit(CellOutputs.Error(failure.Message));
        return new CellExecution(outputs.ToArray(), true, ErrorNameOf(failure), failure.Message);
    }

    /// <summary>
    /// Drops a trailing <c>// comment</c> from #r, #i and #! lines: C# scripting allows one there, but this kernel
    /// version's directive parser throws on it (dotnet-repl hangs). A // inside the quoted argument (a URL) stays.
    /// </summary>
    internal static string WithoutDirectiveComments(string code) => DirectiveWithComment().Replace(code, "$1");

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
        var name = failed.Exception is { } ex and not CodeSubmissionCompilationErrorException
            ? ex.GetType().FullName ?? ex.GetType().Name
            : CompileError().IsMatch(failed.Message)
                ? "CompilationError"
                // A runtime exception whose object did not travel with the event still starts with "Type: message".
                : ExceptionHead().Match(failed.Message) is { Success: true } m ? m.Groups[1].Value : "Error";
        // Roslyn's scripting CompilationErrorException carries only diagnostics: name it as the kernel's own compile errors.
        return name.EndsWith("CompilationErrorException", StringComparison.Ordinal) ? "CompilationError" : name;
    }

    /// <summary>The output operation for a kernel event that shows something, else null.</summary>
    private static JsonObject? OperationOf(KernelEvent e) => e switch
    {
        StandardOutputValueProduced o => CellOutputs.Stream("stdout", PlainText(o)),
        StandardErrorValueProduced o => CellOutputs.Stream("stderr", PlainText(o)),
        DisplayedValueUpdated u => CellOutputs.Update(u.ValueId, Data(u.FormattedValues)),
        DisplayedValueProduced d => CellOutputs.Display(d.ValueId, Data(d.FormattedValues)),
        ReturnValueProduced r when r.Value is not DisplayedValue => CellOutputs.Display(null, Data(r.FormattedValues)),
        ErrorProduced err => CellOutputs.Error(err.Message),
        _ => null,
    };

    private static JsonObject Data(IReadOnlyCollection<FormattedValue> values)
    {
        var data = new JsonObject();
        foreach (var value in values)
            data[value.MimeType] = NotebookDocument.SourceLines(value.Value ?? "");
        return data;
    }

    private static string PlainText(DisplayEvent e) =>
        e.FormattedValues.FirstOrDefault(v => v.MimeType == PlainTextFormatter.MimeType)?.Value ?? e.Value?.ToString() ?? "";

    [GeneratedRegex(@"^([ \t]*#(?:r|i|![\w#-]+)\b(?:[^""/\r\n]|""[^""\r\n]*""|/(?!/))*?)[ \t]*//[^\r\n]*", RegexOptions.Multiline)]
    private static partial Regex DirectiveWithComment();

    /// <summary>An IObserver for a callback (the kernel exposes IObservable; no Rx here).</summary>
    private sealed class Observer(Action<KernelEvent> onNext) : IObserver<KernelEvent>
    {
        public void OnNext(KernelEvent value) => onNext(value);
        public void OnError(Exception error) { }
        public void OnCompleted() { }
    }

    [GeneratedRegex(@"^#!([A-Za-z#][\w#-]*)\s*$", RegexOptions.Multiline)]
    private static partial Regex MagicLine();

    [GeneratedRegex(@"\(\d+,\d+\): error [A-Z]+\d+:")]
    private static partial Regex CompileError();

    [GeneratedRegex(@"^([A-Za-z_][\w.]*(?:Exception|Error)):")]
    private static partial Regex ExceptionHead();

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
