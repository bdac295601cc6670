using System.Globalization;
using Courseware.Tracking;
using Microsoft.Data.Sqlite;

namespace Courseware.Bench;

/// <summary>
/// Fills a SQLite tracking store with many runs fast: the store creates the experiment (and the schema), then one
/// transaction inserts the rows the store itself would write for each run (CreateRunAsync + one LogBatchAsync:
/// runs, the mlflow.runName tag, params, tags, interned keys, history points and latest values). 100,000 runs take
/// seconds instead of the ~150 s of 200,000 store transactions; the benches time searches and reads, not seeding.
/// </summary>
public static class Seed
{
    public static readonly string[] Optimizers = ["adam", "sgd", "rmsprop", "adamw"];

    /// <summary>Creates experiment <paramref name="name"/> with <paramref name="count"/> runs: metrics acc, loss, train_loss; params optimizer, lr, batch, seed; tag team.</summary>
    public static async Task<string> RunsAsync(string folder, string name, int count, int randomSeed = 1)
    {
        string experimentId;
        await using (var store = SqliteTrackingStore.Open(folder))
        {
            experimentId = await store.CreateExperimentAsync(name);
            // One run through the API so the key ids exist exactly as the store makes them.
            var first = await store.CreateRunAsync(experimentId, "api-run", 0, "bench");
            await store.LogBatchAsync(first.RunId, [new Metric("acc", 0.5, 0, 0), new Metric("loss", 0.5, 0, 0), new Metric("train_loss", 0.5, 0, 0)], [], []);
        }
        using var c = new SqliteConnection($"Data Source={Path.Combine(folder, SqliteTrackingStore.DatabaseFileName)};Pooling=False");
        c.Open();
        long Scalar(string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        var keyIds = new[] { "acc", "loss", "train_loss" }.Select(k => Scalar($"SELECT key_id FROM metric_keys WHERE key = '{k}'")).ToArray();
        var nextKey = Scalar("SELECT MAX(run_key) FROM runs") + 1;
        var exp = long.Parse(experimentId, CultureInfo.InvariantCulture);
        var location = (string)new SqliteCommand($"SELECT artifact_location FROM experiments WHERE experiment_id = {exp}", c).ExecuteScalar()!;
        using var tx = c.BeginTransaction();
        SqliteCommand Prepare(string sql, int parameters)
        {
            var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            for (var i = 0; i < parameters; i++) cmd.Parameters.Add(new SqliteParameter("@" + i, null));
            return cmd;
        }
        static void Run(SqliteCommand cmd, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
            cmd.ExecuteNonQuery();
        }
        using var run = Prepare("INSERT INTO runs(run_uuid, name, experiment_id, user_id, status, start_time, lifecycle_stage, artifact_uri, run_key) VALUES (@0, @1, @2, 'bench', 'FINISHED', @3, 'active', @4, @5)", 6);
        using var tag = Prepare("INSERT INTO tags(run_uuid, key, value) VALUES (@0, @1, @2)", 3);
        using var param = Prepare("INSERT INTO params(run_uuid, key, value) VALUES (@0, @1, @2)", 3);
        using var point = Prepare("INSERT INTO metrics(run_key, key_id, step, timestamp, seq, value) VALUES (@0, @1, 0, @2, 0, @3)", 4);
        using var latest = Prepare("INSERT INTO latest_metrics(run_uuid, key, value, is_nan, timestamp, step, experiment_id, start_time) VALUES (@0, @1, @2, 0, @3, 0, @4, @5)", 6);
        var rng = new Random(randomSeed);
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid().ToString("N");
            var start = 1_700_000_000_000L + i;
            var runKey = nextKey + i;
            var runName = $"run-{i:D6}";
            Run(run, id, runName, exp, start, $"{location}/{id}/artifacts", runKey);
            Run(tag, id, "mlflow.runName", runName);
            Run(tag, id, "team", i % 2 == 0 ? "nlp" : "vision");
            Run(param, id, "optimizer", Optimizers[i % 4]);
            Run(param, id, "lr", (0.001 * (i % 10 + 1)).ToString(CultureInfo.InvariantCulture));
            Run(param, id, "batch", (16 << (i % 4)).ToString(CultureInfo.InvariantCulture));
            Run(param, id, "seed", (i % 1000).ToString(CultureInfo.InvariantCulture));
            // A few ties on acc (rounded to 4 places), so the start-time tie-break is exercised.
            double[] values = [Math.Round(rng.NextDouble(), 4), rng.NextDouble() * 2, rng.NextDouble()];
            for (var k = 0; k < 3; k++)
            {
                Run(point, runKey, keyIds[k], start, values[k]);
                Run(latest, id, k == 0 ? "acc" : k == 1 ? "loss" : "train_loss", values[k], start, exp, start);
            }
        }
        tx.Commit();
        return experimentId;
    }

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
