using Courseware.Models;
using Courseware.Models.Onnx;

namespace Courseware.Tests.Models;

public sealed class OnnxTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("onnx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (TinyGpt Torch, OnnxLanguageModel Onnx) Pair(PositionEncoding positions)
    {
        TinyGpt torch = TinyModels.Create(positions, context: 32, seed: 11);
        torch.Save(_folder);
        OnnxLanguageModel.Export(torch, _folder);
        OnnxLanguageModel onnx = OnnxLanguageModel.Load(_folder);
        onnx.Log = TextWriter.Null;
        return (torch, onnx);
    }

    [Theory]
    [InlineData(PositionEncoding.Learned)]
    [InlineData(PositionEncoding.Rotary)]
    public void OnnxRuntime_logits_equal_TorchSharp_logits_on_random_inputs(PositionEncoding positions)
    {
        var (torch, onnx) = Pair(positions);
        using (torch)
        using (onnx)
        {
            var random = new Random(42);
            foreach (var (batch, length) in new[] { (1, 1), (3, 7), (2, 32), (5, 19) })
            {
                int[][] sequences = Enumerable.Range(0, batch)
                    .Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(torch.VocabularySize)).ToArray()).ToArray();
                float[][] expected = torch.Logits(sequences), actual = onnx.Logits(sequences);
                double worst = 0;
                for (int b = 0; b < batch; b++)
                {
                    Assert.Equal(expected[b].Length, actual[b].Length);
                    for (int i = 0; i < expected[b].Length; i++) worst = Math.Max(worst, Math.Abs(expected[b][i] - actual[b][i]));
                }
                Assert.True(worst <= 1e-4, $"batch {batch}, length {length}: max |Δlogit| = {worst:E2}");
            }
        }
    }

    [Fact]
    public async Task Both_backends_give_the_same_log_likelihoods_and_generations()
    {
        var (torch, onnx) = Pair(PositionEncoding.Rotary);
        using (torch)
        using (onnx)
        {
            LogLikelihoodRequest[] requests = [new("Question: Where?\nAnswer:", " Telvi"), new("", "Abc"), new(new string('z', 50), " x")];
            torch.Log = TextWriter.Null;
            var expected = await torch.LogLikelihoodAsync(requests);
            onnx.BatchSize = 1; // a different batching on the ONNX side, too
            var actual = await onnx.LogLikelihoodAsync(requests);
            for (int i = 0; i < requests.Length; i++)
            {
                Assert.Equal(expected[i].Sum, actual[i].Sum, 4);
                Assert.Equal(expected[i].IsGreedy, actual[i].IsGreedy);
                Assert.Equal(expected[i].TruncatedTokens, actual[i].TruncatedTokens);
            }
            GenerationRequest[] prompts = [new("Hello", GenerationOptions.Greedy(10)), new("Hi", new GenerationOptions { MaxNewTokens = 10, Temperature = 1, Seed = 3 })];
            var torchText = await torch.GenerateAsync(prompts);
            var onnxText = await onnx.GenerateAsync(prompts);
            Assert.Equal(torchText.Select(g => g.Text), onnxText.Select(g => g.Text));
        }
    }

    [Fact]
    public void The_export_declares_opset_17_and_dynamic_batch_and_sequence_axes()
    {
        using TinyGpt torch = TinyModels.Create();
        var proto = TinyGptOnnxExporter.Build(torch);
        Assert.Equal(17, proto.OpsetImport.Single().Version);
        var input = proto.Graph.Input.Single();
        Assert.Equal("input_ids", input.Name);
        Assert.Equal(["batch", "sequence"], input.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
        var output = proto.Graph.Output.Single();
        Assert.Equal(["batch", "sequence", ""], output.Type.TensorType.Shape.Dim.Select(d => d.DimParam));
        Assert.Equal(torch.VocabularySize, output.Type.TensorType.Shape.Dim[2].DimValue);
    }

    [Fact]
    public void A_missing_onnx_file_is_named_with_the_fix()
    {
        var error = Assert.Throws<FileNotFoundException>(() => OnnxLanguageModel.Load(_folder));
        Assert.Contains(Path.Combine(_folder, "model.onnx"), error.Message);
        Assert.Contains("OnnxLanguageModel.Export", error.Message);
    }

    [Fact]
    public void A_corrupt_onnx_file_is_named()
    {
        using (TinyGpt torch = TinyModels.Create()) torch.Save(_folder);
        File.WriteAllText(Path.Combine(_folder, "model.onnx"), "not a protobuf");
        var error = Assert.Throws<InvalidDataException>(() => OnnxLanguageModel.Load(_folder));
        Assert.Contains("model.onnx", error.Message);
    }
}

public class OnnxDeviceTests
{
    [Fact]
    public void Asking_the_cpu_only_build_for_cuda_fails_naming_the_package_and_the_build_switch()
    {
        // This test project builds against the default build, whose ONNX Runtime has no CUDA provider compiled in.
        string folder = Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small");
        var error = Assert.Throws<InvalidOperationException>(() => OnnxLanguageModel.Load(folder, "cuda"));
        Assert.Contains("cuda was requested but ONNX Runtime cannot use CUDA", error.Message);
        Assert.Contains("CPU-only Microsoft.ML.OnnxRuntime", error.Message);
        Assert.Contains("-p:Accelerator=cuda", error.Message);
        using var auto = OnnxLanguageModel.Load(folder, "auto");
        Assert.Equal("cpu", auto.Device.Name);
        Assert.StartsWith("auto: ONNX Runtime cannot use CUDA (this build carries the CPU-only", auto.Device.Reason);
        Assert.EndsWith("so the CPU.", auto.Device.Reason);
    }
}

public class CudaDriverTests
{
    [Fact]
    public void The_driver_probe_agrees_with_the_loader_and_names_the_driver_library()
    {
        // Independent check: whether the loader finds the NVIDIA driver library at all.
        bool driver = System.Runtime.InteropServices.NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", out _);
        if (!driver)
        {
            Assert.Equal(0, CudaDriver.DeviceCount);
            Assert.Contains("no NVIDIA driver", CudaDriver.Problem);
            Assert.Contains(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", CudaDriver.Problem);
        }
        else
        {
            Assert.Equal(CudaDriver.Problem == null, CudaDriver.DeviceCount > 0);
        }
    }

    [Fact]
    public void A_missing_native_library_is_explained_by_the_loader()
    {
        string? problem = CudaDriver.LoadProblem("libcourseware_no_such_library.so.7");
        Assert.NotNull(problem);
        Assert.Contains("libcourseware_no_such_library.so.7", problem);
        Assert.Null(CudaDriver.LoadProblem(OperatingSystem.IsWindows() ? "kernel32.dll" : "libc.so.6"));
    }
}

public class BuildFlavourTests
{
    [Fact]
    public void The_default_build_bundles_the_cpu_libtorch_and_no_cuda_libraries()
    {
        // The test output gets the same packages as build/Courseware; -p:Accelerator=cuda builds elsewhere (LAB_PREP.md §4).
        if (!OperatingSystem.IsLinux()) return;
        string[] files = Directory.GetFiles(AppContext.BaseDirectory).Select(Path.GetFileName).ToArray()!;
        Assert.Contains("libtorch_cpu.so", files);
        Assert.Contains("libonnxruntime.so", files);
        Assert.DoesNotContain(files, f => f.Contains("providers_cuda", StringComparison.Ordinal) || f.Contains("torch_cuda", StringComparison.Ordinal));
    }
}
