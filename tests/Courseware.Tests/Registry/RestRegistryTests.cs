using Courseware.Registry;
using Courseware.Tests.Models;
using Courseware.Tests.Server;
using Courseware.Tests.Tracking;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

namespace Courseware.Tests.Registry;

/// <summary>
/// The registry contract through a tracking server: <see cref="ModelRegistry"/> over <see cref="RestTrackingStore"/>
/// talking HTTP to a real server on 127.0.0.1 (in-process, SQLite behind it). Every rule, error code and field must
/// survive the trip through the registry endpoints; each extra client is another connection, as another process would be.
/// </summary>
public sealed class RestRegistryTests : RegistryContract
{
    private LiveServer _server = null!;

    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        _server = await LiveServer.StartAsync();
        return await RestTrackingStore.ConnectAsync(_server.Url);
    }

    protected override async Task<ITrackingStore> OpenSameStoreAsync() => await RestTrackingStore.ConnectAsync(_server.Url);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task What_a_rest_client_writes_is_in_the_servers_own_store()
    {
        await Registry.RegisterAsync("m", ModelFile(), ModelFlavor.Onnx, Signature);
        await Registry.SetAliasAsync("m", "champion", 1, "first");
        var local = new ModelRegistry(_server.Store);
        Assert.Equal(1, (await local.ResolveAsync("models:/m@champion")).Version);
        Assert.Equal(("tester", "first"), ((await local.GetAuditLogAsync("m")).Entries.Single().Actor, (await local.GetAuditLogAsync("m")).Entries.Single().Reason));
        Assert.Equal(Signature.ToJson(), (await local.GetVersionAsync("m", 1)).Signature.ToJson());
    }

    [Fact]
    public async Task Loading_through_a_server_downloads_the_version_files_instead_of_reading_the_servers_disk()
    {
        var onnx = Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small/model.onnx");
        var run = await Store.CreateRunAsync("0", "export", 1, "tester");
        var v = await Registry.RegisterAsync("tiny", onnx, ModelFlavor.Onnx, run.RunId);
        var local = await Registry.GetLocalPathAsync(v);
        Assert.NotEqual(ModelRegistry.LocalPath(v), local);
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "courseware-models"), local);
        Assert.Equal(File.ReadAllBytes(onnx), File.ReadAllBytes(local));
        using var loaded = await Registry.LoadOnnxAsync("models:/tiny/latest");
        Assert.Equal(v.Signature.ToJson(), ModelSignatures.Infer(ModelFlavor.Onnx, local).ToJson());
        Assert.Equal(local, await Registry.GetLocalPathAsync(v)); // fetched once, then reused
    }

    [Fact]
    public async Task A_models_uri_opens_as_a_benchmark_checkpoint_through_the_server()
    {
        var checkpoint = Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small");
        var v = await Registry.RegisterAsync("tinygpt", checkpoint, ModelFlavor.TinyGpt, (await Store.CreateRunAsync("0", "train", 1, "tester")).RunId);
        await Registry.SetAliasAsync("tinygpt", "champion", v.Version);
        var folder = await ModelRegistry.ResolveModelPathAsync("models:/tinygpt@champion", _server.Url);
        Assert.Equal(Directory.GetFiles(checkpoint).Select(Path.GetFileName).Order(), Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        using var opened = Courseware.Benchmarks.ModelSource.Open(folder, "onnx", "cpu");
        Assert.Equal(File.ReadAllBytes(Path.Combine(checkpoint, "model.onnx")), File.ReadAllBytes(Path.Combine(folder, "model.onnx")));
        Assert.Equal("datasets/models/x", await ModelRegistry.ResolveModelPathAsync("datasets/models/x", _server.Url)); // a path stays a path
        Assert.Equal(404, (await Assert.ThrowsAsync<RegistryException>(() => ModelRegistry.ResolveModelPathAsync("models:/tinygpt@nobody", _server.Url))).HttpStatus);
    }
}

/// <summary>The registry contract through a tracking server that keeps its store in PostgreSQL (a fresh database per test).</summary>
[Trait("Category", "Postgres")]
public sealed class RestRegistryOverPostgresTests(PostgresCluster cluster) : RegistryContract, IClassFixture<PostgresCluster>
{
    private LiveServer _server = null!;

    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        var connection = await cluster.CreateDatabaseAsync();
        _server = await LiveServer.StartAsync(openStore: folder => TrackingLocation.Parse(connection, Path.Combine(folder, "artifacts")).Open());
        return await RestTrackingStore.ConnectAsync(_server.Url);
    }

    protected override async Task<ITrackingStore> OpenSameStoreAsync() => await RestTrackingStore.ConnectAsync(_server.Url);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }
}
