using Courseware.Benchmarks;
using Courseware.Models;
using Courseware.Tests.Models;

namespace Courseware.Tests.Benchmarks;

public class TinyWorldBenchmarkTests
{
    private static readonly string Shipped = Path.Combine(RepoPaths.Root, "datasets", "benchmarks", "tinyworld");

    [Fact]
    public void GeneratorIsDeterministicAndTheShippedFilesAreItsOutput()
    {
        using var folder = new TempFolder();
        IReadOnlyList<string> files = TinyWorldBenchmarks.Write(folder.Path);
        Assert.Contains("mmlu/test/tinyworld_towns_test.csv", files);
        foreach (string file in files)
        {
            Assert.True(File.Exists(Path.Combine(Shipped, file)), $"{file} is not shipped; run `courseware eval generate`.");
            Assert.Equal(File.ReadAllText(Path.Combine(folder.Path, file)), File.ReadAllText(Path.Combine(Shipped, file)));
        }
    }

    [Fact]
    public void EveryShippedTaskLoadsWithoutProblems()
    {
        var tasks = BenchmarkSuite.Load(Shipped, [.. BenchmarkSuite.Names, "custom/tinyworld_pets.yaml"], strict: true);
        Assert.Equal(4 + 4 + 1 + 2 + 2 + 1, tasks.Count);
        Assert.All(tasks, t => Assert.Empty(t.Problems));
        var world = FictionalWorld.Generate(0, 48);
        int scored = world.Facts.Count - 4 * TinyWorldBenchmarks.DevPerRelation;
        // The CSV and the records layout hold the same items.
        Assert.Equal(2 * scored, tasks.Where(t => t.Groups.Contains("mmlu")).Sum(t => t.Documents.Count));
        Assert.Equal(scored, tasks.Single(t => t.Name == "hellaswag").Documents.Count);
        // The HellaSwag rows' [step] markers are removed by the harness preprocessing.
        Assert.DoesNotContain(tasks.Single(t => t.Name == "hellaswag").Documents, d => d.Query.Contains('['));
    }

    [Fact]
    public void ContaminationCheckFindsExactlyTheSeenFactsInArcEasy()
    {
        var world = FictionalWorld.Generate(0, 48);
        BenchmarkTask easy = Arc.Load(Path.Combine(Shipped, "arc", "ARC-Easy-Test.jsonl"));
        ContaminationReport report = ContaminationCheck.Build(world.TrainingDocuments).Check(easy);
        var seen = world.Facts.Where(f => f.InTraining).Select(f => $"tinyworld-easy-{f.Relation}-{f.Person.Replace(' ', '_')}").ToHashSet();
        Assert.True(report.Contaminated.Count > 0);
        Assert.All(easy.Documents, d => Assert.Equal(seen.Contains(d.Id), report.IsContaminated(d.Id)));
    }
}
