using Courseware.Notebooks;
using System.Diagnostics;
using Courseware.Reproducibility;

namespace Courseware.Tests.Reproducibility;

/// <summary>The whole audit on the injected faults: each one must surface in the report's findings and checklist.</summary>
public class ReportTests
{
    private static void Git(string repo, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
    }

    private static async Task<(TempFolder Project, DataManifest Data)> Project(string packageVersion)
    {
        var t = new TempFolder();
        t.Write("Directory.Packages.props", $"""
            <Project>
              <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
              <ItemGroup>
                <PackageVersion Include="YamlDotNet" Version="{packageVersion}" />
              </ItemGroup>
            </Project>
            """);
        t.Write("App/App.csproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="YamlDotNet" /></ItemGroup></Project>""");
        t.Write("data/train.csv", "x,y\n1,2\n3,4\n");
        t.Write("data/test.csv", "x,y\n5,6\n");
        Git(t.Path, "init", "-q");
        Git(t.Path, "add", ".");
        Git(t.Path, "commit", "-qm", "project");
        return (t, await DataManifest.CreateAsync(Path.Combine(t.Path, "data")));
    }

    [Fact]
    public async Task Every_injected_fault_is_found_and_fails_its_checklist_item()
    {
        var (project, data) = await Project("18.*");           // a floating package version
        using var _ = project;
        var seeds = new SeedPlan(42);
        var audit = ReproducibilityAudit.Run(s => FaultyPipeline.Train(s, Fault.UnseededShuffle), seeds);
        project.Write("data/train.csv", "x,y\n1,2\n3,5\n");     // a data file changed after training
        var report = new ReproducibilityReport("faulty pipeline")
        {
            Environment = EnvironmentSnapshot.Capture(new EnvironmentCaptureOptions { RepositoryPath = project.Path }),
            Seeds = seeds,
            Data = [await data.VerifyAsync()],
            Packages = PackageVersionCheck.Run(project.Path),
            Audit = audit,
        };

        var failures = report.Findings.Where(f => f.Severity == FindingSeverity.Failure).ToList();
        Assert.Contains(failures, f => f.Subject == "shuffle" && f.Message.Contains("ignores its seed"));
        Assert.Contains(failures, f => f.Subject == data.Root && f.Message.Contains("changed: train.csv"));
        Assert.Contains(failures, f => f.Subject == "YamlDotNet" && f.Message.Contains("Directory.Packages.props(4)"));
        Assert.Contains(report.Findings, f => f is { Severity: FindingSeverity.Warning, Subject: "code" }); // the edited data file is uncommitted

        var checklist = report.Checklist.ToDictionary(c => c.Id);
        Assert.Equal(ChecklistStatus.Failing, checklist["3.4"].Status);
        Assert.Equal(ChecklistStatus.Failing, checklist["4.1"].Status);
        Assert.Equal(ChecklistStatus.Failing, checklist["4.2"].Status);
        Assert.Equal(21, checklist.Count);
    }

    [Fact]
    public async Task Clean_run_evidences_what_it_can_and_marks_the_rest_missing_or_stated()
    {
        var (project, data) = await Project("18.1.0");
        using var _ = project;
        var seeds = new SeedPlan(42);
        var sweep = ReproducibilityAudit.AcrossSeeds(s => FaultyPipeline.Train(s), seeds, [1, 2, 3]);
        var report = new ReproducibilityReport("clean <pipeline>")
        {
            Environment = EnvironmentSnapshot.Capture(new EnvironmentCaptureOptions { RepositoryPath = project.Path, PackagesFile = null }),
            Seeds = seeds,
            Data = [await data.VerifyAsync()],
            Packages = PackageVersionCheck.Run(project.Path),
            Audit = ReproducibilityAudit.Run(s => FaultyPipeline.Train(s), seeds),
            SeedSweep = sweep,
            Command = "courseware train model=small",
            ConfigYaml = "model:\n  layers: 2\n",
            Statements = new Dictionary<string, string> { ["1.1"] = "Linear regression by mini-batch SGD.", ["4.2"] = "ignored: evidence wins" },
        };
        Assert.DoesNotContain(report.Findings, f => f.Severity == FindingSeverity.Failure);
        var c = report.Checklist.ToDictionary(i => i.Id);
        Assert.Equal(ChecklistStatus.Stated, c["1.1"].Status);
        Assert.Equal(ChecklistStatus.Missing, c["1.2"].Status);
        Assert.Equal(ChecklistStatus.Evidenced, c["4.1"].Status);
        Assert.Equal(ChecklistStatus.Evidenced, c["4.2"].Status);
        Assert.DoesNotContain("ignored", c["4.2"].Evidence);
        Assert.Equal(ChecklistStatus.Evidenced, c["5.2"].Status);
        Assert.Contains("8 training runs", c["5.2"].Evidence);
        Assert.Contains("3 runs over master seeds 1, 2, 3", c["5.2"].Evidence);
        Assert.Equal(ChecklistStatus.Partial, c["5.4"].Status); // per-seed values, no summary yet
        Assert.Equal(ChecklistStatus.Evidenced, c["5.5"].Status);
        Assert.Equal(ChecklistStatus.Evidenced, c["5.6"].Status);
        Assert.Equal(ChecklistStatus.Partial, c["3.4"].Status);

        var withSummary = new ReproducibilityReport("x") { SeedSweep = sweep, MultiSeedSummary = ["val_mse = 0.01 ± 0.001 (95 % CI …)"] };
        Assert.Equal(ChecklistStatus.Evidenced, withSummary.Checklist.Single(i => i.Id == "5.4").Status);

        var md = report.ToMarkdown();
        Assert.Contains("| 4.1 | Specification of dependencies. | Evidenced |", md);
        Assert.Contains("# Reproducibility report: clean &lt;pipeline&gt;", md);
        Assert.Contains("| 1 | ", md); // the per-seed table
        var html = HtmlRenderers.Render(report);
        Assert.Contains("clean &lt;pipeline&gt;", html);
        Assert.DoesNotContain("<pipeline>", html);

        var files = report.Save(Path.Combine(project.Path, "out"));
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 1000));
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(files[0]));
    }
}
