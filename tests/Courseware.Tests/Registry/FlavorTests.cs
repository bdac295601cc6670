using Courseware.Registry;
using Courseware.Tests.Fixtures;
using Courseware.Tests.Models;
using Courseware.Tests.Tracking;
using Courseware.Tracking;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Courseware.Tests.Registry;

/// <summary>Loading each flavour from the registry, with the stored signature checked against the model file.</summary>
public sealed class FlavorTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private SqliteTrackingStore _store = null!;
    private ModelRegistry _registry = null!;

    private static string Checkpoint => Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small");

    public Task InitializeAsync()
    {
        _store = SqliteTrackingStore.Open(_folder.Path);
        _registry = new ModelRegistry(_store);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task Onnx_versions_load_into_onnx_runtime_and_a_wrong_signature_fails_at_load()
    {
        var v = await _registry.RegisterAsync("tinygpt-onnx", Path.Combine(Checkpoint, "model.onnx"), ModelFlavor.Onnx);
        // config.json of tinygpt-small: vocabulary_size 98 (printable ASCII, tab, newline, end-of-text).
        Assert.Equal("float32", v.Signature.Outputs.Single().Type);
        Assert.Equal(98, v.Signature.Outputs.Single().Shape![^1]);
        using (var loaded = await _registry.LoadOnnxAsync("models:/tinygpt-onnx/latest"))
        {
            var input = loaded.Model.InputMetadata.Keys.Single();
            using var results = loaded.Model.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<long>(new long[] { 1, 2, 3 }, [1, 3]))]);
            Assert.Equal(3 * 98, results.Single().AsTensor<float>().Length);
        }

        var wrong = v.Signature with { Inputs = [v.Signature.Inputs[0] with { Type = "int32" }] };
        await _registry.RegisterAsync("tinygpt-onnx", Path.Combine(Checkpoint, "model.onnx"), ModelFlavor.Onnx, wrong);
        var e = await Assert.ThrowsAsync<RegistryException>(() => _registry.LoadOnnxAsync("models:/tinygpt-onnx/2"));
        Assert.Equal($"inputs.{v.Signature.Inputs[0].Name}", e.Field);
        Assert.Contains("stored '", e.Message);
        var flavour = await Assert.ThrowsAsync<RegistryException>(() => _registry.LoadMLNetAsync("models:/tinygpt-onnx/1"));
        Assert.Equal("flavor", flavour.Field);
    }

    [Fact]
    public async Task TinyGpt_versions_load_their_safetensors_weights()
    {
        var v = await _registry.RegisterAsync("tinygpt", Checkpoint, ModelFlavor.TinyGpt);
        Assert.Equal("tokens: int64[-1, 96] -> logits: float32[-1, 96, 98]", $"{v.Signature.Inputs[0]} -> {v.Signature.Outputs[0]}");
        await _registry.SetAliasAsync("tinygpt", "champion", v.Version);
        using var loaded = await _registry.LoadTinyGptAsync("models:/tinygpt@champion");
        Assert.Equal(98, loaded.Model.VocabularySize);
        Assert.Equal(1, loaded.Version.Version);
    }

    [Fact]
    public async Task MLNet_versions_load_and_predict_and_their_signature_lists_the_columns()
    {
        var ml = new MLContext(seed: 0);
        var rows = new[]
        {
            new Penguin { Species = "Adelie", BeakLength = 39, BeakDepth = 18.7f }, new Penguin { Species = "Adelie", BeakLength = 38, BeakDepth = 18 },
            new Penguin { Species = "Gentoo", BeakLength = 47, BeakDepth = 14 }, new Penguin { Species = "Gentoo", BeakLength = 49, BeakDepth = 15 },
        };
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Penguin.Species))
            .Append(ml.Transforms.Concatenate("Features", nameof(Penguin.BeakLength), nameof(Penguin.BeakDepth)))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedSpecies", "PredictedLabel"));
        var file = Path.Combine(_folder.Path, "penguins.zip");
        ml.Model.Save(pipeline.Fit(data), data.Schema, file);

        var v = await _registry.RegisterAsync("penguins", file, ModelFlavor.MLNet);
        Assert.Equal(["Species: string", "BeakLength: float32", "BeakDepth: float32"], v.Signature.Inputs.Select(i => i.ToString()));
        Assert.Contains(v.Signature.Outputs, o => o.ToString() == "PredictedSpecies: string");
        using var loaded = await _registry.LoadMLNetAsync("models:/penguins/1");
        var engine = loaded.Model.CreatePredictionEngine<Penguin, PenguinPrediction>();
        Assert.Equal("Gentoo", engine.Predict(new Penguin { BeakLength = 48, BeakDepth = 14.5f }).PredictedSpecies);
    }
}
