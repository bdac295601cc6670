using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;

namespace Courseware.Tracking;

/// <summary>One generated run of <see cref="SyntheticRuns"/>: what the store holds for it after seeding.</summary>
public sealed record SyntheticRun(int Index, string Name, long StartTime, string Optimizer, string Lr, string Batch, string Seed, string Team,
    double Acc, double Loss, double TrainLoss)
{
    /// <summary>The params, as logged.</summary>
    public Param[] Params => [new("optimizer", Optimizer), new("lr", Lr), new("batch", Batch), new("seed", Seed)];

    /// <summary>The metrics (step 0, timestamp = start time), as logged.</summary>
    public Metric[] Metrics => [new("acc", Acc, StartTime, 0), new("loss", Loss, StartTime, 0), new("train_loss", TrainLoss, StartTime, 0)];
}

/// <summary>
/// Large synthetic experiments for benchmarks and scale tests: <c>count</c> finished runs with metrics acc, loss,
/// train_loss (step 0), params optimizer, lr, batch, seed, and tag team. <see cref="Generate"/> is deterministic, so a
/// test can compute expected orders from it independently of the store. <see cref="SeedSqliteAsync"/> writes them far
/// faster than one store transaction per run: run 0 goes through the store's API (creating the key ids exactly as the
/// store makes them), then one transaction inserts the rows the store writes for <c>CreateRunAsync</c> +
/// <c>LogBatchAsync</c> (runs, the run-name and team tags, params, history points, block summaries, latest values)
/// through SQLite's C API (prepared statements bound by position, no per-row ADO.NET command) in a page cache that holds
/// the transaction; <see cref="SeedPostgresAsync"/> writes the same rows with one text <c>COPY</c> per table.
/// </summary>
public static class SyntheticRuns
{
    /// <summary>The optimizer param's values, run i gets <c>Optimizers[i % 4]</c>.</summary>
    public static readonly string[] Optimizers = ["adam", "sgd", "rmsprop", "adamw"];

    /// <summary>Start time of run 0; run i starts at <c>BaseStartTime + i</c> (so newest first is the reverse index order).</summary>
    public const long BaseStartTime = 1_700_000_000_000L;

    /// <summary>The runs, in index order. acc is rounded to 4 places (ties, so the start-time tie-break is exercised); loss and train_loss are not.</summary>
    public static IEnumerable<SyntheticRun> Generate(int count, int randomSeed = 1)
    {
        var rng = new Random(randomSeed);
        for (var i = 0; i < count; i++)
        {
            var acc = Math.Round(rng.NextDouble(), 4);
            var loss = rng.NextDouble() * 2;
            var trainLoss = rng.NextDouble();
            yield return new SyntheticRun(i, $"run-{i:D6}", BaseStartTime + i, Optimizers[i % 4],
                (0.001 * (i % 10 + 1)).ToString(CultureInfo.InvariantCulture), (16 << (i % 4)).ToString(CultureInfo.InvariantCulture),
                (i % 1000).ToString(CultureInfo.InvariantCulture), i % 2 == 0 ? "nlp" : "vision", acc, loss, trainLoss);
        }
    }

