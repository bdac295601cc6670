using Courseware.Reproducibility;

namespace Courseware.Tests.Reproducibility;

public class AuditTests
{
    private static readonly SeedPlan Plan = new(42);

    [Fact]
    public void Clean_pipeline_reproduces_bit_for_bit_and_each_used_seed_controls_its_stage()
    {
        var audit = ReproducibilityAudit.Run(s => FaultyPipeline.Train(s), Plan);
        Assert.True(audit.Reproduced);
        Assert.All(audit.Repeats, r => Assert.True(r.BitwiseIdentical));
        Assert.Null(audit.FirstDivergence);
        var controls = audit.Sensitivity.ToDictionary(s => s.Component, s => s.Changed);
        Assert.Contains("data_split.indices", controls["data_split"]);
        Assert.Equal("shuffle.order", controls["shuffle"][0]);
        Assert.Equal("init.weights", controls["init"][0]);
        Assert.Contains("dropout.masks", controls["dropout"]);
        Assert.Empty(controls["augmentation"]);
        Assert.Contains(audit.Findings, f => f is { Severity: FindingSeverity.Warning, Subject: "augmentation" });
        Assert.DoesNotContain(audit.Findings, f => f.Severity == FindingSeverity.Failure);
        Assert.Equal(3 + 5, audit.RunDurations.Count);
    }

    [Fact]
    public void Unseeded_shuffle_is_found()
    {
        var audit = ReproducibilityAudit.Run(s => FaultyPipeline.Train(s, Fault.UnseededShuffle), Plan);
        Assert.False(audit.Reproduced);
        Assert.Equal("shuffle.order", audit.FirstDivergence!.Name);
        var failure = Assert.Single(audit.Findings, f => f.Severity == FindingSeverity.Failure);
        Assert.Equal("shuffle", failure.Subject);
        Assert.Contains("ignores its seed", failure.Message);
        Assert.Equal(["data_split.indices", "init.weights", "dropout.masks"], audit.Repeats.SelectMany(r => r.Arrays).Where(a => a.Matches).Select(a => a.Name).Distinct());
    }

    [Fact]
    public void Time_based_seed_is_found()
    {
        var audit = ReproducibilityAudit.Run(s => FaultyPipeline.Train(s, Fault.TimeSeededInit), Plan);
        Assert.False(audit.Reproduced);
        Assert.Equal("init.weights", audit.FirstDivergence!.Name);
        var failure = Assert.Single(audit.Findings, f => f.Severity == FindingSeverity.Failure);
        Assert.Equal("init", failure.Subject);
        Assert.Contains("clock", failure.Message);
    }

    [Fact]
    public void Parallel_reduction_whose_order_varies_is_found()
    {
        var audit = ReproducibilityAudit.Run(s => FaultyPipeline.Train(s, Fault.ParallelReduction), Plan, new AuditOptions { Repeats = 4 });
        Assert.False(audit.Reproduced);
        var first = audit.FirstDivergence!;
        Assert.Equal("weights", first.Name);
        // Reordered float sums differ in the last bits only: a tolerance makes the runs agree.
        Assert.True(first.MaxAbsDifference is > 0 and < 1e-4, $"max |Δ| = {first.MaxAbsDifference}");
        Assert.NotEqual(ArrayComparison.Exact(first.ValueA), ArrayComparison.Exact(first.ValueB)); // printed so the difference shows
        var failure = Assert.Single(audit.Findings, f => f.Severity == FindingSeverity.Failure);
        Assert.Contains("reduction", failure.Message);
        Assert.True(ReproducibilityAudit.Run(s => FaultyPipeline.Train(s, Fault.ParallelReduction), Plan,
            new AuditOptions { Tolerance = Tolerance.Within(1e-4), CheckSeedSensitivity = false }).Reproduced);
    }

    [Fact]
    public void Bisect_names_the_components_whose_seeds_explain_a_difference()
    {
        var one = ReproducibilityAudit.Bisect(s => FaultyPipeline.Train(s), Plan, Plan.Vary(SeedComponents.Shuffle));
        Assert.Equal(["shuffle"], one.Culprits);

        var other = Plan.WithMasterSeed(7).WithSeed(SeedComponents.Dropout, Plan[SeedComponents.Dropout]);
        var several = ReproducibilityAudit.Bisect(s => FaultyPipeline.Train(s), Plan, other);
        Assert.Equal(["data_split", "shuffle", "init", "augmentation"], several.DifferingComponents);
        Assert.Equal(["data_split", "shuffle", "init"], several.Culprits);

        var none = ReproducibilityAudit.Bisect(s => FaultyPipeline.Train(s), Plan, Plan.Vary(SeedComponents.Augmentation));
        Assert.Empty(none.Culprits);
        Assert.Equal(3, none.Runs);

        Assert.Throws<InvalidOperationException>(() =>
            ReproducibilityAudit.Bisect(s => FaultyPipeline.Train(s, Fault.UnseededShuffle), Plan, Plan.Vary(SeedComponents.Shuffle)));
    }

    [Fact]
    public void Seed_sweep_collects_one_value_per_master_seed()
    {
        var sweep = ReproducibilityAudit.AcrossSeeds(s => FaultyPipeline.Train(s), Plan, [1, 2, 3, 2]);
        Assert.Equal([1, 2, 3], sweep.MasterSeeds);
        var values = sweep.Values("val_mse");
        Assert.Equal(3, values.Length);
        Assert.Equal(FaultyPipeline.Train(Plan.WithMasterSeed(2)).Metrics.Single(m => m.Key == "val_mse").Value, values[1]);
        Assert.Throws<KeyNotFoundException>(() => sweep.Values("accuracy"));
    }
}
