using System.Net;
using System.Text.Json.Nodes;
using Courseware.Sweeps;
using Courseware.Tracking;

namespace Courseware.Tests.Server;

/// <summary>
/// The sweep dashboard endpoints over a real server: the list with each sweep's state, and one sweep's trials, best
/// trial, best-so-far curve and parallel-coordinates axes — expected values computed here from the training function.
/// </summary>
public sealed class SweepApiTests : IAsyncLifetime
{
    private LiveServer _server = null!;
    private HttpClient _http = null!;
    private Tracker _tracker = null!;

    public async Task InitializeAsync()
    {
        _server = await LiveServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        _tracker = Tracker.Open(_server.Store);
    }

    public async Task DisposeAsync()
    {
        await _tracker.DisposeAsync();
        _http.Dispose();
        await _server.DisposeAsync();
    }

    internal const string Grid = """
        name: grid-demo
        method: grid
        metric: {name: loss, goal: minimize}
        parameters:
          lr: {values: [0.1, 0.01, 0.001]}
          opt: {values: [adam, sgd]}
        """;

    /// <summary>Loss per epoch: 1/(epoch+1) + |log10 lr + 2| + (0.5 for sgd); the best (last) epoch is the trial's value.</summary>
    internal static double Loss(double lr, string opt, int epoch) => 1.0 / (epoch + 1) + Math.Abs(Math.Log10(lr) + 2) + (opt == "sgd" ? 0.5 : 0);

