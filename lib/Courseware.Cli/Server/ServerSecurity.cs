using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Courseware.Cli.Server;

/// <summary>
/// Guards every request. With a token: the request must carry <c>Authorization: Bearer &lt;token&gt;</c>, or the
/// HttpOnly cookie a browser gets by opening any page once with <c>?token=&lt;token&gt;</c>. On a loopback bind the Host
/// header must name this machine (defeats DNS rebinding), and writes from another origin are refused (a web page the
/// user visits cannot post to the server behind their back). <c>/health</c> stays open so launchers can poll it.
/// </summary>
internal sealed class ServerSecurity(RequestDelegate next, ServerOptions options)
{
    internal const string CookieName = "courseware_token";

    private readonly byte[]? _token = options.Token is null ? null : Encoding.UTF8.GetBytes(options.Token);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";

        if (options.IsLoopback && !IsLocalHostHeader(request.Host.Host))
        {
            await Deny(context, StatusCodes.Status403Forbidden, $"Host '{request.Host.Host}' is not this machine; open the server at 127.0.0.1 or localhost.");
            return;
        }
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)
            && request.Headers.Origin is [{ } origin] && !SameOrigin(origin, request))
        {
            await Deny(context, StatusCodes.Status403Forbidden, $"Cross-origin write from '{origin}' refused.");
            return;
        }
        if (_token is not null && request.Path != "/health")
        {
            if (request.Query.TryGetValue("token", out var given) && HttpMethods.IsGet(request.Method) && Matches(given.ToString()))
            {
                // Trade the token in the URL for a cookie, then drop it from the address bar (and the history).
                context.Response.Cookies.Append(CookieName, options.Token!, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
                var query = QueryString.Create(request.Query.Where(q => q.Key != "token"));
                context.Response.Redirect(LocalTarget(request.PathBase + request.Path) + query);
                return;
            }
            var header = request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim()
                : request.Cookies[CookieName];
            if (presented is null || !Matches(presented))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Deny(context, StatusCodes.Status401Unauthorized,
                    "This server needs a bearer token: send 'Authorization: Bearer <token>', or open the UI once with ?token=<token>.");
                return;
            }
        }
        await next(context);
    }

    // "//evil.example/x" or "/\\evil.example" in a Location header is another host to a browser: keep one leading slash.
    internal static string LocalTarget(PathString path) => new PathString("/" + (path.Value ?? "").TrimStart('/', '\\')).ToUriComponent();

    private bool Matches(string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token);

    // A name that merely starts with "127." (127.attacker.example) is a name, not a loopback address.
    private static bool IsLocalHostHeader(string host) =>
        host == "localhost" || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var o) && string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private static Task Deny(HttpContext context, int status, string message)
    {
        var code = status == StatusCodes.Status401Unauthorized ? "UNAUTHENTICATED" : "PERMISSION_DENIED";
        return MlflowApi.WriteJsonAsync(context, status, new System.Text.Json.Nodes.JsonObject { ["error_code"] = code, ["message"] = message });
    }
}
