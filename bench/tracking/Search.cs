using System.Diagnostics;
using Courseware.Tracking;

namespace Courseware.Bench;

/// <summary>
/// The search figures over a seeded experiment (<see cref="SyntheticRuns"/>), on any store: first page of 1,000 for
/// nine filter/order shapes against the same search forced down the sorting plan (schema 1's query: join, full sort,
/// limit) by naming a second, empty experiment; and paging through every run by a metric with the store's keyset
/// tokens against MLflow offset tokens.
/// </summary>
public static class SearchBench
{
    public static async Task RunAsync(ITrackingStore store, string experimentId, int runCount, int rounds, string label,
        Action<string> section, Action<string, List<double>, string, List<double>, bool> row)
    {
        var empty = await store.CreateExperimentAsync("empty");
        section($"{label}search {runCount:N0} runs, first page of 1,000 (ms)");
        foreach (var (filter, order) in new (string?, string[])[]
                 {
                     (null, ["metrics.acc DESC"]),
                     (null, ["metrics.loss ASC"]),
                     ("params.optimizer = 'adam'", ["metrics.acc DESC"]),
                     ("metrics.acc > 0.5 and params.optimizer = 'adam'", ["metrics.loss ASC"]),
                     ("metrics.acc > 0.99", ["metrics.acc DESC"]),
                     (null, []),
                     ("params.lr IN ('0.001', '0.002') and tags.team = 'nlp'", ["attributes.start_time DESC"]),
                     // One term matching 0.1 % of the runs (the search starts from them), and two matching 10 % and 25 %
                     // that together match 2.5 % (a term under DrivingTermLimit runs starts it, else the order is walked).
                     ("params.seed = '102'", ["metrics.acc DESC"]),
                     ("params.lr = '0.001' and params.batch = '16'", ["metrics.loss ASC"]),
                 })
        {
            var ours = new List<double>();
            var peer = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                ours.Add(await TimeAsync(() => store.SearchRunsAsync(new RunQuery([experimentId], filter, order, 1000))));
                peer.Add(await TimeAsync(() => store.SearchRunsAsync(new RunQuery([experimentId, empty], filter, order, 1000))));
            }
            row($"`{filter ?? "(no filter)"}` order by `{(order.Length == 0 ? "(default)" : order[0])}`", ours, "sorting plan", peer, false);
        }

        // Paging through every run by a metric, in-process: keyset tokens vs MLflow offset tokens (read for the first pages only).
        section($"{label}page through {runCount:N0} runs by metrics.acc DESC in-process, pages of 1,000 (s)");
        var keyset = new List<double>();
        var offsetPerPage = new List<double>();
        for (var r = 0; r < Math.Min(rounds, 3); r++)
        {
            var clock = Stopwatch.StartNew();
            var seen = await Seed.PageThroughAsync(store, experimentId, "metrics.acc DESC");
            keyset.Add(clock.Elapsed.TotalSeconds);
            if (seen != runCount) throw new InvalidOperationException($"paging saw {seen} runs");
            const int Pages = 5;
            clock.Restart();
            for (var p = 1; p <= Pages; p++)
                await store.SearchRunsAsync(new RunQuery([experimentId], null, ["metrics.acc DESC"], 1000, Seed.OffsetToken(Math.Min(p * 10_000, runCount))));
            offsetPerPage.Add(clock.Elapsed.TotalSeconds / Pages);
        }
        var pages = (runCount + 999) / 1000;
        row($"keyset tokens, all {pages} pages (s)", keyset, "offset tokens, 5 pages at offsets 10k–50k, × pages (s)", offsetPerPage.ConvertAll(t => t * pages), false);
    }

    private static async Task<double> TimeAsync<T>(Func<Task<T>> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalMilliseconds;
    }
}
