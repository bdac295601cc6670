using Courseware.Cli.Grading;
using Courseware.Tests.Tracking;

namespace Courseware.Tests.Grading;

/// <summary>The gradebook in the PostgreSQL database a course's tracking store uses: the same rows as the SQLite file, shards merged across the two.</summary>
public sealed class PostgresGradebookTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>
{
    private static GradebookEntry Entry(string learner, string lab, double points, string gradedAt, bool late = false) =>
        new(learner, lab, learner == "ada" ? "4711" : null, $"{learner}/{lab}.ipynb", "sha-" + learner, "sol", gradedAt, "2026-03-01T10:00:00.000Z", late,
            Gradebook.StatusGraded, null, points, 3,
            [new ExerciseScore("ex1", "Mean, \"quoted\"", Math.Min(points, 2), 2, points >= 2 ? [] : ["ex1-check: wrong, see <here>"]), new ExerciseScore("ex2", "Largest", Math.Max(0, points - 2), 1, [])]);

    [Fact]
    public async Task A_gradebook_in_postgresql_holds_and_replaces_what_a_file_holds()
    {
        var connection = await cluster.CreateDatabaseAsync();
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "shard.db");
        using (var sqlite = Gradebook.Open(file))
        {
            sqlite.Put(Entry("ada", "stats", 3, "2026-03-02T09:00:00.000Z"));
            sqlite.Put(Entry("bo", "stats", 1, "2026-03-02T09:00:00.000Z", late: true));
        }
        using (var postgres = Gradebook.Open(connection))
        {
            Assert.StartsWith("postgresql://", postgres.Path);
            Assert.DoesNotContain("Password", postgres.Path, StringComparison.OrdinalIgnoreCase);
            postgres.Put(Entry("bo", "stats", 2, "2026-03-03T09:00:00.000Z")); // graded later than the shard's: kept
            postgres.Put(Entry("bo", "stats", 0, "2026-03-01T09:00:00.000Z")); // a re-grade replaces the row and its exercises
            Assert.Equal(("sha-bo", "sol"), postgres.Fingerprint("bo", "stats"));
            Assert.Null(postgres.Fingerprint("cy", "stats"));
        }
        Assert.Equal(2, Gradebook.Merge([file], connection)); // both newer than the database's re-grade of bo

        using var merged = Gradebook.Open(connection, create: false);
        using var fromFile = Gradebook.Open(file, create: false);
        Assert.Equal(fromFile.Entries().Select(Describe), merged.Entries().Select(Describe));
        Assert.Equal(["ex1-check: wrong, see <here>"], merged.Entries().Single(e => e.Learner == "bo").Exercises[0].Failures);
        Assert.Contains("cannot merge a gradebook into itself", Assert.Throws<ArgumentException>(() => Gradebook.Merge([connection], connection)).Message);
    }

    [Fact]
    public async Task An_empty_database_is_not_taken_for_a_gradebook_when_reading()
    {
        var connection = await cluster.CreateDatabaseAsync();
        Assert.Contains("not a gradebook (no submissions table)", Assert.Throws<InvalidDataException>(() => Gradebook.Open(connection, create: false)).Message);
    }

    private static string Describe(GradebookEntry e) =>
        $"{e.Learner} {e.Lab} {e.LmsId} {e.File} {e.Sha256} {e.GradedAt} {e.Late} {e.Status} {e.Points}/{e.MaxPoints} " +
        string.Join(" | ", e.Exercises.Select(x => $"{x.Exercise} {x.Title} {x.Points}/{x.MaxPoints} [{string.Join(";", x.Failures)}]"));
}
