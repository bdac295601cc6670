using Courseware.Notebooks;
using Courseware.Registry;
using Courseware.Tests.Tracking;
using Courseware.Tracking;
using Courseware.Tracking.Rest;
using Courseware.Tests.Server;

namespace Courseware.Tests.Registry;

/// <summary>
/// Gate decisions on crafted evaluation scores; expected p-values from reference/mcnemar_gate.py (scipy/statsmodels).
/// Run on a SQLite store and through a tracking server (subclasses below).
/// </summary>
public abstract class PromotionGateContract : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private ITrackingStore _store = null!;
    private ModelRegistry _registry = null!;

    /// <summary>A temp folder for model and policy files (the SQLite store's folder in the SQLite variant).</summary>
    protected string Folder => _folder.Path;

    protected abstract Task<ITrackingStore> OpenStoreAsync();

    /// <summary>What the CLI's --store gets to reach the same registry.</summary>
    protected abstract string StoreLocation { get; }

    // 12 items only the challenger gets right, 2 only the champion, 26 both: McNemar exact p = 0.012939453125 (scipy binomtest).
    private static readonly double[] Champion = [.. Enumerable.Repeat(0.0, 12), 1, 1, .. Enumerable.Repeat(1.0, 26)];
    private static readonly double[] Challenger = [.. Enumerable.Repeat(1.0, 12), 0, 0, .. Enumerable.Repeat(1.0, 26)];

    private const string Policy = """
        alpha: 0.05
        require_model_card: true
        require_passing_checks: true
        metrics:
          - name: correct
            dataset: test
        """;

    public async Task InitializeAsync()
    {
        _store = await OpenStoreAsync();
        _registry = new ModelRegistry(_store, "gatekeeper");
        var signature = new ModelSignature([new TensorSpec("x", "float32")], [new TensorSpec("y", "string")]);
        foreach (var (scores, alias) in new[] { (Champion, "champion"), (Challenger, "challenger") })
        {
            var file = Path.Combine(_folder.Path, alias + ".zip");
            File.WriteAllText(file, alias);
            var v = await _registry.RegisterAsync("penguins", file, ModelFlavor.MLNet, signature);
            await _registry.LogEvaluationAsync("penguins", v.Version, "correct", "test", scores);
            await _registry.SetAliasAsync("penguins", alias, v.Version, "initial");
        }
    }

    public virtual async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _folder.Dispose();
    }

    private async Task CompleteCardAsync(int version)
    {
        var card = ModelCard.Generate(await _registry.GetVersionAsync("penguins", version)) with
        {
            IntendedUse = "Teaching.", TrainingData = "penguins.json", EvaluationData = "held-out 40 rows",
            Limitations = "Three species only.", EthicalConsiderations = "None known.",
            Metrics = [CardMetric.FromScores("accuracy", Challenger, "test")],
        };
        await _registry.SaveModelCardAsync(card);
    }

    [Fact]
    public async Task A_significantly_better_challenger_with_a_complete_card_is_promoted_and_audited()
    {
        await CompleteCardAsync(2);
        await _registry.RecordCheckAsync("penguins", 2, "drift", passed: true, "PSI 0.02");
        var decision = await _registry.PromoteAsync("penguins", PromotionPolicy.Parse(Policy));

        Assert.True(decision.Approved, decision.Reason);
        Assert.True(decision.Applied);
        Assert.Equal((2, (int?)1), (decision.Candidate, decision.Incumbent));
        Assert.Contains("McNemar exact test p = 0.013", decision.Checks[0].Detail);
        Assert.Contains("mean 0.95 vs 0.7 (n = 40)", decision.Checks[0].Detail);
        var model = await _registry.GetModelAsync("penguins");
        Assert.Equal(new Dictionary<string, int> { ["champion"] = 2 }, model.Aliases);
        var promote = (await _registry.GetAuditLogAsync("penguins")).Entries.Single(e => e.Action == "promote");
        Assert.Equal(("champion", (int?)1, (int?)2, "gatekeeper"), (promote.Alias, promote.OldVersion, promote.NewVersion, promote.Actor));
        Assert.StartsWith("approved:", promote.Reason);

        Assert.Equal(1, (await _registry.RollbackAsync("penguins", reason: "pager")).Version);
    }

    [Fact]
    public async Task The_same_difference_is_refused_at_a_stricter_alpha()
    {
        await CompleteCardAsync(2);
        // p = 0.0129 > 0.01.
        var decision = await _registry.PromoteAsync("penguins", PromotionPolicy.Parse(Policy.Replace("alpha: 0.05", "alpha: 0.01")));
        Assert.False(decision.Approved);
        Assert.EndsWith("not significant", decision.Checks[0].Detail);
        Assert.Equal(1, (await _registry.ResolveAsync("models:/penguins@champion")).Version);
        Assert.Equal("promotion_refused", (await _registry.GetAuditLogAsync("penguins")).Entries[^1].Action);
    }

    [Fact]
    public async Task A_failing_drift_check_or_an_incomplete_card_blocks_promotion()
    {
        await _registry.RecordCheckAsync("penguins", 2, "drift", passed: false, "flipper length PSI 0.41");
        var decision = await _registry.PromoteAsync("penguins", PromotionPolicy.Parse(Policy), dryRun: true);
        Assert.Equal([true, false, false], decision.Checks.Select(c => c.Passed));
        Assert.Contains("drift (failed: flipper length PSI 0.41)", decision.Checks[1].Detail);
        Assert.Equal("no model card saved for this version", decision.Checks[2].Detail);
        Assert.False(decision.Applied);

        await _registry.SaveModelCardAsync(ModelCard.Generate(await _registry.GetVersionAsync("penguins", 2)));
        decision = await _registry.PromoteAsync("penguins", PromotionPolicy.Parse(Policy), dryRun: true);
        Assert.Equal("sections to write: intended use, training data, evaluation data, limitations, ethical considerations, metrics", decision.Checks[2].Detail);
        Assert.Contains("REFUSED", HtmlRenderers.Render(decision));
    }

    [Fact]
    public async Task Lower_is_better_metrics_compare_in_the_right_direction()
    {
        // Per-item losses where the challenger is worse (higher): refused as "not better".
        double[] low = [.. Enumerable.Range(0, 30).Select(i => 0.2 + 0.01 * (i % 5))];
        double[] high = [.. low.Select(x => x + 0.1)];
        await _registry.LogEvaluationAsync("penguins", 1, "loss", "test", low);
        await _registry.LogEvaluationAsync("penguins", 2, "loss", "test", high);
        var policy = new PromotionPolicy([new GateMetric("loss", "test", HigherIsBetter: false)], RequireModelCard: false);
        var worse = await _registry.PromoteAsync("penguins", policy, dryRun: true);
        Assert.EndsWith("not better", worse.Checks[0].Detail);
        await _registry.LogEvaluationAsync("penguins", 2, "loss", "test", [.. low.Select((x, i) => x - 0.05 - 0.001 * i)]);
        Assert.True((await _registry.PromoteAsync("penguins", policy, dryRun: true)).Approved);
    }

    [Fact]
    public async Task The_cli_promotes_through_the_gate_and_rolls_back_in_one_command()
    {
        var policy = Path.Combine(_folder.Path, "policy.yaml");
        await File.WriteAllTextAsync(policy, Policy);
        Task<int> Cli(params string[] args) =>
            Courseware.Cli.Commands.RegistryCommand.Create().Parse([.. args, "--store", StoreLocation]).InvokeAsync();

        Assert.Equal(1, await Cli("promote", "penguins", "--from", "challenger", "--policy", policy));   // no model card yet
        await CompleteCardAsync(2);
        Assert.Equal(0, await Cli("promote", "penguins", "--from", "challenger", "--policy", policy));
        Assert.Equal(2, (await _registry.ResolveAsync("models:/penguins@champion")).Version);
        Assert.Equal(0, await Cli("rollback", "penguins", "--reason", "error rate up"));
        Assert.Equal(1, (await _registry.ResolveAsync("models:/penguins@champion")).Version);
        Assert.Equal(2, await Cli("rollback", "nope"));
        Assert.Equal(2, await Cli("promote", "penguins", "--policy", Path.Combine(_folder.Path, "missing.yaml")));
        var actions = (await _registry.GetAuditLogAsync("penguins")).Entries.Select(e => e.Action).ToList();
        Assert.Equal(["promotion_refused", "model_card", "promote", "delete_alias", "rollback"], actions.Skip(2));
    }

    [Theory]
    [InlineData("alpha: 2\nmetrics: []", "policy.yaml:1:8: alpha must be strictly between 0 and 1")]
    [InlineData("metrics:\n  - name: acc\n    datset: test", "policy.yaml:3:5: unknown metric field 'datset'")]
    [InlineData("metrics:\n  - name: acc", "policy.yaml:2:5: a metric needs both 'name' and 'dataset'")]
    [InlineData("alpah: 0.05", "policy.yaml:1:1: unknown key 'alpah'")]
    [InlineData("require_model_card: maybe", "policy.yaml:1:21: 'require_model_card' must be true or false")]
    public void Policy_errors_name_the_file_line_and_column(string yaml, string expected)
    {
        var e = Assert.Throws<RegistryException>(() => PromotionPolicy.Parse(yaml, "policy.yaml"));
        Assert.Equal("policy", e.Field);
        Assert.StartsWith(expected, e.Message);
    }
}

/// <summary>The promotion gate on the embedded SQLite store.</summary>
public sealed class PromotionGateTests : PromotionGateContract
{
    protected override Task<ITrackingStore> OpenStoreAsync() => Task.FromResult<ITrackingStore>(SqliteTrackingStore.Open(Folder));

    protected override string StoreLocation => Folder;
}

/// <summary>The promotion gate through a tracking server: evaluations, checks, cards, the alias move and its audit over REST.</summary>
public sealed class RestPromotionGateTests : PromotionGateContract
{
    private LiveServer _server = null!;

    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        _server = await LiveServer.StartAsync();
        return await RestTrackingStore.ConnectAsync(_server.Url);
    }

    protected override string StoreLocation => _server.Url;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }
}
