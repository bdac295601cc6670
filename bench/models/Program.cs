using System.Diagnostics;
using System.Globalization;
using Courseware.Models;
using Courseware.Models.Onnx;

// Usage: dotnet run -c Release --project bench/models [-- <checkpoint folder> [repeats] [--cuda]]
// Every backend runs the same checkpoint, the same requests and the same batch sizes in this one process,
// alternating backends per repeat so machine noise hits all; the median of the repeats is reported.
// --cuda adds TorchSharp and ONNX Runtime on the GPU (the CUDA build: bench/gpu/run.sh) and prints CUDA/CPU ratios.
bool cuda = args.Contains("--cuda");
string[] positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
string folder = positional.Length > 0 ? positional[0] : Path.Combine(FindRoot(), "datasets/models/tinygpt-base");
int repeats = positional.Length > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 5;

var models = new List<(string Label, LocalLanguageModel Model)>();
try
{
    models.Add(("TorchSharp CPU", TinyGpt.Load(folder, "cpu")));
    models.Add(("ONNX Runtime CPU", OnnxLanguageModel.Load(folder)));
    if (cuda)
    {
        // What "auto" would pick, and why: the first line to read when a GPU run fails.
        Console.WriteLine($"TorchSharp {DeviceChoice.Select("auto").Reason}");
        using (var probe = OnnxLanguageModel.Load(folder, "auto")) Console.WriteLine($"ONNX Runtime {probe.Device.Reason}");
        models.Add(("TorchSharp CUDA", TinyGpt.Load(folder, "cuda")));
        models.Add(("ONNX Runtime CUDA", OnnxLanguageModel.Load(folder, "cuda")));
    }
}
catch (Exception e) when (e is InvalidOperationException or TorchRuntimeException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
foreach (var (_, model) in models) model.Log = TextWriter.Null;
var torch = (TinyGpt)models[0].Model;

var world = FictionalWorld.Generate(seed: 0);
var requests = world.Questions(true).Concat(world.Questions(false))
    .SelectMany(q => q.Choices.Select(c => new LogLikelihoodRequest(q.Prompt, " " + c))).ToList();
// Tokens the model reads per pass over the requests (context + continuation, minus the last token).
long scoredTokens = requests.Sum(r => Math.Min(torch.MaxContextLength, r.Context.Length + r.Continuation.Length - 1));

Console.WriteLine($"checkpoint {folder}: {torch.ParameterCount:N0} parameters, context {torch.MaxContextLength}");
Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; " +
                  $"TorchSharp threads {TorchSharp.torch.get_num_threads()}, ONNX Runtime intra-op threads = cores");
if (cuda)
{
    foreach (var (label, model) in models.Skip(2))
        Console.WriteLine($"{label}: {(model is TinyGpt t ? t.Device : ((OnnxLanguageModel)model).Device).Reason}");
    // The same answers from every backend: log-likelihood sums against TorchSharp CPU, greedy flags equal.
    var reference = await torch.LogLikelihoodAsync(requests);
    foreach (var (label, model) in models.Skip(1))
    {
        var results = await model.LogLikelihoodAsync(requests);
        double worst = results.Zip(reference, (a, b) => Math.Abs(a.Sum - b.Sum)).Max();
        int flips = results.Zip(reference).Count(p => p.First.IsGreedy != p.Second.IsGreedy);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"agreement {label} vs TorchSharp CPU: max |Δ log-likelihood| {worst:E2} over {requests.Count} requests, greedy flags differing: {flips}"));
    }
}
Console.WriteLine($"log-likelihood: {requests.Count} requests, {scoredTokens:N0} input tokens per pass; {repeats} repeats, median");
Console.WriteLine();
if (cuda)
{
    Console.WriteLine($"| task | batch | {string.Join(" | ", models.Select(m => m.Label + " tokens/s"))} | ORT / Torch (CPU) | Torch CUDA / CPU | ORT CUDA / CPU |");
    Console.WriteLine($"|---|---:|{string.Concat(models.Select(_ => "---:|"))}---:|---:|---:|");
}
else
{
    // Wall-clock rates are what a user sees; tokens per CPU-second (process CPU time) are steadier on a shared machine.
    Console.WriteLine("| task | batch | TorchSharp tokens/s | ONNX Runtime tokens/s | ORT / Torch | TorchSharp tokens/CPU-s | ORT tokens/CPU-s | ORT / Torch (CPU) |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
}

foreach (int batch in new[] { 1, 16, 64 })
{
    var rates = Measure(models.Select(m => m.Model).ToArray(), repeats, model =>
    {
        model.BatchSize = batch;
        model.LogLikelihoodAsync(requests).GetAwaiter().GetResult();
        return scoredTokens;
    });
    Row("log-likelihood", batch, rates);
}

var prompts = world.Questions(true).Take(16).Select(q => new GenerationRequest(q.Prompt, GenerationOptions.Greedy(24))).ToList();
foreach (int batch in new[] { 1, 16 })
{
    var rates = Measure(models.Select(m => m.Model).ToArray(), repeats, model =>
    {
        model.BatchSize = batch;
        return model.GenerateAsync(prompts).GetAwaiter().GetResult().Sum(g => (long)g.TokenCount);
    });
    Row("generation (greedy, 24 new)", batch, rates);
}
foreach (var (_, model) in models) model.Dispose();
return 0;

// Median wall-clock and CPU-time rates per model: (wall[], cpu[]) in the models' order.
static (double[] Wall, double[] Cpu) Measure(LocalLanguageModel[] models, int repeats, Func<LocalLanguageModel, long> work)
{
    foreach (var model in models) work(model); // warm-up: JIT, allocator, ORT graph, CUDA kernels
    var wall = models.Select(_ => new List<double>()).ToArray();
    var cpu = models.Select(_ => new List<double>()).ToArray();
    using var process = Process.GetCurrentProcess();
    for (int r = 0; r < repeats; r++)
    {
        for (int m = 0; m < models.Length; m++)
        {
            process.Refresh();
            TimeSpan cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            long tokens = work(models[m]);
            watch.Stop();
            process.Refresh();
            wall[m].Add(tokens / watch.Elapsed.TotalSeconds);
            cpu[m].Add(tokens / (process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }
    }
    static double Median(List<double> s) => s.Order().ElementAt(s.Count / 2);
    return (wall.Select(Median).ToArray(), cpu.Select(Median).ToArray());
}

void Row(string task, int batch, (double[] Wall, double[] Cpu) r) => Console.WriteLine(cuda
    ? string.Create(CultureInfo.InvariantCulture,
        $"| {task} | {batch} | {string.Join(" | ", r.Wall.Select(w => w.ToString("N0", CultureInfo.InvariantCulture)))} | {r.Wall[1] / r.Wall[0]:0.00}× | {r.Wall[2] / r.Wall[0]:0.00}× | {r.Wall[3] / r.Wall[1]:0.00}× |")
    : string.Create(CultureInfo.InvariantCulture,
        $"| {task} | {batch} | {r.Wall[0]:N0} | {r.Wall[1]:N0} | {r.Wall[1] / r.Wall[0]:0.00}× | {r.Cpu[0]:N0} | {r.Cpu[1]:N0} | {r.Cpu[1] / r.Cpu[0]:0.00}× |"));

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) return dir.FullName;
    throw new InvalidOperationException("Run from inside the repository, or pass the checkpoint folder.");
}
