using System.Reflection;
using System.Runtime.Loader;

namespace Courseware.Notebooks;

/// <summary>
/// Runs Plotly.NET in a private <see cref="AssemblyLoadContext"/>. Plotly.NET 6 needs FSharp.Core 10.1, while the
/// notebook hosts (VS Code's kernel, dotnet-repl) already load an older FSharp.Core into the default context, so a
/// plain reference would fail there (shared/notes/notebooks.md). The shim and its F# dependencies live in the
/// <c>plotly/</c> folder beside Courseware.dll and only strings cross the boundary.
/// </summary>
internal static class PlotlyRenderer
{
    const string ShimAssembly = "Courseware.Charting";

    static readonly Lazy<Func<string, string>> Render = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Chart spec JSON → HTML fragment (div + script) that expects <c>window.Plotly</c>.</summary>
    public static string RenderFragment(string specJson)
    {
        try
        {
            return Render.Value(specJson);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new InvalidOperationException($"Plotly.NET could not draw the chart: {e.InnerException.Message}", e.InnerException);
        }
    }

    /// <summary>The folder that holds the shim: <c>plotly/</c> next to Courseware.dll.</summary>
    internal static string ShimDirectory =>
        Path.Combine(Path.GetDirectoryName(typeof(PlotlyRenderer).Assembly.Location) ?? AppContext.BaseDirectory, "plotly");

    static Func<string, string> Load()
    {
        var dir = ShimDirectory;
        var path = Path.Combine(dir, ShimAssembly + ".dll");
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"The chart renderer is missing: expected {path}. Build the library with `dotnet build -c Release` (README.md), which puts it there.", path);
        var context = new PrivateContext(dir);
        var method = context.LoadFromAssemblyPath(path).GetType("Courseware.Charting.PlotlyShim", throwOnError: true)!
            .GetMethod("RenderHtml", BindingFlags.Public | BindingFlags.Static)!;
        return method.CreateDelegate<Func<string, string>>();
    }

    /// <summary>Resolves every assembly present in the shim folder from there (FSharp.Core 10.1 above all), the rest from the host.</summary>
    sealed class PrivateContext(string directory) : AssemblyLoadContext("Courseware.Plotly", isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var candidate = Path.Combine(directory, name.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