    /// <summary>Creates experiment <paramref name="name"/> in the SQLite store at <paramref name="folder"/> with the <paramref name="count"/> runs of <see cref="Generate"/>; returns its id.</summary>
    public static async Task<string> SeedSqliteAsync(string folder, string name, int count, int randomSeed = 1)
    {
        using var runs = Generate(count, randomSeed).GetEnumerator();
        string experimentId;
        await using (var store = SqliteTrackingStore.Open(folder))
        {
            experimentId = await store.CreateExperimentAsync(name);
            if (!runs.MoveNext()) return experimentId;
            await LogThroughStoreAsync(store, experimentId, runs.Current);
        }
        using var c = new SqliteConnection($"Data Source={Path.Combine(folder, SqliteTrackingStore.DatabaseFileName)};Pooling=False");
        c.Open();
        string Scalar(string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture)!;
        }
        var keyIds = new[] { "acc", "loss", "train_loss" }.Select(k => long.Parse(Scalar($"SELECT key_id FROM metric_keys WHERE key = '{k}'"), CultureInfo.InvariantCulture)).ToArray();
        var nextKey = long.Parse(Scalar("SELECT MAX(run_key) FROM runs"), CultureInfo.InvariantCulture) + 1;
        var exp = long.Parse(experimentId, CultureInfo.InvariantCulture);
        var location = Scalar($"SELECT artifact_location FROM experiments WHERE experiment_id = {exp}");
        // The default 2 MB page cache spills the transaction's dirty pages into the WAL over and over (most of the
        // seeding time was system time); a cache that holds the transaction writes most pages once, at commit
        // (100k runs: 12 s → 7 s; 1M runs, ~3 KiB each: 162 s with 1 GiB → 116 s with 3 GiB).
        Scalar($"PRAGMA cache_size = -{Math.Max(1L << 20, count * 3L)}"); // KiB: at least 1 GiB, ~3 KiB a run
        using var tx = c.BeginTransaction();
        var db = c.Handle!;
        void Check(int rc)
        {
            if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
        }
        sqlite3_stmt Prepare(string sql)
        {
            Check(raw.sqlite3_prepare_v2(db, sql, out var stmt));
            return stmt;
        }
        void Step(sqlite3_stmt stmt)
        {
            Check(raw.sqlite3_step(stmt));
            Check(raw.sqlite3_reset(stmt));
        }
        using var run = Prepare("INSERT INTO runs(run_uuid, name, experiment_id, user_id, status, start_time, lifecycle_stage, artifact_uri, run_key) VALUES (?1, ?2, ?3, 'synthetic', 'FINISHED', ?4, 'active', ?5, ?6)");
        using var tag = Prepare("INSERT INTO tags(run_uuid, key, value) VALUES (?1, ?2, ?3)");
        using var param = Prepare("INSERT INTO params(run_uuid, key, value) VALUES (?1, ?2, ?3)");
        using var point = Prepare("INSERT INTO metrics(run_key, key_id, step, timestamp, seq, value) VALUES (?1, ?2, 0, ?3, 0, ?4)");
        using var block = Prepare("INSERT INTO metric_blocks(run_key, key_id, block, lo_step, lo_ts, lo_seq, lo_value, hi_step, hi_ts, hi_seq, hi_value) VALUES (?1, ?2, 0, 0, ?3, 0, ?4, 0, ?3, 0, ?4)");
        using var latest = Prepare("INSERT INTO latest_metrics(run_uuid, key, value, is_nan, timestamp, step, experiment_id, start_time) VALUES (?1, ?2, ?3, 0, ?4, 0, ?5, ?4)");
        void Pair(sqlite3_stmt stmt, string id, string key, string value)
        {
            Check(raw.sqlite3_bind_text(stmt, 1, id));
            Check(raw.sqlite3_bind_text(stmt, 2, key));
            Check(raw.sqlite3_bind_text(stmt, 3, value));
            Step(stmt);
        }
        string[] metricKeys = ["acc", "loss", "train_loss"];
        while (runs.MoveNext())
        {
            var r = runs.Current;
            var id = Guid.NewGuid().ToString("N");
            var runKey = nextKey + r.Index - 1;
            Check(raw.sqlite3_bind_text(run, 1, id));
            Check(raw.sqlite3_bind_text(run, 2, r.Name));
            Check(raw.sqlite3_bind_int64(run, 3, exp));
            Check(raw.sqlite3_bind_int64(run, 4, r.StartTime));
            Check(raw.sqlite3_bind_text(run, 5, ArtifactUri(location, id)));
            Check(raw.sqlite3_bind_int64(run, 6, runKey));
            Step(run);
            Pair(tag, id, SystemTags.RunName, r.Name);
            Pair(tag, id, "team", r.Team);
            foreach (var p in r.Params) Pair(param, id, p.Key, p.Value);
            double[] values = [r.Acc, r.Loss, r.TrainLoss];
            for (var k = 0; k < 3; k++)
            {
                Check(raw.sqlite3_bind_int64(point, 1, runKey));
                Check(raw.sqlite3_bind_int64(point, 2, keyIds[k]));
                Check(raw.sqlite3_bind_int64(point, 3, r.StartTime));
                Check(raw.sqlite3_bind_double(point, 4, values[k]));
                Step(point);
                Check(raw.sqlite3_bind_int64(block, 1, runKey));
                Check(raw.sqlite3_bind_int64(block, 2, keyIds[k]));
                Check(raw.sqlite3_bind_int64(block, 3, r.StartTime));
                Check(raw.sqlite3_bind_double(block, 4, values[k]));
                Step(block);
                Check(raw.sqlite3_bind_text(latest, 1, id));
                Check(raw.sqlite3_bind_text(latest, 2, metricKeys[k]));
                Check(raw.sqlite3_bind_double(latest, 3, values[k]));
                Check(raw.sqlite3_bind_int64(latest, 4, r.StartTime));
                Check(raw.sqlite3_bind_int64(latest, 5, exp));
                Step(latest);
            }
        }
        tx.Commit();
        return experimentId;
    }

    /// <summary>
    /// Creates experiment <paramref name="name"/> in the PostgreSQL store at <paramref name="connectionString"/> with
    /// the <paramref name="count"/> runs of <see cref="Generate"/> (the rows of <see cref="SeedSqliteAsync"/>, one text
    /// <c>COPY</c> per table in one transaction, then <c>ANALYZE</c>); returns its id.
    /// </summary>
    public static async Task<string> SeedPostgresAsync(string connectionString, string artifactFolder, string name, int count, int randomSeed = 1)
    {
        var runs = Generate(count, randomSeed).ToList();
        string experimentId;
        await using (var store = PostgresTrackingStore.Open(connectionString, artifactFolder))
        {
            experimentId = await store.CreateExperimentAsync(name);
            if (runs.Count == 0) return experimentId;
            await LogThroughStoreAsync(store, experimentId, runs[0]);
        }
        await using var c = new NpgsqlConnection(PostgresLocation.ToConnectionString(connectionString));
        await c.OpenAsync();
        async Task<string> Scalar(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            return Convert.ToString(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture)!;
        }
        string[] metricKeys = ["acc", "loss", "train_loss"];
        var keyIds = new long[3];
        for (var k = 0; k < 3; k++) keyIds[k] = long.Parse(await Scalar($"SELECT key_id FROM metric_keys WHERE key = '{metricKeys[k]}'"), CultureInfo.InvariantCulture);
        var nextKey = long.Parse(await Scalar("SELECT MAX(run_key) FROM runs"), CultureInfo.InvariantCulture) + 1;
        var location = await Scalar($"SELECT artifact_location FROM experiments WHERE experiment_id = {long.Parse(experimentId, CultureInfo.InvariantCulture)}");
        var ids = runs.ConvertAll(_ => Guid.NewGuid().ToString("N"));
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        await using (var tx = await c.BeginTransactionAsync())
        {
            async Task CopyAsync(string table, Func<int, IEnumerable<string>> lines)
            {
                await using var writer = await c.BeginTextImportAsync($"COPY {table} FROM STDIN");
                for (var i = 1; i < runs.Count; i++)
                    foreach (var line in lines(i)) await writer.WriteAsync(line + "\n");
            }
            long Key(int i) => nextKey + i - 1;
            await CopyAsync("runs(run_uuid, name, experiment_id, user_id, status, start_time, lifecycle_stage, artifact_uri, run_key)", i =>
                [$"{ids[i]}\t{runs[i].Name}\t{experimentId}\tsynthetic\tFINISHED\t{runs[i].StartTime}\tactive\t{ArtifactUri(location, ids[i])}\t{Key(i)}"]);
            await CopyAsync("tags(run_uuid, key, value)", i => [$"{ids[i]}\t{SystemTags.RunName}\t{runs[i].Name}", $"{ids[i]}\tteam\t{runs[i].Team}"]);
            await CopyAsync("params(run_uuid, key, value)", i => runs[i].Params.Select(p => $"{ids[i]}\t{p.Key}\t{p.Value}"));
            await CopyAsync("metrics(run_key, key_id, step, timestamp, seq, value)", i =>
                runs[i].Metrics.Select((m, k) => $"{Key(i)}\t{keyIds[k]}\t0\t{m.Timestamp}\t0\t{F(m.Value)}"));
            await CopyAsync("metric_blocks(run_key, key_id, block, lo_step, lo_ts, lo_seq, lo_value, hi_step, hi_ts, hi_seq, hi_value)", i =>
                runs[i].Metrics.Select((m, k) => $"{Key(i)}\t{keyIds[k]}\t0\t0\t{m.Timestamp}\t0\t{F(m.Value)}\t0\t{m.Timestamp}\t0\t{F(m.Value)}"));
            await CopyAsync("latest_metrics(run_uuid, key, value, is_nan, timestamp, step, experiment_id, start_time)", i =>
                runs[i].Metrics.Select(m => $"{ids[i]}\t{m.Key}\t{F(m.Value)}\t0\t{m.Timestamp}\t0\t{experimentId}\t{runs[i].StartTime}"));
            // run_key is a BIGSERIAL: the store's next run takes the key after the copied ones.
            await Scalar("SELECT setval(pg_get_serial_sequence('runs', 'run_key'), (SELECT MAX(run_key) FROM runs))");
            await tx.CommitAsync();
        }
        await Scalar("ANALYZE runs, tags, params, metrics, metric_blocks, latest_metrics");
        return experimentId;
    }

    private static string ArtifactUri(string experimentLocation, string runId) => experimentLocation.TrimEnd('/') + "/" + runId + "/artifacts";

    /// <summary>Logs one generated run through the store's API (CreateRunAsync, LogBatchAsync, UpdateRunAsync to FINISHED without an end time).</summary>
    public static async Task<string> LogThroughStoreAsync(ITrackingStore store, string experimentId, SyntheticRun run)
    {
        var created = await store.CreateRunAsync(experimentId, run.Name, run.StartTime, "synthetic", [new RunTag("team", run.Team)]);
        await store.LogBatchAsync(created.RunId, run.Metrics, run.Params, []);
        await store.UpdateRunAsync(created.RunId, RunStatus.Finished);
        return created.RunId;
    }
}
