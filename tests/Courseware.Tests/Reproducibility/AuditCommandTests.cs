using System.CommandLine;
using Courseware.Cli.Commands;
using Courseware.Reproducibility;
using Courseware.Tracking;

namespace Courseware.Tests.Reproducibility;

/// <summary><c>courseware audit</c>: exit 0 when the check passes, 1 when it finds a problem.</summary>
public class AuditCommandTests
{
    private static Task<int> Audit(params string[] args) => new RootCommand { AuditCommand.Create() }.Parse(["audit", .. args]).InvokeAsync();

    [Fact]
    public async Task Data_writes_a_manifest_then_verifies_it_and_fails_after_a_change()
    {
        using var t = new TempFolder();
        var data = Path.GetDirectoryName(t.Write("data/train.csv", "x,y\n1,2\n"))!;
        Assert.Equal(0, await Audit("data", data));
        var manifest = await DataManifest.LoadAsync(data + ".manifest.json");
        Assert.Equal((await DataManifest.CreateAsync(data)).Md5, manifest.Md5);

        Assert.Equal(0, await Audit("data", data));
        t.Write("data/train.csv", "x,y\n1,3\n");
        Assert.Equal(1, await Audit("data", data));
        Assert.Equal(0, await Audit("data", data, "--update"));
        Assert.Equal(0, await Audit("data", data));
    }

    [Fact]
    public async Task Packages_fails_on_a_floating_version_and_passes_when_pinned()
    {
        using var t = new TempFolder();
        const string Props = """
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup><PackageVersion Include="YamlDotNet" Version="VERSION" /></ItemGroup>
            </Project>
            """;
        t.Write("Directory.Packages.props", Props.Replace("VERSION", "18.*"));
        Assert.Equal(1, await Audit("packages", t.Path));
        t.Write("Directory.Packages.props", Props.Replace("VERSION", "18.1.0"));
        Assert.Equal(0, await Audit("packages", t.Path));
    }

    [Fact]
    public async Task Env_saves_a_snapshot_that_loads_back()
    {
        using var t = new TempFolder();
        var file = Path.Combine(t.Path, "env.json");
        Assert.Equal(0, await Audit("env", "--out", file));
        Assert.Equal(Environment.ProcessorCount, EnvironmentSnapshot.Load(file).LogicalCores);
    }

    [Fact]
    public async Task Checkpoint_fails_on_a_folder_that_is_not_a_checkpoint()
    {
        using var t = new TempFolder();
        Assert.Equal(1, await Audit("checkpoint", t.Path));
        new TrainingCheckpoint { Step = 3 }.Save(Path.Combine(t.Path, "ckpt"));
        Assert.Equal(0, await Audit("checkpoint", Path.Combine(t.Path, "ckpt")));
    }

    [Fact]
    public async Task Report_writes_the_files_logs_a_run_and_fails_when_the_data_changed()
    {
        using var t = new TempFolder();
        t.Write("Directory.Packages.props", """
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup><PackageVersion Include="YamlDotNet" Version="18.1.0" /></ItemGroup>
            </Project>
            """);
        var data = Path.GetDirectoryName(t.Write("penguins/train.csv", "x,y\n1,2\n"))!;
        var checkpoint = Path.Combine(t.Path, "ckpt");
        new TrainingCheckpoint { Step = 3, Seeds = new SeedPlan(7), Command = "courseware train seed=7", ConfigYaml = "seed: 7\n" }.Save(checkpoint);
        var store = Path.Combine(t.Path, "store");
        var output = Path.Combine(t.Path, "out");

        Assert.Equal(2, await Audit("report", "--root", t.Path, "--data", data, "--out", output)); // no manifest recorded yet
        Assert.Equal(0, await Audit("data", data));
        Assert.Equal(0, await Audit("report", "--root", t.Path, "--data", data, "--checkpoint", checkpoint, "--out", output,
            "--tracking-uri", store, "--experiment", "nightly", "--run-name", "audit-1"));
        Assert.True(File.Exists(Path.Combine(output, "reproducibility.html")));
        Assert.Contains("courseware train seed=7", File.ReadAllText(Path.Combine(output, "reproducibility.md")));

        t.Write("penguins/train.csv", "x,y\n1,3\n");
        Assert.Equal(1, await Audit("report", "--root", t.Path, "--data", data, "--out", output, "--store", store, "--experiment", "nightly"));

        using var tracker = Tracker.Open(store);
        var runs = await tracker.SearchRunsAsync("nightly", orderBy: ["attributes.start_time ASC"]);
        Assert.Equal(2, runs.Count);
        Assert.Equal("audit-1", runs[0].Name);
        Assert.Equal("7", runs[0].Param("seed.master"));
        Assert.Equal(1, runs[0].Metric("data/unchanged"));
        Assert.Equal(1, runs[0].Metric("packages/pinned"));
        Assert.Equal(0, runs[1].Metric("data/unchanged"));
        Assert.Equal(runs[0].Param("data.penguins.md5"), runs[1].Param("data.penguins.md5")); // the md5 the run was checked against
        Assert.Contains("reproducibility/reproducibility.md", (await tracker.ListArtifactsAsync(runs[1].RunId, "reproducibility")).Select(a => a.Path));

        // A store the CLI cannot open is "could not run" (2), not "the report failed" (1).
        Assert.Equal(2, await Audit("report", "--root", t.Path, "--out", output, "--store", "sqlite:runs.db"));
    }
}
