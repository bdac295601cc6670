using Courseware.Notebooks;
using Courseware.Registry;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Registry;

/// <summary>
/// The registry's behaviour, written once and run against every SQL store (SQLite and PostgreSQL subclasses below).
/// Expected values follow MLflow's registry semantics (shared/notes/tracking.md, registry section).
/// </summary>
public abstract class RegistryContract : IAsyncLifetime
{
    private readonly TempFolder _models = new();

    protected ITrackingStore Store { get; private set; } = null!;

    protected ModelRegistry Registry { get; private set; } = null!;

    protected abstract Task<ITrackingStore> OpenStoreAsync();

    protected abstract Task<ITrackingStore> OpenSameStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await OpenStoreAsync();
        Registry = new ModelRegistry(Store, actor: "tester");
    }

    public virtual async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _models.Dispose();
    }

    protected static readonly ModelSignature Signature = new([new TensorSpec("x", "float32", [-1, 4])], [new TensorSpec("y", "float32", [-1, 3])]);

    /// <summary>A small model file with distinct content (the registry copies it, so each version needs its own bytes).</summary>
    protected string ModelFile(string content = "weights")
    {
        var path = Path.Combine(_models.Path, Guid.NewGuid().ToString("N")[..8] + ".onnx");
        File.WriteAllText(path, content);
        return path;
    }

    private Task<ModelVersion> RegisterAsync(string name, string? runId = null) =>
        Registry.RegisterAsync(name, ModelFile(), ModelFlavor.Onnx, Signature, runId);

    [Fact]
    public async Task Models_have_descriptions_and_tags_and_names_are_unique()
    {
        await Registry.CreateModelAsync("penguins", "species classifier", new Dictionary<string, string> { ["team"] = "birds" });
        await Registry.UpdateModelAsync("penguins", "species classifier (ML.NET)");
        await Registry.SetModelTagAsync("penguins", "task", "classification");
        var m = await Registry.GetModelAsync("penguins");
        Assert.Equal(("species classifier (ML.NET)", "birds", "classification"), (m.Description, m.Tags["team"], m.Tags["task"]));

        var dup = await Assert.ThrowsAsync<RegistryException>(() => Registry.CreateModelAsync("penguins"));
        Assert.Equal(("RESOURCE_ALREADY_EXISTS", "name"), (dup.ErrorCode, dup.Field));
        var missing = await Assert.ThrowsAsync<RegistryException>(() => Registry.GetModelAsync("nope"));
        Assert.Equal((404, "name"), (missing.HttpStatus, missing.Field));
        var bad = await Assert.ThrowsAsync<RegistryException>(() => Registry.CreateModelAsync("a/b"));
        Assert.Contains("position 2", bad.Message);
        await Registry.CreateModelAsync("Penguin-lm");
        Assert.Equal(["penguins", "Penguin-lm"], (await Registry.SearchModelsAsync("PENGUIN")).Select(x => x.Name).Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public async Task Versions_are_numbered_max_plus_one_and_never_reused_after_deletion()
    {
        for (var i = 0; i < 3; i++) await RegisterAsync("m");
        await Registry.DeleteVersionAsync("m", 3, "bad data");
        Assert.Equal(4, (await RegisterAsync("m")).Version);
        await Registry.DeleteVersionAsync("m", 4);
        Assert.Equal(5, (await RegisterAsync("m")).Version);
        Assert.Equal([5, 2, 1], (await Registry.SearchVersionsAsync("m")).Select(v => v.Version));
        Assert.Equal([5, 4, 3, 2, 1], (await Registry.SearchVersionsAsync("m", includeDeleted: true)).Select(v => v.Version));
        var gone = await Assert.ThrowsAsync<RegistryException>(() => Registry.GetVersionAsync("m", 3));
        Assert.Equal(("version", 404), (gone.Field, gone.HttpStatus));
        Assert.Contains("deleted", gone.Message);
        // Deleting the whole model starts numbering afresh, as in MLflow (the name is free again).
        await Registry.DeleteModelAsync("m");
        Assert.Equal(1, (await RegisterAsync("m")).Version);
    }

    [Fact]
    public async Task A_version_points_to_its_run_artifact_and_records_lineage()
    {
        var run = await Store.CreateRunAsync("0", "train", 1, "tester");
        await Store.LogBatchAsync(run.RunId, [new Metric("accuracy", 0.93, 2, 0)], [new Param("lr", "0.1")], [new RunTag(SystemTags.GitCommit, "abc123")]);
        var data = ModelFile("a,b\n1,2\n");
        var dataset = DatasetReference.FromFile(data, "train.csv");
        var v = await Registry.RegisterAsync("m", ModelFile("the model"), ModelFlavor.Onnx, Signature, run.RunId, [dataset]);

        Assert.Equal((1, run.RunId, "READY"), (v.Version, v.RunId, v.Status));
        Assert.StartsWith(run.Info.ArtifactUri + "/registered/m/1/", v.Source);
        Assert.Equal("the model", File.ReadAllText(ModelRegistry.LocalPath(v)));
        Assert.Equal(("0.1", 0.93, "abc123"), (v.Lineage.Params["lr"], v.Lineage.Metrics["accuracy"], v.Lineage.CodeCommit));
        // sha256 of "a,b\n1,2\n", from coreutils: printf 'a,b\n1,2\n' | sha256sum
        Assert.Equal("492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470", v.Lineage.Datasets[0].Sha256);

        await Registry.SetAliasAsync("m", "champion", 1, "first model");
        var lineage = await Registry.GetLineageAsync("m", 1);
        Assert.Equal(run.RunId, lineage.Run!.Info.RunId);
        Assert.Single(lineage.AliasChanges);
        var html = HtmlRenderers.Render(lineage);
        Assert.Contains("train.csv", html);
        Assert.Contains("abc123", html);
        Assert.Contains("first model", html);
    }

    [Fact]
    public async Task Aliases_follow_mlflow_validation_and_reserved_names()
    {
        await RegisterAsync("m");
        await RegisterAsync("m");
        foreach (var reserved in new[] { "latest", "LATEST", "v1", "V12" })
        {
            var e = await Assert.ThrowsAsync<RegistryException>(() => Registry.SetAliasAsync("m", reserved, 1));
            Assert.Equal(("alias", 400), (e.Field, e.HttpStatus));
            Assert.Contains("reserved", e.Message);
        }
        foreach (var invalid in new[] { "", "has space", "a/b", "a.b", new string('a', 256) })
            Assert.Equal("alias", (await Assert.ThrowsAsync<RegistryException>(() => Registry.SetAliasAsync("m", invalid, 1))).Field);
        Assert.Equal("version", (await Assert.ThrowsAsync<RegistryException>(() => Registry.SetAliasAsync("m", "champion", 9))).Field);

        await Registry.SetAliasAsync("m", "champion", 1);
        await Registry.SetAliasAsync("m", "challenger", 2);
        await Registry.SetAliasAsync("m", "v1-candidate", 2);
        await Registry.SetAliasAsync("m", "champion", 2, "moved");
        Assert.Equal(new Dictionary<string, int> { ["champion"] = 2, ["challenger"] = 2, ["v1-candidate"] = 2 }, (await Registry.GetModelAsync("m")).Aliases);
        Assert.Equal(["challenger", "champion", "v1-candidate"], (await Registry.GetVersionByAliasAsync("m", "champion")).Aliases);

        // Deleting a version removes its aliases, and the audit log says so.
        await Registry.DeleteVersionAsync("m", 2, "leak found");
        Assert.Empty((await Registry.GetModelAsync("m")).Aliases);
        Assert.Equal(404, (await Assert.ThrowsAsync<RegistryException>(() => Registry.GetVersionByAliasAsync("m", "champion"))).HttpStatus);
        var log = (await Registry.GetAuditLogAsync("m")).Entries;
        Assert.Equal(3, log.Count(e => e.Action == "delete_alias" && e.OldVersion == 2));
        Assert.All(log, e => Assert.Equal("tester", e.Actor));
        Assert.Equal(Enumerable.Range(1, log.Count).Select(i => (long)i), log.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Uris_resolve_versions_aliases_latest_and_deprecated_stages()
    {
        for (var i = 0; i < 3; i++) await RegisterAsync("m");
        await Registry.SetAliasAsync("m", "champion", 2);
        await Registry.DeleteVersionAsync("m", 3);
        Assert.Equal(1, (await Registry.ResolveAsync("models:/m/1")).Version);
        Assert.Equal(2, (await Registry.ResolveAsync("models:/m@champion")).Version);
        Assert.Equal(2, (await Registry.ResolveAsync("models:/m/latest")).Version);
        Assert.Equal(2, (await Registry.ResolveAsync("models:/m/LaTeSt")).Version);
        // A version whose files are still being copied (another client's registration in flight) is not "latest".
        var pending = await Registry.Backend.CreateVersionAsync(new NewVersion("m", new Uri(ModelFile()).AbsoluteUri, null, ModelFlavor.Onnx, Signature, ModelLineage.None, "",
            new Dictionary<string, string>()), default);
        Assert.Equal((4, "PENDING_REGISTRATION"), (pending, (await Registry.GetVersionAsync("m", 4)).Status));
        Assert.Equal(2, (await Registry.ResolveAsync("models:/m/latest")).Version);
        await Registry.DeleteVersionAsync("m", 4);

        var warnings = new List<string>();
        Registry.Deprecation += warnings.Add;
#pragma warning disable CS0618 // the deprecated stage API is what this test is about
        await Registry.TransitionStageAsync("m", 1, "production");
        Assert.Equal("Production", (await Registry.GetVersionAsync("m", 1)).CurrentStage);
        var stageError = await Assert.ThrowsAsync<RegistryException>(() => Registry.TransitionStageAsync("m", 1, "Prod"));
#pragma warning restore CS0618
        Assert.Contains("deprecated", stageError.Message);
        Assert.Equal(1, (await Registry.ResolveAsync("models:/m/Production")).Version);
        Assert.Contains(warnings, w => w.Contains("deprecated since MLflow 2.9"));
        // MLflow's get_latest_versions: the newest live version per stage (version 2 is the newest in None; 3 and 4 are deleted).
        Assert.Equal([1, 2], (await Registry.GetLatestVersionsAsync("m")).Select(v => v.Version));
        Assert.Equal([1], (await Registry.GetLatestVersionsAsync("m", ["PRODUCTION"])).Select(v => v.Version));
        Assert.Equal("stages", (await Assert.ThrowsAsync<RegistryException>(() => Registry.GetLatestVersionsAsync("m", ["Prod"]))).Field);

        foreach (var (uri, field) in new[] { ("runs:/abc/model", "model_uri"), ("models:/m", "model_uri"), ("models:/m/0", "model_uri"), ("models:/m/1/x", "model_uri"), ("models:/@x", "name") })
            Assert.Equal(field, (await Assert.ThrowsAsync<RegistryException>(() => Registry.ResolveAsync(uri))).Field);
        Assert.Equal(404, (await Assert.ThrowsAsync<RegistryException>(() => Registry.ResolveAsync("models:/m/3"))).HttpStatus);
        Assert.Equal(404, (await Assert.ThrowsAsync<RegistryException>(() => Registry.ResolveAsync("models:/m@nobody"))).HttpStatus);
        Assert.Equal(404, (await Assert.ThrowsAsync<RegistryException>(() => Registry.ResolveAsync("models:/other/latest"))).HttpStatus);
        Assert.Equal(404, (await Assert.ThrowsAsync<RegistryException>(() => Registry.ResolveAsync("models:/m/Staging"))).HttpStatus);
    }

    [Fact]
    public async Task Concurrent_writers_on_separate_connections_get_distinct_version_numbers()
    {
        var others = new List<ITrackingStore>();
        for (var i = 0; i < 3; i++) others.Add(await OpenSameStoreAsync());
        try
        {
            var writers = others.Prepend(Store).Select(store => Task.Run(async () =>
            {
                var registry = new ModelRegistry(store);
                var numbers = new List<int>();
                for (var i = 0; i < 8; i++) numbers.Add((await registry.RegisterAsync("race", ModelFile(), ModelFlavor.Onnx, Signature)).Version);
                return numbers;
            })).ToList();
            var all = (await Task.WhenAll(writers)).SelectMany(n => n).Order().ToList();
            Assert.Equal(Enumerable.Range(1, 32), all);
        }
        finally
        {
            foreach (var s in others) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Rollback_undoes_alias_changes_one_step_at_a_time_skipping_deleted_versions()
    {
        for (var i = 0; i < 4; i++) await RegisterAsync("m");
        await Registry.SetAliasAsync("m", "champion", 1, "first");
        await Registry.SetAliasAsync("m", "champion", 2, "better");
        await Registry.SetAliasAsync("m", "champion", 3, "better still");
        await Registry.SetAliasAsync("m", "champion", 4, "newest");
        await Registry.DeleteVersionAsync("m", 2);
        // 4 → 3, then 3 → 1 (2 was deleted), then nothing earlier.
        Assert.Equal(3, (await Registry.RollbackAsync("m", reason: "latency regression")).Version);
        Assert.Equal(1, (await Registry.RollbackAsync("m")).Version);
        var none = await Assert.ThrowsAsync<RegistryException>(() => Registry.RollbackAsync("m"));
        Assert.Contains("no earlier version", none.Message);
        Assert.Equal(1, (await Registry.ResolveAsync("models:/m@champion")).Version);
        // A new change after a rollback is undone by the next rollback.
        await Registry.SetAliasAsync("m", "champion", 4, "retry");
        Assert.Equal(1, (await Registry.RollbackAsync("m")).Version);
        var rollbacks = (await Registry.GetAuditLogAsync("m")).Entries.Where(e => e.Action == "rollback").Select(e => (e.OldVersion, e.NewVersion, e.Reason)).ToList();
        Assert.Equal([(4, 3, "latency regression"), (3, 1, ""), (4, 1, "")], rollbacks);
    }

    [Fact]
    public async Task Search_takes_mlflow_filters_orders_and_page_tokens()
    {
        await Registry.CreateModelAsync("penguins", tags: new Dictionary<string, string> { ["team"] = "birds" });
        await Registry.CreateModelAsync("penguin-lm", tags: new Dictionary<string, string> { ["team"] = "nlp" });
        await Registry.CreateModelAsync("Penguins-old", tags: new Dictionary<string, string> { ["team"] = "birds" });
        await Registry.CreateModelAsync("zebra");
        async Task<List<string>> Names(string? filter, params string[] order) =>
            (await Registry.SearchModelsAsync(new RegistryQuery(filter, order.Length == 0 ? null : order))).Select(m => m.Name).ToList();

        // Expected lists written out by hand: LIKE is case-sensitive, ILIKE not; names sort by code point ('P' < 'p', '-' < 's').
        Assert.Equal(["penguin-lm", "penguins"], await Names("name LIKE 'pen%'"));
        Assert.Equal(["Penguins-old", "penguin-lm", "penguins"], await Names("name ILIKE 'pen%'"));
        Assert.Equal(["Penguins-old", "penguins"], await Names("tags.team = 'birds'"));
        // A model without the tag never matches a clause on it, even !=.
        Assert.Equal(["penguin-lm"], await Names("name ILIKE '%GUIN%' AND tags.`team` != 'birds'"));
        Assert.Equal(["penguins"], await Names("name = 'penguins'"));
        Assert.Equal(["zebra", "penguins", "penguin-lm", "Penguins-old"], await Names(null, "name DESC"));

        var first = await Registry.SearchModelsAsync(new RegistryQuery(MaxResults: 2));
        Assert.Equal(["Penguins-old", "penguin-lm"], first.Select(m => m.Name));
        var second = await Registry.SearchModelsAsync(new RegistryQuery(MaxResults: 2, PageToken: first.NextPageToken));
        Assert.Equal(["penguins", "zebra"], second.Select(m => m.Name));
        Assert.Null(second.NextPageToken); // MLflow reads one past the page: no token when nothing follows
        Assert.Equal("2 model(s) (more pages)", first.ToString());
        Assert.Contains(">Penguins-old</td>", HtmlRenderers.Render(first));

        var run = await Store.CreateRunAsync("0", "train", 1, "tester");
        for (var i = 0; i < 3; i++) await RegisterAsync("penguins");
        await Registry.RegisterAsync("zebra", ModelFile(), ModelFlavor.Onnx, Signature, run.RunId);
        await Registry.SetVersionTagAsync("penguins", 2, "validation", "approved");
        async Task<List<string>> Versions(string filter) =>
            (await Registry.SearchVersionsAsync(new RegistryQuery(filter, ["version_number DESC"]))).Select(v => $"{v.Name}/{v.Version}").ToList();
        Assert.Equal(["penguins/3", "penguins/2"], await Versions("name = 'penguins' AND version_number > 1"));
        Assert.Equal(["penguins/2"], await Versions("tags.validation = 'approved'"));
        Assert.Contains(">penguins</td>", HtmlRenderers.Render((await Registry.SearchVersionsAsync(new RegistryQuery("tags.validation = 'approved'")))));
        Assert.Equal(["zebra/1"], await Versions($"run_id IN ('{run.RunId}', 'other')"));
        await Registry.DeleteVersionAsync("penguins", 3);
        Assert.Equal(["penguins/2", "penguins/1"], await Versions("name = 'penguins'"));

        var unquoted = await Assert.ThrowsAsync<FilterSyntaxException>(() => Registry.SearchModelsAsync(new RegistryQuery("name = penguins")));
        Assert.Equal(("filter", 8), (unquoted.Field, unquoted.Column));
        Assert.Contains("no OR", (await Assert.ThrowsAsync<FilterSyntaxException>(() => Registry.SearchModelsAsync(new RegistryQuery("name = 'a' OR name = 'b'")))).Message);
        Assert.Contains("invalid key 'run_id'", (await Assert.ThrowsAsync<FilterSyntaxException>(() => Registry.SearchModelsAsync(new RegistryQuery("run_id = 'a'")))).Message);
        Assert.Equal("max_results", (await Assert.ThrowsAsync<RegistryException>(() => Registry.SearchModelsAsync(new RegistryQuery(MaxResults: 1001)))).Field);
        Assert.Equal("order_by", (await Assert.ThrowsAsync<RegistryException>(() => Registry.SearchVersionsAsync(new RegistryQuery(OrderBy: ["run_id"])))).Field);
    }

    [Fact]
    public async Task Tags_are_removed_and_a_renamed_model_keeps_its_versions_aliases_and_log()
    {
        await RegisterAsync("m");
        await RegisterAsync("m");
        await Registry.SetModelTagAsync("m", "team", "birds");
        await Registry.SetVersionTagAsync("m", 2, "validation", "approved");
        await Registry.DeleteModelTagAsync("m", "team");
        await Registry.DeleteModelTagAsync("m", "never-set"); // MLflow: no error
        await Registry.DeleteVersionTagAsync("m", 2, "validation");
        Assert.Empty((await Registry.GetModelAsync("m")).Tags);
        Assert.Empty((await Registry.GetVersionAsync("m", 2)).Tags);

        await Registry.SetAliasAsync("m", "champion", 2, "best");
        var renamed = await Registry.RenameModelAsync("m", "m2");
        Assert.Equal(("m2", 2), (renamed.Name, renamed.Aliases["champion"]));
        Assert.Equal(404, (await Assert.ThrowsAsync<RegistryException>(() => Registry.GetModelAsync("m"))).HttpStatus);
        Assert.Equal(2, (await Registry.ResolveAsync("models:/m2@champion")).Version);
        Assert.Equal(3, (await RegisterAsync("m2")).Version);
        Assert.Equal(["set_alias", "rename"], (await Registry.GetAuditLogAsync("m2")).Entries.Select(e => e.Action));
        await Registry.CreateModelAsync("taken");
        Assert.Equal(("RESOURCE_ALREADY_EXISTS", "new_name"), await Assert.ThrowsAsync<RegistryException>(() => Registry.RenameModelAsync("m2", "taken")) is var e ? (e.ErrorCode, e.Field) : default);
    }

    [Fact]
    public async Task Model_cards_are_versioned_with_the_model()
    {
        var v = await RegisterAsync("m");
        Assert.Null(await Registry.GetModelCardAsync("m", 1));
        var draft = ModelCard.Generate(v, [new CardMetric("accuracy", 0.9, 0.85, 0.95, Dataset: "test")]);
        Assert.Equal(["intended use", "training data", "evaluation data", "limitations", "ethical considerations"], draft.MissingSections);
        var first = await Registry.SaveModelCardAsync(draft);
        var edited = await Registry.SaveModelCardAsync(first with { IntendedUse = "Teaching <b>only</b>." }, "wrote intended use");
        Assert.Equal((1, 2), (first.Revision, edited.Revision));
        var stored = await Registry.GetModelCardAsync("m", 1);
        Assert.Equal(("Teaching <b>only</b>.", 2), (stored!.IntendedUse, stored.Revision));
        Assert.Contains("Teaching &lt;b&gt;only&lt;/b&gt;.", HtmlRenderers.Render(stored));
        Assert.Contains("| accuracy | 0.9 | 95% CI [0.85, 0.95] | test |", stored.ToMarkdown());
        Assert.Equal(2, (await Registry.GetAuditLogAsync("m")).Entries.Count(e => e.Action == "model_card"));

        // FromScores: the mean (closed form 3/4) with a percentile bootstrap interval whose bounds are resampled means (multiples of 1/4).
        var metric = CardMetric.FromScores("accuracy", [1, 1, 0, 1]);
        Assert.Equal(0.75, metric.Value, 12);
        Assert.InRange(metric.Low!.Value, 0, 0.75);
        Assert.InRange(metric.High!.Value, 0.75, 1);
        Assert.Equal(0, metric.Low.Value * 4 % 1, 9);
    }
}

/// <summary>The registry contract on the embedded SQLite store.</summary>
public sealed class SqliteRegistryTests : RegistryContract
{
    private readonly TempFolder _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() => Task.FromResult<ITrackingStore>(SqliteTrackingStore.Open(_folder.Path));

    protected override Task<ITrackingStore> OpenSameStoreAsync() => OpenStoreAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>The registry contract on PostgreSQL (a throwaway cluster, a fresh schema per test).</summary>
[Trait("Category", "Postgres")]
public sealed class PostgresRegistryTests(PostgresCluster cluster) : RegistryContract, IClassFixture<PostgresCluster>
{
    private readonly PostgresStores _stores = new(cluster);

    protected override Task<ITrackingStore> OpenStoreAsync() => _stores.OpenNewAsync();

    protected override Task<ITrackingStore> OpenSameStoreAsync() => Task.FromResult(_stores.OpenSame());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _stores.Dispose();
    }
}
