using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Data.Common;
using Courseware.Tracking;
using Microsoft.Data.Sqlite;

namespace Courseware.Cli.Grading;

/// <summary>One graded submission as the gradebook keeps it.</summary>
/// <param name="Learner">The learner (from the submission's path).</param>
/// <param name="Lab">The lab.</param>
/// <param name="LmsId">Canvas user id or Moodle participant id, when the path carried one.</param>
/// <param name="File">The submission's path relative to the submissions folder.</param>
/// <param name="Sha256">SHA-256 of the submitted file.</param>
/// <param name="SolutionSha256">SHA-256 of the solution it was graded against.</param>
/// <param name="GradedAt">When it was graded (UTC, ISO 8601).</param>
/// <param name="SubmittedAt">nbgrader's timestamp or the file's modification time (UTC, ISO 8601).</param>
/// <param name="Late">Late per Canvas or --due.</param>
/// <param name="Status">graded, unreadable (the notebook did not load), timeout, crashed (the kernel died) or error (infrastructure).</param>
/// <param name="Error">What went wrong, for any status but graded.</param>
/// <param name="Points">Points awarded.</param>
/// <param name="MaxPoints">Points available.</param>
/// <param name="Exercises">Per exercise, in notebook order.</param>
public sealed record GradebookEntry(
    string Learner, string Lab, string? LmsId, string File, string Sha256, string SolutionSha256, string GradedAt, string SubmittedAt,
    bool Late, string Status, string? Error, double Points, double MaxPoints, IReadOnlyList<ExerciseScore> Exercises)
{
    /// <summary>The failure was not the learner's doing (a worker that did not start, a broken solution, an I/O error).</summary>
    public bool InfrastructureFailure => Status == Gradebook.StatusError;

    /// <summary>Points as a percentage of the maximum (0 when the maximum is 0).</summary>
    public double Percent => MaxPoints > 0 ? 100 * Points / MaxPoints : 0;
}

/// <summary>
/// The class's grades: a SQLite file (default <c>&lt;out&gt;/gradebook.db</c>) or, when the course shares one, the
/// PostgreSQL database of its tracking store (a <c>postgresql://</c> URI or connection string, as <c>--store</c> takes):
/// a row per learner and lab in <c>submissions</c>, a row per learner, lab and exercise in <c>exercise_scores</c>.
/// Re-grading replaces a learner's row, in one transaction.
/// </summary>
public sealed class Gradebook : IDisposable
{
    /// <summary>Status values.</summary>
    public const string StatusGraded = "graded", StatusUnreadable = "unreadable", StatusTimeout = "timeout", StatusCrashed = "crashed", StatusError = "error";

