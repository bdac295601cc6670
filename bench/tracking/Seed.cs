using System.Globalization;
using Courseware.Tracking;

namespace Courseware.Bench;

/// <summary>Helpers of the benches; the runs themselves are seeded by <see cref="SyntheticRuns"/> in the library.</summary>
public static class Seed
{
    /// <summary>Reads every page of a search ordered by <paramref name="order"/> with the store's tokens; returns how many runs came back.</summary>
    public static async Task<int> PageThroughAsync(ITrackingStore store, string experimentId, string order, int pageSize = 1000)
    {
        var seen = 0;
        string? token = null;
        do
        {
            var page = await store.SearchRunsAsync(new RunQuery([experimentId], null, [order], pageSize, token));
            seen += page.Count;
            token = page.NextPageToken;
        } while (token is not null);
        return seen;
    }

    /// <summary>An MLflow offset page token.</summary>
    public static string OffsetToken(int offset) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{{\"offset\": {offset}}}"));

    /// <summary>
    /// Logs <paramref name="points"/> points (keys loss and acc alternating, steps 0..points/2, one timestamp) into a new
    /// run through <c>LogBatchAsync</c>, 1,000 per call (MLflow's batch limit); returns points per second.
    /// </summary>
    public static async Task<double> LogInBatchesAsync(ITrackingStore store, int points)
    {
        var run = await store.CreateRunAsync("0", "batches", 0, "bench");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var batches = Enumerable.Range(0, points / 1000).Select(b => Enumerable.Range(b * 1000, 1000)
            .Select(i => new Metric(i % 2 == 0 ? "loss" : "acc", 1.0 / (i + 1), now, i / 2)).ToArray()).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var batch in batches) await store.LogBatchAsync(run.RunId, batch, [], []);
        return points / clock.Elapsed.TotalSeconds;
    }
}
