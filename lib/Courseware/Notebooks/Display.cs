using System.Net;
using System.Text;

namespace Courseware.Notebooks;

/// <summary>
/// A presentation object that is its own HTML (a chart, a page of the tracking UI). Results are plain data instead:
/// their HTML comes from a renderer registered with <see cref="HtmlRenderers"/>.
/// </summary>
public interface IHtmlDisplayable
{
    /// <summary>A self-contained HTML fragment (no external resources).</summary>
    string ToHtml();
}

/// <summary>Base class for presentation objects: derives the notebook formatter registration for you.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public abstract class HtmlDisplayable : IHtmlDisplayable
{
    /// <inheritdoc />
    public abstract string ToHtml();
}

/// <summary>
/// Marks a static method <c>string Name(T value)</c> as the HTML renderer of <c>T</c>. Each area keeps its renderers
/// in one file (<c>BenchmarksHtml</c>, <c>DriftHtml</c>, …) apart from the results they draw; <see cref="HtmlRenderers"/>
/// finds them.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HtmlRendererAttribute : Attribute;

/// <summary>
/// The one place a result's HTML comes from: the notebook display (<see cref="HtmlFormatterSource"/>), the tracking
/// server's pages and the saved HTML reports all call <see cref="Render"/>, so a result looks the same everywhere.
/// Renderers are the library's <see cref="HtmlRendererAttribute"/> methods, plus any registered with
/// <see cref="Register{T}"/>; a type without one falls back to its base types, then to <see cref="IHtmlDisplayable"/>.
/// </summary>
/// <example><code>HtmlRenderers.Render(results)  // the table a notebook shows for an EvaluationResults</code></example>
public static class HtmlRenderers
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Func<object, string>> Renderers = new(FindLibraryRenderers());

    /// <summary>Registers (or replaces) the renderer of <typeparamref name="T"/>.</summary>
    public static void Register<T>(Func<T, string> render) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(render);
        Renderers[typeof(T)] = value => render((T)value);
    }

    /// <summary>Whether <paramref name="value"/> has a renderer; <paramref name="html"/> is its HTML when it does.</summary>
    public static bool TryRender(object? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? html)
    {
        html = RendererOf(value)?.Invoke(value!);
        return html is not null;
    }

    internal static bool CanRender(object? value) => RendererOf(value) is not null;

    // The value's own type first, then its base types (a generic type by its definition), then IHtmlDisplayable.
    private static Func<object, string>? RendererOf(object? value)
    {
        for (Type? type = value?.GetType(); type is not null; type = type.BaseType)
        {
            if (Renderers.TryGetValue(type, out var render) || (type.IsGenericType && Renderers.TryGetValue(type.GetGenericTypeDefinition(), out render)))
                return render;
        }
        return value is IHtmlDisplayable ? v => ((IHtmlDisplayable)v).ToHtml() : null;
    }

    /// <summary>The HTML of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">No renderer is registered for its type.</exception>
    public static string Render(object value) => TryRender(value, out string? html)
        ? html
        : throw new ArgumentException($"No HTML renderer is registered for {value?.GetType().FullName ?? "null"}.", nameof(value));

    /// <summary>The types that have a renderer of their own (generic types by their definition).</summary>
    public static IReadOnlyCollection<Type> RenderedTypes => [.. Renderers.Keys];

    private static Dictionary<Type, Func<object, string>> FindLibraryRenderers()
    {
        var found = new Dictionary<Type, Func<object, string>>();
        foreach (var method in typeof(HtmlRenderers).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
            .Where(m => m.IsDefined(typeof(HtmlRendererAttribute), inherit: false)))
        {
            var parameters = method.GetParameters();
            if (method.ReturnType != typeof(string) || parameters.Length != 1)
                throw new InvalidOperationException($"{method.DeclaringType}.{method.Name}: an [HtmlRenderer] method takes one value and returns string.");
            Type rendered = parameters[0].ParameterType;
            if (rendered.IsGenericType) rendered = rendered.GetGenericTypeDefinition();
            if (!found.TryAdd(rendered, method.IsGenericMethodDefinition ? GenericRenderer(method) : value => Invoke(method, value)))
                throw new InvalidOperationException($"{rendered} has two [HtmlRenderer] methods; keep one.");
        }
        return found;
    }

    // A renderer of an open generic type (ResolvedConfig<T>) is closed over each value's own type arguments.
    private static Func<object, string> GenericRenderer(System.Reflection.MethodInfo method) =>
        value => Invoke(method.MakeGenericMethod(value.GetType().GetGenericArguments()), value);

    // A renderer's exception surfaces as itself (as a ToHtml's did), not wrapped in a TargetInvocationException.
    private static string Invoke(System.Reflection.MethodInfo method, object value) =>
        (string)method.Invoke(null, System.Reflection.BindingFlags.DoNotWrapExceptions, null, [value], null)!;
}