    // One schema for both databases: TEXT, INTEGER and DOUBLE PRECISION mean the same in each.
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS submissions(
            learner TEXT NOT NULL, lab TEXT NOT NULL, lms_id TEXT, file TEXT NOT NULL, sha256 TEXT NOT NULL, solution_sha256 TEXT NOT NULL,
            graded_at TEXT NOT NULL, submitted_at TEXT NOT NULL, late INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
            points DOUBLE PRECISION NOT NULL, max_points DOUBLE PRECISION NOT NULL, PRIMARY KEY (learner, lab));
        CREATE TABLE IF NOT EXISTS exercise_scores(
            learner TEXT NOT NULL, lab TEXT NOT NULL, position INTEGER NOT NULL, exercise TEXT NOT NULL, title TEXT NOT NULL,
            points DOUBLE PRECISION NOT NULL, max_points DOUBLE PRECISION NOT NULL, failures TEXT NOT NULL, PRIMARY KEY (learner, lab, exercise));
        """;

    private readonly DbConnection _connection;
    private readonly Lock _gate = new();

    private Gradebook(DbConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    /// <summary>The database file, or the PostgreSQL server and database (never a password).</summary>
    public string Path { get; }

    /// <summary>Opens (creating when <paramref name="create"/>) a gradebook: a file path, or a PostgreSQL URI or connection string.</summary>
    public static Gradebook Open(string location, bool create = true)
    {
        var postgres = PostgresLocation.IsPostgres(location);
        string where;
        DbConnection connection;
        if (postgres)
        {
            var settings = new Npgsql.NpgsqlConnectionStringBuilder(PostgresLocation.ToConnectionString(location));
            where = $"postgresql://{settings.Host}/{settings.Database}";
            connection = new Npgsql.NpgsqlConnection(settings.ConnectionString);
        }
        else
        {
            where = System.IO.Path.GetFullPath(location);
            if (!create && !System.IO.File.Exists(where))
                throw new FileNotFoundException($"{where}: gradebook not found (expected a gradebook.db written by `courseware autograde`)");
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(where)!);
            connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = where, Pooling = false }.ToString());
        }
        try
        {
            connection.Open();
            var book = new Gradebook(connection, where);
            if (!postgres) book.Execute("PRAGMA busy_timeout = 5000;");
            var exists = Convert.ToBoolean(book.Scalar(postgres
                ? "SELECT to_regclass('submissions') IS NOT NULL"
                : "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'submissions'"), CultureInfo.InvariantCulture);
            if (!exists && !create)
                throw new InvalidDataException($"{where}: not a gradebook (no submissions table)");
            book.Execute(Schema);
            return book;
        }
        catch (DbException e)
        {
            connection.Dispose();
            throw new InvalidDataException($"{where}: not a gradebook: {e.Message}");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The (sha256, solution_sha256) a learner's lab was last graded with, or null.</summary>
    public (string Sha256, string SolutionSha256)? Fingerprint(string learner, string lab)
    {
        lock (_gate)
        {
            using var command = Command("SELECT sha256, solution_sha256 FROM submissions WHERE learner = @l AND lab = @b", ("@l", learner), ("@b", lab));
            using var reader = command.ExecuteReader();
            return reader.Read() ? (reader.GetString(0), reader.GetString(1)) : null;
        }
    }

    /// <summary>Stores (replaces) a learner's lab and its exercise scores, in one transaction.</summary>
    public void Put(GradebookEntry entry)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            Execute(transaction, "DELETE FROM exercise_scores WHERE learner = @l AND lab = @b", ("@l", entry.Learner), ("@b", entry.Lab));
            Execute(transaction, """
                INSERT INTO submissions(learner, lab, lms_id, file, sha256, solution_sha256, graded_at, submitted_at, late, status, error, points, max_points)
                VALUES (@l, @b, @id, @f, @s, @ss, @g, @t, @late, @st, @e, @p, @m)
                ON CONFLICT (learner, lab) DO UPDATE SET lms_id = excluded.lms_id, file = excluded.file, sha256 = excluded.sha256,
                    solution_sha256 = excluded.solution_sha256, graded_at = excluded.graded_at, submitted_at = excluded.submitted_at, late = excluded.late,
                    status = excluded.status, error = excluded.error, points = excluded.points, max_points = excluded.max_points
                """,
                ("@l", entry.Learner), ("@b", entry.Lab), ("@id", entry.LmsId), ("@f", entry.File), ("@s", entry.Sha256), ("@ss", entry.SolutionSha256),
                ("@g", entry.GradedAt), ("@t", entry.SubmittedAt), ("@late", entry.Late ? 1 : 0), ("@st", entry.Status), ("@e", entry.Error),
                ("@p", entry.Points), ("@m", entry.MaxPoints));
            for (var i = 0; i < entry.Exercises.Count; i++)
            {
                var e = entry.Exercises[i];
                Execute(transaction, "INSERT INTO exercise_scores(learner, lab, position, exercise, title, points, max_points, failures) VALUES (@l, @b, @i, @x, @t, @p, @m, @f)",
                    ("@l", entry.Learner), ("@b", entry.Lab), ("@i", i), ("@x", e.Exercise), ("@t", e.Title), ("@p", e.Points), ("@m", e.MaxPoints),
                    ("@f", JsonSerializer.Serialize(e.Failures)));
            }
            transaction.Commit();
        }
    }

    /// <summary>Every entry, ordered by lab then learner.</summary>
    public IReadOnlyList<GradebookEntry> Entries()
    {
        lock (_gate)
        {
            var exercises = new Dictionary<(string, string), List<ExerciseScore>>();
            using (var command = Command("SELECT learner, lab, exercise, title, points, max_points, failures FROM exercise_scores ORDER BY learner, lab, position"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var key = (reader.GetString(0), reader.GetString(1));
                    if (!exercises.TryGetValue(key, out var list)) exercises[key] = list = [];
                    list.Add(new ExerciseScore(reader.GetString(2), reader.GetString(3), reader.GetDouble(4), reader.GetDouble(5),
                        JsonSerializer.Deserialize<string[]>(reader.GetString(6)) ?? []));
                }
            }
            var entries = new List<GradebookEntry>();
            using (var command = Command("""
                SELECT learner, lab, lms_id, file, sha256, solution_sha256, graded_at, submitted_at, late, status, error, points, max_points
                FROM submissions ORDER BY lab, learner
                """))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var key = (reader.GetString(0), reader.GetString(1));
                    entries.Add(new GradebookEntry(key.Item1, key.Item2, reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                        reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7),
                        Convert.ToInt64(reader.GetValue(8), CultureInfo.InvariantCulture) != 0, reader.GetString(9),
                        reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetDouble(11), reader.GetDouble(12),
                        exercises.GetValueOrDefault(key) ?? []));
                }
            }
            return entries.OrderBy(e => e.Lab, StringComparer.Ordinal).ThenBy(e => e.Learner, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Merges gradebooks (e.g. one per CI shard) into <paramref name="into"/>; for a learner's lab in several, the latest graded_at wins.</summary>
    public static int Merge(IReadOnlyList<string> sources, string into)
    {
        using var target = Open(into);
        var count = 0;
        var current = target.Entries().ToDictionary(e => (e.Learner, e.Lab));
        foreach (var source in sources)
        {
            using var from = Open(source, create: false);
            if (from.Path == target.Path)
                throw new ArgumentException($"{source}: cannot merge a gradebook into itself");
            foreach (var entry in from.Entries())
            {
                if (current.TryGetValue((entry.Learner, entry.Lab), out var existing) && string.CompareOrdinal(existing.GradedAt, entry.GradedAt) >= 0) continue;
                target.Put(entry);
                current[(entry.Learner, entry.Lab)] = entry;
                count++;
            }
        }
        return count;
    }

    private DbCommand Command(string sql, params (string Name, object? Value)[] parameters) => SqlCommands.Create(_connection, sql, null, parameters);

    private void Execute(string sql, params (string Name, object? Value)[] parameters) => Execute(null, sql, parameters);

    private void Execute(DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = SqlCommands.Create(_connection, sql, transaction, parameters);
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var command = Command(sql);
        return command.ExecuteScalar();
    }

    public void Dispose() => _connection.Dispose();
}

/// <summary>Statistics and LMS exports of a gradebook's entries.</summary>
public static class GradebookExport
{
    /// <summary>Per lab: submissions, mean and median points.</summary>
    public sealed record LabSummary(string Lab, int Submissions, int Failed, int Late, double MaxPoints, double Mean, double Median);

    /// <summary>Per exercise: the share of submissions with every point of it (which exercises are hard).</summary>
    public sealed record ExerciseSummary(string Lab, string Exercise, string Title, int Submissions, double SuccessRate, double MeanPoints, double MaxPoints);

    /// <summary>Per lab summaries, by lab.</summary>
    public static IReadOnlyList<LabSummary> Labs(IReadOnlyList<GradebookEntry> entries) =>
        entries.GroupBy(e => e.Lab).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new LabSummary(g.Key, g.Count(),
            g.Count(e => e.Status != Gradebook.StatusGraded), g.Count(e => e.Late), g.Max(e => e.MaxPoints), g.Average(e => e.Points),
            Median(g.Select(e => e.Points)))).ToList();

    /// <summary>
    /// Per lab, how many submissions scored in each tenth of the points: bin k holds scores in [10k %, 10(k+1) %), the
    /// last bin [90 %, 100 %] (full marks included). A lab whose points are all 0 counts its submissions in bin 0.
    /// </summary>
    public static IReadOnlyList<(string Lab, int[] Bins)> ScoreDistribution(IReadOnlyList<GradebookEntry> entries) =>
        entries.GroupBy(e => e.Lab).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var bins = new int[10];
            foreach (var e in g) bins[e.MaxPoints > 0 ? Math.Clamp((int)Math.Floor(10 * e.Points / e.MaxPoints), 0, 9) : 0]++;
            return (g.Key, bins);
        }).ToList();

    /// <summary>Per exercise summaries, by lab then notebook order.</summary>
    public static IReadOnlyList<ExerciseSummary> Exercises(IReadOnlyList<GradebookEntry> entries) =>
        entries.GroupBy(e => e.Lab).OrderBy(g => g.Key, StringComparer.Ordinal).SelectMany(lab =>
        {
            var order = lab.SelectMany(e => e.Exercises.Select((x, i) => (x.Exercise, i))).GroupBy(x => x.Exercise).ToDictionary(g => g.Key, g => g.Min(x => x.i));
            return lab.SelectMany(e => e.Exercises).GroupBy(x => x.Exercise).OrderBy(g => order[g.Key]).Select(g => new ExerciseSummary(lab.Key, g.Key,
                g.First().Title, g.Count(), g.Count(x => x.Points >= x.MaxPoints) / (double)g.Count(), g.Average(x => x.Points), g.Max(x => x.MaxPoints)));
        }).ToList();

    /// <summary>nbgrader's <c>grades.csv</c>: one row per lab × learner (no submission → zeros), no quoting (commas in values are dropped).</summary>
    public static string Nbgrader(IReadOnlyList<GradebookEntry> entries, string? dueDate)
    {
        var sb = new StringBuilder("assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,late_submission_penalty,score,max_score\n");
        var learners = entries.Select(e => e.Learner).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var lab in entries.GroupBy(e => e.Lab).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var max = lab.Max(e => e.MaxPoints);
            foreach (var learner in learners)
            {
                var entry = lab.FirstOrDefault(e => e.Learner == learner);
                var raw = entry?.Points ?? 0;
                string[] row = [lab.Key, dueDate ?? "", entry?.SubmittedAt ?? "", learner, "", "", "", Py(raw), Py(0), Py(Math.Max(0, raw)), Py(max)];
                sb.Append(string.Join(',', row.Select(v => v.Replace(",", "")))).Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// A Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, one column per lab (its exact title),
    /// then a "Points Possible" row. ID is the Canvas user id when the submission's name carried one, else SIS Login ID is the learner.
    /// </summary>
    public static string Canvas(IReadOnlyList<GradebookEntry> entries)
    {
        var labs = entries.Select(e => e.Lab).Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        Row(sb, ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", .. labs]);
        Row(sb, ["    Points Possible", "", "", "", "", .. labs.Select(l => Number(entries.Where(e => e.Lab == l).Max(e => e.MaxPoints)))]);
        foreach (var learner in entries.GroupBy(e => e.Learner).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var id = learner.Select(e => e.LmsId).FirstOrDefault(i => i is not null);
            Row(sb, [learner.Key, id ?? "", "", id is null ? learner.Key : "", "",
                .. labs.Select(l => learner.FirstOrDefault(e => e.Lab == l) is { } e ? Number(e.Points) : "")]);
        }
        return sb.ToString();
    }

    /// <summary>A Moodle grade import: one user column (LMS id when known, else the learner; map it in the import form), one column per lab, <c>-</c> for no grade.</summary>
    public static string Moodle(IReadOnlyList<GradebookEntry> entries)
    {
        var labs = entries.Select(e => e.Lab).Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        Row(sb, ["User", .. labs]);
        foreach (var learner in entries.GroupBy(e => e.Learner).OrderBy(g => g.Key, StringComparer.Ordinal))
            Row(sb, [learner.Select(e => e.LmsId).FirstOrDefault(i => i is not null) ?? learner.Key,
                .. labs.Select(l => learner.FirstOrDefault(e => e.Lab == l) is { } e ? Number(e.Points) : "-")]);
        return sb.ToString();
    }

    /// <summary>The gradebook as CSV, one row per submission.</summary>
    public static string Csv(IReadOnlyList<GradebookEntry> entries)
    {
        var sb = new StringBuilder();
        Row(sb, ["learner", "lab", "lms_id", "file", "sha256", "graded_at", "submitted_at", "late", "status", "points", "max_points", "error"]);
        foreach (var e in entries)
            Row(sb, [e.Learner, e.Lab, e.LmsId ?? "", e.File, e.Sha256, e.GradedAt, e.SubmittedAt, e.Late ? "1" : "0", e.Status, Number(e.Points), Number(e.MaxPoints), e.Error ?? ""]);
        return sb.ToString();
    }

    /// <summary>RFC 4180 quoting where needed.</summary>
    internal static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    private static void Row(StringBuilder sb, IEnumerable<string> values) => sb.Append(string.Join(',', values.Select(Quote))).Append('\n');

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>A float as Python's str() writes it (3.0, 2.5), as nbgrader's export does.</summary>
    private static string Py(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e16 ? value.ToString("0", CultureInfo.InvariantCulture) + ".0" : value.ToString("R", CultureInfo.InvariantCulture);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
