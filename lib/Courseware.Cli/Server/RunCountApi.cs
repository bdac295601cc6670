using System.Text.Json.Nodes;
using Courseware.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Courseware.Cli.Server;

/// <summary>
/// The runs table's total, for the web UI: <c>GET /ajax-api/2.0/courseware/runs/count?experiment_id=&amp;filter=</c>
/// (also under <c>/api/</c>) answers <c>{"count": n}</c>, the runs a <c>runs/search</c> with that filter finds in all
/// (<see cref="SqlTrackingStore.CountRunsAsync"/>); a store that cannot count answers <c>{}</c> and the UI shows no total.
/// </summary>
internal static class RunCountApi
{
    public static void Map(IEndpointRouteBuilder app, ITrackingStore store)
    {
        foreach (var prefix in new[] { "/api/2.0/courseware/runs/", "/ajax-api/2.0/courseware/runs/" })
            app.MapGet(prefix + "count", (HttpContext c) => MlflowApi.GuardAsync(c, async () =>
            {
                var id = c.Request.Query["experiment_id"].ToString();
                if (string.IsNullOrEmpty(id))
                    throw new TrackingException(TrackingErrorCode.InvalidParameterValue, "Missing value for required parameter 'experiment_id'.", "experiment_id");
                var filter = c.Request.Query["filter"].ToString();
                var body = store is SqlTrackingStore sql
                    ? new JsonObject { ["count"] = await sql.CountRunsAsync([id], filter.Length == 0 ? null : filter, cancellationToken: c.RequestAborted) }
                    : [];
                await MlflowApi.WriteJsonAsync(c, 200, body);
            }));
    }
}
