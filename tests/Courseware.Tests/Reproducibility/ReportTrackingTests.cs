using Courseware.Reproducibility;
using Courseware.Tracking;

namespace Courseware.Tests.Reproducibility;

/// <summary>
/// <see cref="ReproducibilityReport.LogTo"/> against a real SQLite tracking store: what a later reader of the run finds
/// (metrics, per-seed history, params, artifacts) must be the report's evidence.
/// </summary>
public class ReportTrackingTests
{
    // Per-seed values and their summary; reference: scipy 1.10, reference/report_seed_summary.py
    // (mean, np.std(ddof=1), stats.t.interval(0.95, n - 1, loc=mean, scale=sem)).
    private static readonly int[] MasterSeeds = [3, 5, 8, 13];
    private static readonly double[] Accuracy = [0.81, 0.79, 0.84, 0.8];
    private static readonly double[] Loss = [0.52, 0.61, 0.47, 0.55];

    private static SeedSweep Sweep() => new(MasterSeeds,
        MasterSeeds.Select((_, i) => new TrainingOutcome().Metric("val_accuracy", Accuracy[i]).Metric("val loss (mean)", Loss[i])).ToList());

    private static async Task<(TempFolder Folder, ReproducibilityReport Report)> Report(Fault fault, bool changeData = false)
    {
        var t = new TempFolder();
        t.Write("penguins/train.csv", "x,y\n1,2\n3,4\n");
        var manifest = await DataManifest.CreateAsync(Path.Combine(t.Path, "penguins"));
        if (changeData) t.Write("penguins/train.csv", "x,y\n1,2\n3,5\n");
        var seeds = new SeedPlan(42);
        return (t, new ReproducibilityReport("penguins")
        {
            Environment = EnvironmentSnapshot.Capture(new EnvironmentCaptureOptions { RunTools = false }),
            Seeds = seeds,
            Data = [await manifest.VerifyAsync()],
            ConfigYaml = "train:\n  lr: 0.01\n",
            Command = "courseware train lr=0.01",
            Audit = ReproducibilityAudit.Run(s => FaultyPipeline.Train(s, fault), seeds, new AuditOptions { Repeats = 2, CheckSeedSensitivity = false }),
            SeedSweep = Sweep(),
        });
    }