/// <summary>
/// .NET Interactive's convention-based formatter registration: the kernel looks for an attribute *named*
/// TypeFormatterSourceAttribute and calls <c>CreateTypeFormatters()</c> on the source by reflection, so the library
/// needs no reference to the kernel's Formatting package (the hosts provide it; two copies conflict). A result type
/// carries <c>[TypeFormatterSource(typeof(HtmlFormatterSource))]</c> and nothing else of its display.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;
    public string[]? PreferredMimeTypes { get; set; } = ["text/html", "text/plain"];
}

/// <summary>Formatter source for every type <see cref="HtmlRenderers"/> can draw (HTML), with its ToString as text/plain.</summary>
public sealed class HtmlFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters() =>
    [
        new ConventionFormatter("text/html", (value, writer) =>
        {
            if (!HtmlRenderers.TryRender(value, out string? html)) return false;
            writer.Write(html);
            return true;
        }),
        new ConventionFormatter("text/plain", (value, writer) =>
        {
            if (!HtmlRenderers.CanRender(value)) return false;
            writer.Write(value.ToString());
            return true;
        }),
    ];

    /// <summary>Shape the kernel expects by convention: MimeType, Type and bool Format(object, TextWriter).</summary>
    public sealed class ConventionFormatter(string mimeType, Func<object, TextWriter, bool> format)
    {
        public string MimeType { get; } = mimeType;
        public Type Type { get; } = typeof(object);
        public bool Format(object instance, TextWriter writer) => format(instance, writer);
    }
}

/// <summary>Small HTML helpers shared by every displayable type (escaping is never optional).</summary>
public static class Html
{
    /// <summary>HTML-escapes any user-provided text.</summary>
    public static string Escape(object? value) => WebUtility.HtmlEncode(value switch
    {
        null => "",
        double d => FormatNumber(d),
        float f => FormatNumber(f),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    });

    /// <summary>Numbers as a reader wants them in a table: up to 6 significant digits, NaN and ±∞ spelled out.</summary>
    public static string FormatNumber(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "∞",
        double.NegativeInfinity => "−∞",
        _ => value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A styled table; every header and cell is escaped.</summary>
    public static string Table(IEnumerable<string> headers, IEnumerable<IEnumerable<object?>> rows, string? caption = null)
    {
        var sb = new StringBuilder();
        sb.Append("<table class=\"cw-table\" style=\"border-collapse:collapse;font-family:system-ui,sans-serif;font-size:13px\">");
        if (caption is not null) sb.Append("<caption style=\"text-align:left;font-weight:600;padding:4px 0\">").Append(Escape(caption)).Append("</caption>");
        sb.Append("<thead><tr>");
        foreach (var h in headers)
            sb.Append("<th style=\"border-bottom:2px solid #888;padding:3px 8px;text-align:left\">").Append(Escape(h)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row)
            {
                var align = cell is double or float or int or long or decimal ? "right" : "left";
                sb.Append("<td style=\"border-bottom:1px solid #ddd;padding:3px 8px;text-align:").Append(align).Append("\">").Append(Escape(cell)).Append("</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        return sb.ToString();
    }
}
