using System.Text.Json.Nodes;
using Courseware.Drift;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Courseware.Cli.Server;

/// <summary>
/// Drift monitoring on the tracking server: <c>GET /metrics</c> in Prometheus's text format 0.0.4 (the gauges of
/// <see cref="DriftExporter"/>, re-scored when a monitor's files change), and <c>GET /api/2.0/courseware/monitors</c>,
/// each monitor's state as JSON with the error that took it down, if any. Without <c>--monitors</c>, /metrics
/// still answers (with <c>courseware_drift_monitors 0</c>) so a scrape target can be set up before the monitors.
/// </summary>
internal static class DriftMetricsApi
{
    public static void Map(IEndpointRouteBuilder app, DriftExporter? exporter)
    {
        exporter ??= new DriftExporter(new MonitorConfig(MonitorConfig.DefaultPrefix, []));
        var reported = new Dictionary<string, string?>(StringComparer.Ordinal);
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            var text = await exporter.ScrapeAsync(context.RequestAborted);
            LogNewErrors(exporter, reported);
            context.Response.ContentType = PrometheusMetrics.ContentType;
            await context.Response.WriteAsync(text, context.RequestAborted);
        });
        app.MapGet("/api/2.0/courseware/monitors", async (HttpContext context) =>
        {
            await exporter.RefreshAsync(context.RequestAborted);
            LogNewErrors(exporter, reported);
            var monitors = new JsonArray(exporter.Statuses.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["up"] = s.Result is not null,
                ["error"] = s.Error,
                ["refreshed_at"] = s.RefreshedAt?.ToString("O"),
                ["latest_window"] = s.Result?.Latest.Window.Label,
                ["windows"] = s.Result?.Windows.Count,
                ["drifted_columns"] = s.Result is { } r ? new JsonArray(r.Latest.Report.Columns.Where(c => c.Drifted).Select(c => (JsonNode)JsonValue.Create(c.Name)!).ToArray()) : null,
                ["dataset_drift"] = s.Result?.Latest.Report.DatasetDrift,
            }).ToArray());
            await MlflowApi.WriteJsonAsync(context, 200, new JsonObject { ["monitors"] = monitors });
        });
    }

    // A monitor that starts failing (or fails differently) is logged once, not at every scrape.
    private static void LogNewErrors(DriftExporter exporter, Dictionary<string, string?> reported)
    {
        lock (reported)
        {
            foreach (var status in exporter.Statuses)
            {
                if (reported.GetValueOrDefault(status.Name) == status.Error) continue;
                reported[status.Name] = status.Error;
                if (status.Error is not null) Console.Error.WriteLine($"Drift monitor '{status.Name}' is down: {status.Error}");
            }
        }
    }
}
