using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Courseware.Tracking;

/// <summary>
/// The embedded store: one folder holding <c>tracking.db</c> (SQLite in WAL mode) and an <c>artifacts/</c> directory.
/// Several processes may log into the same folder at once: every write is one <c>BEGIN IMMEDIATE</c> transaction and
/// waits (busy timeout) instead of failing when another process holds the write lock. A committed write survives
/// the process being killed (<c>synchronous=NORMAL</c> in WAL mode; only a power loss can drop the last commits).
/// </summary>
/// <example><code>await using var store = SqliteTrackingStore.Open(".courseware/tracking");</code></example>
public sealed class SqliteTrackingStore : SqlTrackingStore
{
    /// <summary>Name of the database file inside the store folder.</summary>
    public const string DatabaseFileName = "tracking.db";

    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(60);

    // One connection per store, used by one unit of work at a time: SQLite serialises writers anyway.
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteTrackingStore(string folder, SqliteConnection connection)
        : base(folder, new Uri(Path.Combine(folder, "artifacts") + Path.DirectorySeparatorChar).AbsoluteUri.TrimEnd('/'), new SqliteDialect())
    {
        Folder = folder;
        _connection = connection;
    }

    /// <summary>The store folder (absolute).</summary>
    public string Folder { get; }

    /// <summary>Opens (creating if needed) the store in <paramref name="folder"/>.</summary>
    public static SqliteTrackingStore Open(string folder)
    {
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(Path.Combine(folder, "artifacts"));
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(folder, DatabaseFileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        var store = new SqliteTrackingStore(folder, connection);
        try
        {
            store.Initialize();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return store;
    }

    private void Initialize()
    {
        Pragma($"busy_timeout = {(int)BusyTimeout.TotalMilliseconds}");
        // WAL lets readers run beside the one writer; the switch itself needs a moment of exclusive access, which the
        // busy timeout waits for when several processes open a fresh store together.
        Pragma("journal_mode = WAL");
        Pragma("synchronous = NORMAL");
        Pragma("foreign_keys = ON");
        // Reads map the file instead of copying each page through the page cache: a long history read or a search
        // touches more pages than the default cache (2 MB) holds.
        Pragma("mmap_size = 1073741824");
        _connection.CreateFunction("cw_lower", (string? s) => s?.ToLowerInvariant(), isDeterministic: true);
        using var tx = _connection.BeginTransaction(deferred: false);
        var version = Convert.ToInt32(Scalar("PRAGMA user_version", tx), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
            throw new TrackingException(TrackingErrorCode.InvalidState,
                $"The store at {Folder} has schema version {version}, newer than this library's {SchemaVersion}; update Courseware.");
        Upgrade(version, tx);
        if (version < SchemaVersion) Exec($"PRAGMA user_version = {SchemaVersion}", tx);
        tx.Commit();
    }

    private void Pragma(string pragma)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "PRAGMA " + pragma;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    protected override async Task<T> ExecuteAsync<T>(bool write, Func<DbTransaction, T> body, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way with SQLITE_BUSY
            // when another process wrote in between; it waits up to the busy timeout instead. Reads use a deferred
            // transaction: one consistent snapshot for the several queries that load a run.
            using var tx = _connection.BeginTransaction(deferred: !write);
            var result = body(tx);
            tx.Commit();
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    // The history read straight off SQLite's C API on the store's connection (inside the read transaction): the same
    // query, without Microsoft.Data.Sqlite's per-row and per-column checks, which cost as much as SQLite's own step.
    private protected override void ReadHistory(long runKey, long keyId, MetricPoints points, DbTransaction tx)
    {
        var db = ((SqliteConnection)tx.Connection!).Handle!;
        Check(raw.sqlite3_prepare_v2(db, HistorySql, out var stmt), db);
        using (stmt)
        {
            Check(raw.sqlite3_bind_int64(stmt, raw.sqlite3_bind_parameter_index(stmt, "@r"), runKey), db);
            Check(raw.sqlite3_bind_int64(stmt, raw.sqlite3_bind_parameter_index(stmt, "@k"), keyId), db);
            int rc;
            while ((rc = raw.sqlite3_step(stmt)) == raw.SQLITE_ROW)
                points.Add(raw.sqlite3_column_int64(stmt, 0), raw.sqlite3_column_int64(stmt, 1),
                    raw.sqlite3_column_type(stmt, 2) == raw.SQLITE_NULL ? double.NaN : raw.sqlite3_column_double(stmt, 2));
            if (rc != raw.SQLITE_DONE) Check(rc, db);
        }
    }

    // A batch's points through SQLite's C API on the store's connection (inside the write transaction): one prepared
    // statement, bound and stepped per point without Microsoft.Data.Sqlite's per-execution reader and boxed parameters.
    // A point that met an existing (key, step, timestamp) inserts nothing (no change counted) and gets its next seq
    // afterwards, in batch order, as the base store does.
    private protected override List<(long KeyId, Metric Metric)>? InsertPoints(long runKey, (long KeyId, Metric Metric)[] points, DbTransaction tx)
    {
        var db = ((SqliteConnection)tx.Connection!).Handle!;
        List<(long, Metric)>? collided = null;
        Check(raw.sqlite3_prepare_v2(db, "INSERT INTO metrics(run_key, key_id, step, timestamp, seq, value) VALUES (?1, ?2, ?3, ?4, 0, ?5) ON CONFLICT DO NOTHING", out var stmt), db);
        using (stmt)
        {
            Check(raw.sqlite3_bind_int64(stmt, 1, runKey), db);
            foreach (var (keyId, m) in points)
            {
                Check(raw.sqlite3_bind_int64(stmt, 2, keyId), db);
                Check(raw.sqlite3_bind_int64(stmt, 3, m.Step), db);
                Check(raw.sqlite3_bind_int64(stmt, 4, m.Timestamp), db);
                Check(double.IsNaN(m.Value) ? raw.sqlite3_bind_null(stmt, 5) : raw.sqlite3_bind_double(stmt, 5, m.Value), db);
                if (raw.sqlite3_step(stmt) is var rc && rc != raw.SQLITE_DONE) Check(rc, db);
                if (raw.sqlite3_changes(db) == 0) (collided ??= []).Add((keyId, m));
                Check(raw.sqlite3_reset(stmt), db);
            }
        }
        if (collided is not null) InsertWithNextSeq(runKey, collided, tx);
        return collided;
    }

    // Multi-row upserts bound by position through the C API: Microsoft.Data.Sqlite looks every named parameter up by
    // name (a linear search of the statement's names), which is quadratic in the parameters of a multi-row statement.
    private protected override void ExecRows(DbTransaction tx, string insert, string row, string tail, IReadOnlyList<object?[]> rows)
    {
        var db = ((SqliteConnection)tx.Connection!).Handle!;
        for (var start = 0; start < rows.Count; start += RowsPerStatement)
        {
            var count = Math.Min(RowsPerStatement, rows.Count - start);
            var width = rows[start].Length;
            Check(raw.sqlite3_prepare_v2(db, RowsSql(insert, row, tail, count, width, (r, c) => "?" + (r * width + c + 1).ToString(CultureInfo.InvariantCulture)), out var stmt), db);
            using (stmt)
            {
                for (var r = 0; r < count; r++)
                    for (var c = 0; c < width; c++)
                    {
                        var index = r * width + c + 1;
                        Check(rows[start + r][c] switch
                        {
                            null or DBNull => raw.sqlite3_bind_null(stmt, index),
                            long l => raw.sqlite3_bind_int64(stmt, index, l),
                            int n => raw.sqlite3_bind_int64(stmt, index, n),
                            double d => raw.sqlite3_bind_double(stmt, index, d),
                            string t => raw.sqlite3_bind_text(stmt, index, t),
                            var other => throw new ArgumentException($"Unsupported value type {other.GetType()} in a multi-row statement."),
                        }, db);
                    }
                if (raw.sqlite3_step(stmt) is var rc && rc != raw.SQLITE_DONE) Check(rc, db);
            }
        }
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
    }

    /// <inheritdoc />
    protected override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 }; // SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY

    /// <summary>Closes the database.</summary>
    public override ValueTask DisposeAsync()
    {
        _connection.Dispose();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class SqliteDialect : SqlDialect
    {
        // SQLite's LIKE ignores ASCII case; GLOB is the case-sensitive matcher, so LIKE patterns are translated.
        public override string Like(string column, string parameter) => $"{column} GLOB {parameter}";

        public override string ILike(string column, string parameter) => $"cw_lower({column}) LIKE {parameter}";

        public override string LikeArgument(string pattern)
        {
            var sb = new System.Text.StringBuilder(pattern.Length + 8);
            foreach (var c in pattern)
                sb.Append(c switch { '%' => "*", '_' => "?", '*' => "[*]", '?' => "[?]", '[' => "[[]", _ => c.ToString() });
            return sb.ToString();
        }

        public override string ILikeArgument(string pattern) => pattern.ToLowerInvariant();

        public override string InIds(string column, string parameter) => $"{column} IN (SELECT value FROM json_each({parameter}))";

        public override object IdsArgument(IReadOnlyList<string> ids) => System.Text.Json.JsonSerializer.Serialize(ids);

        // BEGIN IMMEDIATE holds the write lock, so the next number cannot be taken by another writer meanwhile.
        // One aggregate over the range read in primary-key (history) order: with a single min() or max(), SQLite takes
        // the other columns from the row that gave it, and keeps the first on ties. No sorter.
        public override string LowestPoint(string range) => $"SELECT step, timestamp, seq, MIN(value) AS value {range}";

        public override string HighestPoint(string range) => $"SELECT step, timestamp, seq, MAX(value) AS value {range}";

        public override string AddRunKey => "ALTER TABLE runs ADD COLUMN run_key INTEGER; UPDATE runs SET run_key = rowid;";

        public override string KeyIdColumn => "INTEGER PRIMARY KEY";

        public override string Integer => "INTEGER";

        public override string Real => "REAL";

        public override string ClusteredTable => " WITHOUT ROWID";

        public override string InsertionOrder => "rowid";

        public override string NewRunKey => "(SELECT COALESCE(MAX(run_key), 0) + 1 FROM runs)";
    }
}
