using System.Data;
using System.Data.Common;
using Npgsql;

namespace Courseware.Tracking;

/// <summary>
/// A tracking store in PostgreSQL (a shared team server), with the same tables and behaviour as the embedded
/// <see cref="SqliteTrackingStore"/>; artifacts go to a folder (a shared file system) given when opening.
/// Ordering of strings follows the database's collation (MLflow's does too); create the database with
/// <c>LC_COLLATE 'C'</c> for byte order.
/// </summary>
/// <example><code>await using var store = PostgresTrackingStore.Open("postgresql://ml@db/tracking", "/mnt/artifacts");</code></example>
public sealed class PostgresTrackingStore : SqlTrackingStore
{
    // Serialises schema creation when several processes open a fresh database at once.
    private const long SchemaLockKey = 0x436F75727365;

    private readonly NpgsqlDataSource _dataSource;

    private PostgresTrackingStore(NpgsqlDataSource dataSource, string artifactRoot)
        : base(Describe(dataSource.ConnectionString), artifactRoot, new PostgresDialect()) => _dataSource = dataSource;

    // Host and database only: messages must never carry the password.
    private static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{b.Host}:{b.Port}/{b.Database}";
    }

    /// <summary>
    /// Connects to the database (creating the tables if missing) and stores artifacts under <paramref name="artifactFolder"/>.
    /// </summary>
    /// <param name="connectionString">A <c>postgresql://</c> or <c>postgres://</c> URI, or an Npgsql connection string (<see cref="PostgresLocation"/>).</param>
    /// <param name="artifactFolder">Folder for artifact files (a file system every client can reach).</param>
    public static PostgresTrackingStore Open(string connectionString, string artifactFolder)
    {
        var npgsql = PostgresLocation.ToConnectionString(connectionString);
        var folder = Path.GetFullPath(artifactFolder);
        var dataSource = NpgsqlDataSource.Create(npgsql);
        var store = new PostgresTrackingStore(dataSource, new Uri(folder + Path.DirectorySeparatorChar).AbsoluteUri.TrimEnd('/'));
        try
        {
            Tracker.Wait(store.ExecuteAsync(true, tx =>
            {
                Scalar($"SELECT pg_advisory_xact_lock({SchemaLockKey})", tx);
                Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", tx);
                var stored = Scalar("SELECT MAX(version) FROM schema_version", tx);
                var version = stored is null ? 0 : Convert.ToInt32(stored, System.Globalization.CultureInfo.InvariantCulture);
                if (version > SchemaVersion)
                    throw new TrackingException(TrackingErrorCode.InvalidState, $"The database has a newer tracking schema ({version}) than this library ({SchemaVersion}).");
                store.Upgrade(version, tx);
                if (version < SchemaVersion)
                {
                    Exec("DELETE FROM schema_version", tx);
                    Exec("INSERT INTO schema_version(version) VALUES (@v)", tx, ("@v", SchemaVersion));
                }
                return 0;
            }, CancellationToken.None));
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
        // Only once the database answered: a wrong URI leaves no folder behind.
        Directory.CreateDirectory(folder);
        return store;
    }

    /// <inheritdoc />
    protected override async Task<T> ExecuteAsync<T>(bool write, Func<DbTransaction, T> body, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // A read is one snapshot: at READ COMMITTED each statement takes its own, and a run is read table by table, so
        // a read could pair a run's new status with its old tags. Read-only, REPEATABLE READ never fails to serialize.
        await using var tx = await connection.BeginTransactionAsync(write ? IsolationLevel.ReadCommitted : IsolationLevel.RepeatableRead, cancellationToken)
            .ConfigureAwait(false);
        var result = body(tx);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// A batch of points in one statement (arrays unnested server-side) instead of one round trip per point; the
    /// points that met an existing (step, timestamp) get their next seq afterwards. A batch repeating a (key, step,
    /// timestamp) itself goes row by row, so its seq numbers follow the batch's order.
    /// </summary>
    private protected override List<(long KeyId, Metric Metric)>? InsertPoints(long runKey, (long KeyId, Metric Metric)[] points, DbTransaction tx)
    {
        var distinct = points.Select(p => (p.KeyId, p.Metric.Step, p.Metric.Timestamp)).ToHashSet();
        if (distinct.Count != points.Length) return base.InsertPoints(runKey, points, tx);
        var inserted = new HashSet<(long, long, long)>();
        using (var cmd = Command(
                   "INSERT INTO metrics(run_key, key_id, step, timestamp, seq, value) SELECT @r, k, s, t, 0, v FROM unnest(@k, @s, @t, @v) AS p(k, s, t, v) " +
                   "ON CONFLICT DO NOTHING RETURNING key_id, step, timestamp", tx,
                   ("@r", runKey), ("@k", points.Select(p => p.KeyId).ToArray()), ("@s", points.Select(p => p.Metric.Step).ToArray()),
                   ("@t", points.Select(p => p.Metric.Timestamp).ToArray()),
                   ("@v", points.Select(p => double.IsNaN(p.Metric.Value) ? (double?)null : p.Metric.Value).ToArray())))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) inserted.Add((r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
        if (inserted.Count == points.Length) return null;
        var collided = points.Where(p => !inserted.Contains((p.KeyId, p.Metric.Step, p.Metric.Timestamp))).ToList();
        InsertWithNextSeq(runKey, collided, tx);
        return collided;
    }

    /// <inheritdoc />
    protected override bool IsUniqueViolation(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <summary>Closes the connection pool.</summary>
    public override async ValueTask DisposeAsync() => await _dataSource.DisposeAsync().ConfigureAwait(false);

    internal sealed class PostgresDialect : SqlDialect
    {
        public override string Like(string column, string parameter) => $"{column} LIKE {parameter}";

        public override string ILike(string column, string parameter) => $"{column} ILIKE {parameter}";

        public override bool PlansFromStatistics => true;

        // Not "= ANY(array)": for a page of 1,000 ids the planner chose a parallel scan of the whole table (13 ms at
        // 100k runs, per table); a set of ids it estimates small probes the primary key per id (5-7 ms).
        public override string InIds(string column, string parameter) => $"{column} IN (SELECT unnest({parameter}))";

        public override object IdsArgument(IReadOnlyList<string> ids) => ids.ToArray();

        public override string NewRunKey => "DEFAULT";

        // A serial column numbers the existing rows as it is added.
        public override string AddRunKey => "ALTER TABLE runs ADD COLUMN run_key BIGSERIAL;";

        public override string KeyIdColumn => "BIGSERIAL PRIMARY KEY";

        public override string Integer => "BIGINT";

        public override string Real => "DOUBLE PRECISION";

        public override string InsertionOrder => "id";

        public override string InsertionOrderColumn => "id BIGSERIAL PRIMARY KEY,";
    }
}
