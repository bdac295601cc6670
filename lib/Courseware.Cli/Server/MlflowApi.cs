using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Registry;
using Courseware.Tracking;
using Courseware.Tracking.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Courseware.Cli.Server;

/// <summary>
/// The HTTP side of the library's REST endpoints (<see cref="MlflowEndpoints"/>, <see cref="RegistryEndpoints"/>): each
/// is mapped at its path, reads its arguments (query string for GET, JSON body for POST) and writes its JSON; errors
/// become MLflow's <c>{"error_code", "message"}</c> with its HTTP status. Unknown API paths get MLflow's
/// ENDPOINT_NOT_FOUND, a known path asked with the wrong method a 405.
/// </summary>
internal static class MlflowApi
{
    public static void Map(IEndpointRouteBuilder app, IEnumerable<RestEndpoint> endpoints)
    {
        foreach (var endpoint in endpoints)
            app.MapMethods(endpoint.Path, endpoint.Methods, (HttpContext context) => HandleAsync(context, endpoint));
        app.MapGet("/health", () => Results.Text("OK"));
        // MLflow answers unknown API paths with ENDPOINT_NOT_FOUND, and a known path asked with the wrong method with 405.
        app.Map("/api/{**rest}", (HttpContext c, EndpointDataSource routes) =>
        {
            var allowed = AllowedMethods(routes, c.Request.Path);
            if (allowed.Count == 0)
                return WriteJsonAsync(c, 404, new JsonObject
                {
                    ["error_code"] = "ENDPOINT_NOT_FOUND",
                    ["message"] = $"No API endpoint {c.Request.Method} {c.Request.Path}.",
                });
            c.Response.Headers.Allow = string.Join(", ", allowed);
            return WriteJsonAsync(c, 405, new JsonObject
            {
                ["error_code"] = "BAD_REQUEST",
                ["message"] = $"{c.Request.Path} does not answer {c.Request.Method}; use {string.Join(" or ", allowed)}.",
            });
        });
    }

    // The methods of the endpoints mapped at exactly this path (route patterns without parameters).
    private static List<string> AllowedMethods(EndpointDataSource endpoints, PathString path) =>
        endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Count == 0 && string.Equals(e.RoutePattern.RawText?.TrimStart('/'), path.Value?.TrimStart('/'), StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

    private static Task HandleAsync(HttpContext context, RestEndpoint endpoint) => GuardAsync(context, async () =>
    {
        JsonObject args;
        if (IsQueryRequest(context.Request))
            args = QueryArguments(context.Request);
        else
        {
            using var body = await ReadBodyAsync(context.Request, endpoint.MaxRequestBytes);
            if (body.Length > 0 && endpoint.TryHandleBodyAsync is { } handleBody && await handleBody(body.Memory, context.RequestAborted))
            {
                await WriteEmptyObjectAsync(context);
                return;
            }
            args = ParseArguments(body.Memory.Span);
        }
        var result = await endpoint.HandleAsync(args, context.RequestAborted);
        await WriteJsonAsync(context, 200, result ?? new JsonObject());
    });

    /// <summary>
    /// Runs an endpoint's body and answers what went wrong the one way every endpoint of this server does: MLflow's
    /// <c>{"error_code", "message", "field"}</c> with the code's HTTP status (unless the response has already begun).
    /// </summary>
    internal static async Task GuardAsync(HttpContext context, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (!context.Response.HasStarted && ToTrackingError(e) is { } error)
        {
            await WriteJsonAsync(context, error.HttpStatus, MlflowEndpoints.ErrorBody(error));
        }
    }

    /// <summary>Maps what can go wrong in a request to an MLflow error; unexpected failures become INTERNAL_ERROR without internals.</summary>
    internal static TrackingException? ToTrackingError(Exception e) => e switch
    {
        TrackingException t => t,
        JsonException j => new TrackingException(TrackingErrorCode.InvalidParameterValue, $"body: not valid JSON ({j.Message})", "body"),
        OperationCanceledException => null,
        _ => Internal(e),
    };

    // The caller learns that the server failed, not where its files are: details go to the server's own log.
    private static TrackingException Internal(Exception e)
    {
        Console.Error.WriteLine($"Internal error: {e}");
        return new TrackingException(TrackingErrorCode.InternalError, $"Internal error ({e.GetType().Name}); the server's log has the details.");
    }

    // GET reads the query string; so does a DELETE that sends its arguments there and no body (never a POST: a
    // bodiless cross-site POST needs no CORS preflight).
    private static bool IsQueryRequest(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        || (HttpMethods.IsDelete(request.Method) && request.ContentLength is 0 or null && request.ContentType is null && request.QueryString.HasValue);

    /// <summary>The arguments of a GET: the query string (repeated keys become arrays).</summary>
    private static JsonObject QueryArguments(HttpRequest request)
    {
        var args = new JsonObject();
        foreach (var (key, values) in request.Query)
            args[key] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        return args;
    }

    /// <summary>The arguments of a POST: its JSON body, an object (none: an empty one).</summary>
    private static JsonObject ParseArguments(ReadOnlySpan<byte> body) =>
        body.IsEmpty ? new JsonObject()
        : JsonNode.Parse(body) as JsonObject
            ?? throw new TrackingException(TrackingErrorCode.InvalidParameterValue, "The request body must be a JSON object.", "body");

    /// <summary>A request body read once into one pooled buffer (checked against the limit as it arrives).</summary>
    private static async Task<PooledBody> ReadBodyAsync(HttpRequest request, int maxBody)
    {
        if (request.ContentLength > maxBody)
            throw BodyTooLarge(maxBody);
        // Requiring JSON keeps browsers from posting "simple" cross-site forms here (a JSON content type needs CORS).
        if (request.ContentLength != 0 && request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            throw new TrackingException(TrackingErrorCode.BadRequest,
                $"{request.Method} bodies must be JSON (Content-Type: application/json), got '{request.ContentType}'.", "Content-Type");
        // One byte more than the declared length, so that the read that finds the end needs no larger buffer.
        var body = new PooledBody(request.ContentLength is { } declared ? (int)declared + 1 : 16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(body.Free(), request.HttpContext.RequestAborted)) > 0)
            {
                if (body.Length + read > maxBody) throw BodyTooLarge(maxBody);
                body.Length += read;
            }
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    private sealed class PooledBody(int capacity) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(capacity);

        public int Length { get; set; }

        public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

        // The free part of the buffer, grown (doubled) when full.
        public Memory<byte> Free()
        {
            if (Length == _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                _buffer.AsSpan(0, Length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
            return _buffer.AsMemory(Length);
        }

        public void Dispose()
        {
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private static TrackingException BodyTooLarge(int maxBody) =>
        new(TrackingErrorCode.InvalidParameterValue,
            $"Request body exceeds the limit of {maxBody} bytes{(maxBody == MlflowEndpoints.MaxBatchRequestBytes ? " for a log-batch request (MLflow's limit); split it" : "")}.", "body");

    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    // The empty object most writes answer, with its length (no chunked framing for two bytes).
    private static Task WriteEmptyObjectAsync(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = 2;
        return context.Response.Body.WriteAsync(EmptyObject, context.RequestAborted).AsTask();
    }

    /// <summary>Writes a JSON response.</summary>
    internal static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter.AsStream());
        body.WriteTo(writer);
    }
}
