using System.Text.Json.Nodes;
using Courseware.Tracking;
using Courseware.Tracking.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Courseware.Cli.Server;

/// <summary>
/// Artifact endpoints: MLflow's run-scoped <c>artifacts/list</c> and <c>/get-artifact</c>, and the proxied
/// <c>/api/2.0/mlflow-artifacts/artifacts</c> API (list, download, upload) relative to the store's artifact root, which
/// the REST client store uses to log files. Every path goes through <see cref="LocalArtifactRepository.Resolve"/>
/// (no root, drive, '.' or '..' parts, must stay under the root) and may not pass through a symbolic link. Downloads are
/// sent as attachments with a sandboxing CSP, so an HTML artifact cannot run script in the UI's origin.
/// </summary>
internal static class ArtifactApi
{
    private const string ProxyPrefix = "/api/2.0/mlflow-artifacts/artifacts";
    private static readonly LocalArtifactRepository Repository = new();

    public static void Map(IEndpointRouteBuilder app, ITrackingStore store, long maxUploadBytes)
    {
        foreach (var prefix in new[] { "/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/" })
            app.MapGet(prefix + "artifacts/list", (HttpContext c) => MlflowApi.GuardAsync(c, async () =>
            {
                var artifactUri = await RunArtifactUriAsync(c, store);
                var folder = Query(c, "path");
                var files = await ListAsync(artifactUri, folder, c.RequestAborted);
                await MlflowApi.WriteJsonAsync(c, 200, new JsonObject
                {
                    ["root_uri"] = artifactUri,
                    ["files"] = Files(files, relativeTo: null),
                });
            }));
        foreach (var path in new[] { "/get-artifact", "/ajax-api/2.0/mlflow/get-artifact" })
            app.MapGet(path, (HttpContext c) => MlflowApi.GuardAsync(c, async () =>
            {
                await SendFileAsync(c, await RunArtifactUriAsync(c, store), Query(c, "path") ?? throw Missing("path"));
            }));

        app.MapGet(ProxyPrefix, (HttpContext c) => MlflowApi.GuardAsync(c, async () =>
        {
            var folder = Query(c, "path");
            var files = await ListAsync(store.DefaultArtifactRoot, folder, c.RequestAborted);
            // MLflow's proxy lists paths relative to the folder asked for.
            await MlflowApi.WriteJsonAsync(c, 200, new JsonObject { ["files"] = Files(files, folder) });
        }));
        app.MapGet(ProxyPrefix + "/{**path}", (HttpContext c) => MlflowApi.GuardAsync(c, () => SendFileAsync(c, store.DefaultArtifactRoot, ProxyPath(c))));
        app.MapPut(ProxyPrefix + "/{**path}", (HttpContext c) => MlflowApi.GuardAsync(c, async () =>
        {
            var path = ProxyPath(c);
            CheckNoLinks(store.DefaultArtifactRoot, path);
            // The body streams to a temp file beside the target (bounded memory); Kestrel stops it at the limit.
            if (c.Request.ContentLength > maxUploadBytes) throw UploadTooLarge(maxUploadBytes);
            c.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = maxUploadBytes;
            try
            {
                await Repository.WriteAsync(store.DefaultArtifactRoot, path, c.Request.Body, c.RequestAborted);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw UploadTooLarge(maxUploadBytes);
            }
            await MlflowApi.WriteJsonAsync(c, 200, new JsonObject());
        }));
    }

    // The artifact path from the raw request target, each segment unescaped: the server leaves %2F encoded in the
    // routed path, and "..%2F" must be seen as the ".." it means before the path is checked.
    private static string ProxyPath(HttpContext c)
    {
        var raw = c.Features.Get<IHttpRequestFeature>()!.RawTarget.Split('?')[0];
        var rest = raw.Length > ProxyPrefix.Length + 1 ? raw[(ProxyPrefix.Length + 1)..] : "";
        return string.Join('/', rest.Split('/').Select(Uri.UnescapeDataString));
    }

    private static async Task<IReadOnlyList<ArtifactInfo>> ListAsync(string artifactUri, string? folder, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(folder)) CheckNoLinks(artifactUri, folder);
        return await Repository.ListAsync(artifactUri, string.IsNullOrEmpty(folder) ? null : folder, ct);
    }

    private static JsonArray Files(IEnumerable<ArtifactInfo> files, string? relativeTo) => new(files.Select(f =>
    {
        var path = relativeTo is { Length: > 0 } ? f.Path[(relativeTo.TrimEnd('/').Length + 1)..] : f.Path;
        var o = new JsonObject { ["path"] = path, ["is_dir"] = f.IsDirectory };
        if (f.FileSize is { } size) o["file_size"] = size;
        return (JsonNode)o;
    }).ToArray());

    private static async Task SendFileAsync(HttpContext c, string artifactUri, string artifactPath)
    {
        CheckNoLinks(artifactUri, artifactPath);
        await using var stream = await Repository.OpenReadAsync(artifactUri, artifactPath, c.RequestAborted);
        var name = artifactPath.Split('/', '\\')[^1];
        c.Response.ContentType = ContentType(name);
        c.Response.Headers.ContentDisposition = $"attachment; filename*=UTF-8''{Uri.EscapeDataString(name)}";
        c.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        c.Response.ContentLength = stream.Length;
        await stream.CopyToAsync(c.Response.Body, c.RequestAborted);
    }

    // Text is served as text/plain whatever it holds (an .html artifact must not render as a page of ours).
    private static string ContentType(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".svg" => "text/plain; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        ".txt" or ".csv" or ".tsv" or ".md" or ".log" or ".yaml" or ".yml" or ".html" or ".htm" or ".py" or ".cs" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };

    /// <summary>Refuses paths that pass through a symbolic link: a link inside the artifact root could point anywhere.</summary>
    private static void CheckNoLinks(string artifactUri, string artifactPath)
    {
        var full = LocalArtifactRepository.Resolve(artifactUri, artifactPath);
        if (ArtifactLocations.FirstLink(ArtifactLocations.LocalPathOf(artifactUri), full) is not null)
            throw new TrackingException(TrackingErrorCode.InvalidParameterValue,
                $"Artifact path '{artifactPath}' goes through a symbolic link, which the server does not follow.", "path");
    }

    // A run's files are served only from under the server's artifact root, wherever the store says they are (an
    // experiment created through the library may point anywhere on this machine).
    private static async Task<string> RunArtifactUriAsync(HttpContext c, ITrackingStore store)
    {
        var run = await store.GetRunAsync(Query(c, "run_id") ?? Query(c, "run_uuid") ?? throw Missing("run_id"), c.RequestAborted);
        if (!ArtifactLocations.IsUnder(run.Info.ArtifactUri, store.DefaultArtifactRoot))
            throw new TrackingException(TrackingErrorCode.InvalidParameterValue,
                $"Run {run.Info.RunId} keeps its artifacts outside this server's artifact root; the server does not serve them.", "run_id");
        return run.Info.ArtifactUri;
    }

    private static string? Query(HttpContext c, string name) => c.Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;

    private static TrackingException Missing(string field) =>
        new(TrackingErrorCode.InvalidParameterValue, $"Missing value for required parameter '{field}'.", field);

    private static TrackingException UploadTooLarge(long limit) => new(TrackingErrorCode.RequestLimitExceeded,
        $"The artifact is larger than this server accepts ({limit:N0} bytes); the server's --max-artifact-mb sets the limit.", "body");
}
