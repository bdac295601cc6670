using Courseware.Evaluation;
using Courseware.Models;
using Courseware.Tests.Models;

namespace Courseware.Tests.Evaluation.Judges;

public sealed class HumanPreferencesTests : IDisposable
{
    private static readonly string Shipped = Path.Combine(RepoPaths.Root, "datasets/preferences/tinyworld_preferences.jsonl");
    private readonly string _folder = Directory.CreateTempSubdirectory("prefs-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_shipped_set_has_the_counts_its_datasheet_states()
    {
        var set = HumanPreferences.Load(Shipped);
        // Counted with Python's json + collections.Counter over the same file (see datasets/preferences/README.md).
        Assert.Equal(43, set.Items.Count);
        Assert.Equal(17, set.Labels.Count(l => l == Preference.First));
        Assert.Equal(12, set.Labels.Count(l => l == Preference.Second));
        Assert.Equal(14, set.Labels.Count(l => l == Preference.Tie));
        Assert.Equal(28, set.Items.Count(i => i.Fields["in_training"] == "true"));
        Assert.Equal("pref-01", set.Items[0].Id);
        Assert.Equal(new AnswerPair("Where does Thaestoth Molir live?", "Telvi", "Dunmere"), set.Pairs[0]);
        Assert.Equal("tinygpt-base", set.Items[0].Fields["source_a"]);
    }

    [Fact]
    public async Task Every_item_is_readable_by_the_shipped_checkpoints_judge()
    {
        using var model = TinyGpt.Load(Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small"), "cpu");
        model.Log = TextWriter.Null;
        var judge = new LogProbabilityJudge(model);
        foreach (var pair in HumanPreferences.Load(Shipped).Pairs)
        {
            Assert.NotNull(await judge.ScoreAsync(pair.Question, pair.First, pair.Second));
            Assert.NotNull(await judge.ScoreAsync(pair.Question, pair.Second, pair.First));
        }
        Assert.Empty(judge.Failures);
    }

    [Theory]
    [InlineData("{\"id\":\"x\",\"question\":\"q\",\"answer_a\":\"a\",\"answer_b\":\"b\",\"preferred\":\"C\",\"reason\":\"r\"}", ":2: 'preferred' is \"C\"; expected \"A\", \"B\" or \"tie\"")]
    [InlineData("{\"id\":\"x\",\"question\":\"q\",\"answer_a\":\"a\",\"preferred\":\"A\",\"reason\":\"r\"}", ":2: 'answer_b' is missing or not a string")]
    [InlineData("{\"id\":\"x\",", ":2: not valid JSON")]
    [InlineData("[1, 2]", ":2: expected a JSON object")]
    public void Malformed_lines_name_the_file_line_and_field(string secondLine, string expected)
    {
        string path = Path.Combine(_folder, "prefs.jsonl");
        File.WriteAllLines(path, ["{\"id\":\"ok\",\"question\":\"q\",\"answer_a\":\"a\",\"answer_b\":\"b\",\"preferred\":\"tie\",\"reason\":\"r\"}", secondLine]);
        var error = Assert.Throws<InvalidDataException>(() => HumanPreferences.Load(path));
        Assert.Contains(path + expected, error.Message);
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        string path = Path.Combine(_folder, "empty.jsonl");
        File.WriteAllText(path, "\n");
        Assert.Contains("no items", Assert.Throws<InvalidDataException>(() => HumanPreferences.Load(path)).Message);
    }
}
