using Courseware.Notebooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Courseware.Cli.Server;

/// <summary>
/// The web UI: one static page (wwwroot/, embedded in the CLI assembly) that renders everything with DOM text nodes
/// from the REST API, and plotly.js from Courseware.dll, so it works with no internet. The CSP forbids inline
/// script, so even a string that slipped into markup could not run.
/// </summary>
internal static class WebUi
{
    private const string ContentSecurityPolicy =
        // plotly's WebGL traces compile shaders with Function(): 'unsafe-eval'; its styles are injected inline.
        "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    private static readonly Dictionary<string, (string ContentType, byte[] Body)> Assets = Load();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext c) => Send(c, "index.html"));
        app.MapGet("/static/plotly.min.js", (HttpContext c) =>
        {
            c.Response.Headers.CacheControl = "public, max-age=86400";
            return Results.Text(PlotlyJs.Source, "text/javascript; charset=utf-8");
        });
        app.MapGet("/static/{name}", (HttpContext c, string name) => Send(c, name));
    }

    private static IResult Send(HttpContext c, string name)
    {
        if (!Assets.TryGetValue(name, out var asset)) return Results.NotFound();
        c.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        c.Response.Headers.CacheControl = "no-cache";
        return Results.Bytes(asset.Body, asset.ContentType);
    }

    private static Dictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(WebUi).Assembly;
        var assets = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var name = resource["wwwroot/".Length..];
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            assets[name] = (type, buffer.ToArray());
        }
        return assets;
    }
}
