using System.Text.Json.Nodes;
using Courseware.Sweeps;
using Courseware.Tracking;
using Courseware.Tracking.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Courseware.Cli.Server;

/// <summary>
/// Read-only sweep endpoints for the web UI's sweep pages (wwwroot/sweeps.js), under <c>/api/2.0/courseware/sweeps/</c>
/// (mirrored under <c>/ajax-api/</c>): <c>list</c> (every sweep at a glance) and <c>get?sweep_id=</c> (state, trials with
/// their configuration and value, best trial, best-so-far curve, parallel-coordinates axes, warm start). Everything is
/// computed by the library (<see cref="Sweep"/>, <see cref="SweepDashboard"/>); this file only writes JSON.
/// </summary>
internal static class SweepApi
{
    private static readonly string[] Prefixes = ["/api/2.0/courseware/sweeps/", "/ajax-api/2.0/courseware/sweeps/"];

    public static void Map(IEndpointRouteBuilder app, ITrackingStore store)
    {
        // A reader only: it neither owns the store nor fails stale runs (that is the agents' business).
        var tracker = Tracker.Open(store, options: new TrackerOptions { FailStaleRunsOnOpen = false });
        app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(tracker.Dispose);
        foreach (var prefix in Prefixes)
        {
            app.MapGet(prefix + "list", (HttpContext c) => Guard(c, async () =>
            {
                var sweeps = await Sweep.ListAsync(tracker, cancellationToken: c.RequestAborted);
                return new JsonObject { ["sweeps"] = Array(sweeps.Select(Summary)) };
            }));
            app.MapGet(prefix + "get", (HttpContext c) => Guard(c, async () =>
            {
                var id = c.Request.Query["sweep_id"].ToString();
                if (string.IsNullOrEmpty(id))
                    throw new TrackingException(TrackingErrorCode.InvalidParameterValue, "Missing value for required parameter 'sweep_id'.", "sweep_id");
                Sweep sweep;
                try
                {
                    sweep = await Sweep.OpenAsync(tracker, id, c.RequestAborted);
                }
                catch (ArgumentException e)
                {
                    throw new TrackingException(TrackingErrorCode.ResourceDoesNotExist, e.Message, "sweep_id");
                }
                return await DetailAsync(sweep, c.RequestAborted);
            }));
        }
    }

    private static async Task<JsonObject> DetailAsync(Sweep sweep, CancellationToken ct)
    {
        var summary = Summary(await sweep.GetSummaryAsync(ct));
        summary["seed"] = sweep.Seed;
        summary["run_cap"] = sweep.Config.RunCap;
        summary["yaml"] = sweep.Yaml;
        var trials = await sweep.GetTrialsAsync(ct);
        var metric = sweep.Config.Metric;
        var result = new JsonObject
        {
            ["sweep"] = summary,
            ["parameters"] = Array(sweep.Config.Space.Searchable.Select(p => new JsonObject
            {
                ["name"] = p.Name, ["distribution"] = p.Parameter.Distribution.ToName(), ["log"] = p.Parameter.IsLogScale,
            })),
            ["trials"] = Array(trials.Select(t => new JsonObject
            {
                ["number"] = t.Number,
                ["attempt"] = t.Attempt,
                ["run_id"] = t.RunId,
                ["name"] = t.Name,
                ["state"] = t.State.ToString().ToLowerInvariant(),
                ["value"] = metric is null ? null : t.Objective(metric.Goal),
                ["steps"] = t.History.Count(double.IsFinite),
                ["config"] = Config(t.Config),
                ["note"] = t.Note,
                ["stop_reason"] = t.StopReason,
            })),
        };
        if (metric is not null)
        {
            var dashboard = new SweepDashboard(sweep.Config, trials);
            result["best"] = dashboard.Best is { } best
                ? new JsonObject { ["number"] = best.Number, ["run_id"] = best.RunId, ["name"] = best.Name, ["value"] = best.Objective(metric.Goal), ["config"] = Config(best.Config) }
                : null;
            result["best_so_far"] = Array(dashboard.BestSoFarPoints().Select(p => new JsonObject
            {
                ["number"] = p.Trial.Number, ["run_id"] = p.Trial.RunId, ["name"] = p.Trial.Name,
                ["state"] = p.Trial.State.ToString().ToLowerInvariant(), ["value"] = p.Value, ["best"] = p.Best,
            }));
            result["parallel"] = new JsonObject
            {
                ["run_ids"] = Array(dashboard.Scored.Select(t => JsonValue.Create(t.RunId))),
                ["axes"] = Array(dashboard.Scored.Count == 0 ? [] : dashboard.ParallelAxes().Select(a =>
                {
                    var axis = new JsonObject { ["label"] = a.Label, ["values"] = Array(a.Values.Select(v => JsonValue.Create(v))) };
                    if (a.TickLabels is not null) axis["tick_labels"] = Array(a.TickLabels.Select(l => JsonValue.Create(l)));
                    return axis;
                })),
            };
            // W&B's importance panel; as in the notebook dashboard, from 3 scored trials on.
            result["importance"] = dashboard.Scored.Count < 3 ? null : Array(dashboard.Importance().Features.Select(f => new JsonObject
            {
                ["feature"] = f.Feature, ["importance"] = f.Importance, ["correlation"] = double.IsFinite(f.Correlation) ? f.Correlation : null,
            }));
        }
        if (sweep.WarmStart is { } warm)
            result["warm_start"] = new JsonObject
            {
                ["experiment"] = warm.Experiment,
                ["filter"] = warm.Filter,
                ["used"] = Array(warm.Used.Select(r => new JsonObject { ["run_id"] = r.RunId, ["name"] = r.Name, ["value"] = r.Value, ["config"] = Config(r.Config!) })),
                ["skipped"] = Array(warm.Skipped.Select(r => new JsonObject { ["run_id"] = r.RunId, ["name"] = r.Name, ["reason"] = r.SkipReason })),
            };
        return result;
    }

    private static JsonObject Summary(SweepSummary s) => new()
    {
        ["sweep_id"] = s.Id,
        ["name"] = s.Name,
        ["experiment_id"] = s.ExperimentId,
        ["method"] = s.Method.ToString().ToLowerInvariant(),
        ["metric"] = s.Metric is { } m
            ? new JsonObject { ["name"] = m.Name, ["goal"] = m.Goal.ToString().ToLowerInvariant(), ["target"] = m.Target }
            : null,
        ["state"] = s.State.ToString().ToLowerInvariant(),
        ["completion"] = s.Completion,
        ["trials"] = s.Trials,
        ["start_time"] = s.StartTime,
        ["warm_start_runs"] = s.WarmStartRuns,
    };

    /// <summary>A configuration as a JSON object with typed values (numbers stay numbers, text stays text).</summary>
    private static JsonObject Config(ParameterValues config)
    {
        var o = new JsonObject();
        foreach (var (name, value) in config)
            o[name] = value switch
            {
                null => null,
                string s => s,
                bool b => b,
                long l => l,
                double d when double.IsFinite(d) => d,
                _ => ParameterValues.KeyOf(value),
            };
        return o;
    }

    private static JsonArray Array(IEnumerable<JsonNode?> items) => new(items.ToArray());

    private static Task Guard(HttpContext c, Func<Task<JsonObject>> body) => MlflowApi.GuardAsync(c, async () => await MlflowApi.WriteJsonAsync(c, 200, await body()));
}