    internal static void Train(Trial trial)
    {
        for (var epoch = 0; epoch < 3; epoch++) trial.Log(epoch, new { loss = Loss(trial.Get<double>("lr"), trial.Get<string>("opt"), epoch) });
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string pathAndQuery)
    {
        using var response = await _http.GetAsync(pathAndQuery);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task List_and_get_show_state_trials_best_run_best_so_far_and_parallel_axes()
    {
        var finished = Sweep.Create(_tracker, Grid, experiment: "demo", seed: 1);
        finished.RunAgent(null, Train);
        var stopped = Sweep.Create(_tracker, Grid.Replace("grid-demo", "stopped-demo"), experiment: "demo");
        stopped.RunAgent(2, Train);
        stopped.Stop();

        var (status, list) = await GetAsync("/api/2.0/courseware/sweeps/list");
        Assert.Equal(HttpStatusCode.OK, status);
        var sweeps = list["sweeps"]!.AsArray();
        Assert.Equal([stopped.Id, finished.Id], sweeps.Select(s => s!["sweep_id"]!.GetValue<string>())); // newest first
        Assert.Equal(["stopped", "finished"], sweeps.Select(s => s!["state"]!.GetValue<string>()));
        Assert.Equal([2, 6], sweeps.Select(s => s!["trials"]!.GetValue<int>()));
        Assert.Equal("every configuration has been run", sweeps[1]!["completion"]!.GetValue<string>());
        Assert.Equal(("grid", "loss", "minimize"), (sweeps[1]!["method"]!.GetValue<string>(), sweeps[1]!["metric"]!["name"]!.GetValue<string>(), sweeps[1]!["metric"]!["goal"]!.GetValue<string>()));

        var (_, body) = await GetAsync($"/ajax-api/2.0/courseware/sweeps/get?sweep_id={finished.Id}");
        Assert.Equal("sweep-grid-demo", body["sweep"]!["name"]!.GetValue<string>());
        Assert.Equal(Grid, body["sweep"]!["yaml"]!.GetValue<string>());
        Assert.Equal([("lr", "categorical", false), ("opt", "categorical", false)], body["parameters"]!.AsArray()
            .Select(p => (p!["name"]!.GetValue<string>(), p["distribution"]!.GetValue<string>(), p["log"]!.GetValue<bool>())));

        // Grid order: lr slowest, in the file's order; each trial's value is its best (last) epoch.
        (double Lr, string Opt)[] order = [(0.1, "adam"), (0.1, "sgd"), (0.01, "adam"), (0.01, "sgd"), (0.001, "adam"), (0.001, "sgd")];
        var expected = order.Select(o => Loss(o.Lr, o.Opt, 2)).ToArray();
        var trials = body["trials"]!.AsArray();
        Assert.Equal(order.Select(o => o.Lr), trials.Select(t => t!["config"]!["lr"]!.GetValue<double>()));
        Assert.Equal(order.Select(o => o.Opt), trials.Select(t => t!["config"]!["opt"]!.GetValue<string>()));
        Assert.Equal(expected, trials.Select(t => t!["value"]!.GetValue<double>()));
        Assert.All(trials, t => Assert.Equal(("finished", 3), (t!["state"]!.GetValue<string>(), t["steps"]!.GetValue<int>())));
        var runIds = finished.GetTrials().Select(t => t.RunId).ToList();
        Assert.Equal(runIds, trials.Select(t => t!["run_id"]!.GetValue<string>()));

        // Best: lr 0.01 with adam (|log10 lr + 2| = 0); best so far is the running minimum in hand-out order.
        Assert.Equal((runIds[2], expected[2]), (body["best"]!["run_id"]!.GetValue<string>(), body["best"]!["value"]!.GetValue<double>()));
        var running = new List<double>();
        foreach (var v in expected) running.Add(running.Count == 0 ? v : Math.Min(v, running[^1]));
        Assert.Equal(running, body["best_so_far"]!.AsArray().Select(p => p!["best"]!.GetValue<double>()));
        Assert.Equal([0, 1, 2, 3, 4, 5], body["best_so_far"]!.AsArray().Select(p => p!["number"]!.GetValue<int>()));

        // Parallel coordinates: numeric lr as numbers, opt and state as ticks, the metric last.
        var axes = body["parallel"]!["axes"]!.AsArray();
        Assert.Equal(["lr", "opt", "state", "loss"], axes.Select(a => a!["label"]!.GetValue<string>()));
        Assert.Equal(order.Select(o => o.Lr), axes[0]!["values"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(["adam", "sgd"], axes[1]!["tick_labels"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(order.Select(o => o.Opt == "adam" ? 0.0 : 1.0), axes[1]!["values"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(expected, axes[3]!["values"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Null(body["warm_start"]);

        // Importance: lr and each optimizer value as features; correlation is Pearson's r, computed here.
        var importance = body["importance"]!.AsArray().ToDictionary(f => f!["feature"]!.GetValue<string>());
        Assert.Equal(["lr", "opt=adam", "opt=sgd"], importance.Keys.Order());
        Assert.Equal(1.0, importance.Values.Sum(f => f!["importance"]!.GetValue<double>()), 1e-9);
        var lrs = order.Select(o => o.Lr).ToArray();
        double mx = lrs.Average(), my = expected.Average();
        var r = lrs.Zip(expected).Sum(p => (p.First - mx) * (p.Second - my))
                / Math.Sqrt(lrs.Sum(x => (x - mx) * (x - mx)) * expected.Sum(y => (y - my) * (y - my)));
        Assert.Equal(r, importance["lr"]!["correlation"]!.GetValue<double>(), 1e-12);
        // Optimizer: sgd adds 0.5 everywhere, so opt=sgd correlates positively with the loss and opt=adam negatively.
        Assert.True(importance["opt=sgd"]!["correlation"]!.GetValue<double>() > 0 && importance["opt=adam"]!["correlation"]!.GetValue<double>() < 0);

        var (_, stoppedBody) = await GetAsync($"/api/2.0/courseware/sweeps/get?sweep_id={stopped.Id}");
        Assert.Equal("stopped", stoppedBody["sweep"]!["state"]!.GetValue<string>());
        Assert.Equal(2, stoppedBody["trials"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_warm_started_sweep_lists_the_runs_it_used_and_skipped()
    {
        using (var run = _tracker.StartRun("manual", "earlier"))
        {
            run.LogParams(new { lr = 0.01, opt = "adam" });
            run.LogMetric("loss", 0.7);
        }
        using (var run = _tracker.StartRun("manual", "other-optimizer"))
        {
            run.LogParams(new { lr = 0.01, opt = "lion" });
            run.LogMetric("loss", 0.1);
        }
        _tracker.Flush();
        var sweep = Sweep.Create(_tracker, Grid, experiment: "demo", warmStart: WarmStart.From("manual"));
        var (_, body) = await GetAsync($"/api/2.0/courseware/sweeps/get?sweep_id={sweep.Id}");
        var warm = body["warm_start"]!;
        Assert.Equal("manual", warm["experiment"]!.GetValue<string>());
        Assert.Equal(["earlier"], warm["used"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        Assert.Equal(0.7, warm["used"]![0]!["value"]!.GetValue<double>());
        Assert.Equal(["other-optimizer"], warm["skipped"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        Assert.StartsWith("opt = \"lion\" is outside the search space", warm["skipped"]![0]!["reason"]!.GetValue<string>());
        var (_, list) = await GetAsync("/api/2.0/courseware/sweeps/list");
        Assert.Equal(1, list["sweeps"]![0]!["warm_start_runs"]!.GetValue<int>());
    }

    [Fact]
    public async Task Unknown_ids_other_runs_and_a_missing_id_get_mlflow_errors()
    {
        var (status, body) = await GetAsync("/api/2.0/courseware/sweeps/get?sweep_id=0123456789abcdef0123456789abcdef");
        Assert.Equal((HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST"), (status, body["error_code"]!.GetValue<string>()));
        var plain = await _server.Store.CreateRunAsync("0", "not-a-sweep", 1_000, "ada");
        (status, body) = await GetAsync($"/api/2.0/courseware/sweeps/get?sweep_id={plain.RunId}");
        Assert.Equal((HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST"), (status, body["error_code"]!.GetValue<string>()));
        Assert.Contains("is not a sweep", body["message"]!.GetValue<string>());
        (status, body) = await GetAsync("/api/2.0/courseware/sweeps/get");
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "sweep_id"),
            (status, body["error_code"]!.GetValue<string>(), body["field"]!.GetValue<string>()));
        (status, body) = await GetAsync("/api/2.0/courseware/sweeps/list");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(body["sweeps"]!.AsArray());
    }
}
