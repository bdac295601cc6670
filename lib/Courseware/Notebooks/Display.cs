using System.Net;
using System.Text;

namespace Courseware.Notebooks;

/// <summary>
/// A library object that renders itself as HTML in a notebook (tables, reports, charts).
/// Concrete types opt in with <c>[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = new[] { "text/html" })]</c>
/// (or by deriving from <see cref="HtmlDisplayable"/>), which .NET Interactive picks up the first time it displays one.
/// </summary>
public interface IHtmlDisplayable
{
    /// <summary>A self-contained HTML fragment (no external resources).</summary>
    string ToHtml();
}

/// <summary>Base class for displayable values: derives the notebook formatter registration for you.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public abstract class HtmlDisplayable : IHtmlDisplayable
{
    /// <inheritdoc />
    public abstract string ToHtml();
}

/// <summary>
/// .NET Interactive's convention-based formatter registration: the kernel looks for an attribute *named*
/// TypeFormatterSourceAttribute and calls <c>CreateTypeFormatters()</c> on the source by reflection, so the library
/// needs no reference to the kernel's Formatting package (the hosts provide it; two copies conflict).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;
    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>Formatter source for every <see cref="IHtmlDisplayable"/> (HTML) with its ToString as text/plain.</summary>
public sealed class HtmlFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters() =>
    [
        new ConventionFormatter("text/html", (value, writer) =>
        {
            if (value is not IHtmlDisplayable html) return false;
            writer.Write(html.ToHtml());
            return true;
        }),
        new ConventionFormatter("text/plain", (value, writer) =>
        {
            if (value is not IHtmlDisplayable) return false;
            writer.Write(value.ToString());
            return true;
        }),
    ];

    /// <summary>Shape the kernel expects by convention: MimeType, Type and bool Format(object, TextWriter).</summary>
    public sealed class ConventionFormatter(string mimeType, Func<object, TextWriter, bool> format)
    {
        public string MimeType { get; } = mimeType;
        public Type Type { get; } = typeof(IHtmlDisplayable);
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