    [Fact]
    public async Task LogTo_puts_audit_results_seed_statistics_params_and_evidence_files_on_the_run()
    {
        var (t, report) = await Report(Fault.None);
        using var _ = t;
        using var tracker = Tracker.Open(Path.Combine(t.Path, "store"));
        string runId;
        IReadOnlyList<string> written;
        using (var run = tracker.StartRun("penguins", "audit"))
        {
            written = report.LogTo(run);
            runId = run.RunId;
        }

        var stored = await tracker.GetRunAsync(runId);
        Assert.Equal(1, stored.Metric("audit/reproduced"));
        Assert.Equal(1, stored.Metric("audit/bitwise_equal"));
        Assert.Equal(2, stored.Metric("audit/runs"));
        Assert.Equal(0, stored.Metric("report/failures"));
        Assert.Equal(1, stored.Metric("data/unchanged"));
        Assert.Equal(report.Checklist.Count(c => c.Status == ChecklistStatus.Missing), stored.Metric("checklist/missing"));

        Assert.Equal(4, stored.Metric("seeds/val_accuracy/n"));
        Assert.Equal(0.81, stored.Metric("seeds/val_accuracy/mean")!.Value, 12);
        Assert.Equal(0.021602468994692835, stored.Metric("seeds/val_accuracy/std")!.Value, 12);
        Assert.Equal(0.775625651181411, stored.Metric("seeds/val_accuracy/ci95_low")!.Value, 9);
        Assert.Equal(0.8443743488185891, stored.Metric("seeds/val_accuracy/ci95_high")!.Value, 9);
        // "val loss (mean)": parentheses may not appear in a tracking key and become '_' (a space may).
        Assert.Equal(0.5375, stored.Metric("seeds/val loss _mean_/mean")!.Value, 12);
        Assert.Equal(0.44437605253667317, stored.Metric("seeds/val loss _mean_/ci95_low")!.Value, 9);
        Assert.Equal(0.6306239474633267, stored.Metric("seeds/val loss _mean_/ci95_high")!.Value, 9);
        var history = await tracker.GetMetricHistoryAsync(runId, "seeds/val_accuracy");
        Assert.Equal(MasterSeeds.Select(s => (long)s), history.Points.Select(m => m.Step).Order());
        Assert.Equal(Accuracy, history.Points.OrderBy(m => m.Step).Select(m => m.Value));

        Assert.Equal("42", stored.Param("seed.master"));
        Assert.Equal(new SeedPlan(42).Seed(SeedComponents.Shuffle).ToString(), stored.Param("seed.shuffle"));
        Assert.Equal(report.Environment!.Fingerprint, stored.Param("env.fingerprint"));
        Assert.Equal(report.Data[0].Expected.Md5, stored.Param("data.penguins.md5"));
        Assert.Equal("courseware train lr=0.01", stored.Param("command"));
        Assert.Contains("0 failure(s)", stored.Data.Tags["reproducibility.summary"]);

        var files = (await tracker.ListArtifactsAsync(runId, "reproducibility")).Select(a => a.Path).ToList();
        Assert.Equal(["reproducibility/config.yaml", "reproducibility/data", "reproducibility/environment.json", "reproducibility/reproducibility.html",
            "reproducibility/reproducibility.md", "reproducibility/seeds.json"], files.Order(StringComparer.Ordinal));
        Assert.Contains("reproducibility/data/penguins.manifest.json", written);
        Assert.Equal(report.ToMarkdown(), await tracker.ReadArtifactTextAsync(runId, "reproducibility/reproducibility.md"));
        Assert.Equal(report.Data[0].Expected.Md5, DataManifest.FromJson(await tracker.ReadArtifactTextAsync(runId, "reproducibility/data/penguins.manifest.json")).Md5);
        Assert.Equal(report.Environment.Fingerprint, EnvironmentSnapshot.FromJson(await tracker.ReadArtifactTextAsync(runId, "reproducibility/environment.json")).Fingerprint);
        Assert.Equal(new SeedPlan(42), SeedPlan.FromJson(await tracker.ReadArtifactTextAsync(runId, "reproducibility/seeds.json")));
        Assert.StartsWith("<!DOCTYPE html>", await tracker.ReadArtifactTextAsync(runId, "reproducibility/reproducibility.html"));
    }

    [Fact]
    public async Task A_failing_audit_and_changed_data_show_in_the_logged_metrics()
    {
        var (t, report) = await Report(Fault.UnseededShuffle, changeData: true);
        using var _ = t;
        using var tracker = Tracker.Open(Path.Combine(t.Path, "store"));
        using var run = tracker.StartRun("penguins");
        report.LogTo(run);
        var stored = await run.GetAsync();
        Assert.Equal(0, stored.Metric("audit/reproduced"));
        Assert.Equal(0, stored.Metric("audit/bitwise_equal"));
        Assert.True(stored.Metric("audit/nondeterministic_outputs") >= 1);
        Assert.Equal(0, stored.Metric("data/unchanged"));
        Assert.Equal(report.Findings.Count(f => f.Severity == FindingSeverity.Failure), stored.Metric("report/failures"));
        Assert.True(stored.Metric("report/failures") >= 2); // the shuffle and the data
    }

    [Fact]
    public async Task A_run_made_under_other_seeds_refuses_the_report()
    {
        var (t, report) = await Report(Fault.None);
        using var _ = t;
        using var tracker = Tracker.Open(Path.Combine(t.Path, "store"));
        using var run = tracker.StartRun("penguins");
        run.LogParam("seed.master", 7);
        var e = Assert.Throws<TrackingException>(() => report.LogTo(run));
        Assert.Contains("seed.master", e.Message);
    }

    [Fact]
    public void One_seed_or_a_diverged_run_logs_the_count_but_no_interval()
    {
        var report = new ReproducibilityReport("x")
        {
            SeedSweep = new SeedSweep([1, 2], [new TrainingOutcome().Metric("loss", 0.5), new TrainingOutcome().Metric("loss", double.NaN)]),
        };
        var metrics = report.ToMetrics();
        Assert.Equal(2, metrics["seeds/loss/n"]);
        Assert.False(metrics.ContainsKey("seeds/loss/mean"));
        Assert.False(metrics.ContainsKey("audit/reproduced"));
    }
}
