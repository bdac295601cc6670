using System.Diagnostics;
using System.Globalization;
using Courseware.Models;
using Courseware.Models.Onnx;

// Usage: dotnet run -c Release --project bench/models [-- <checkpoint folder> [repeats]]
// Both backends run the same checkpoint, the same requests and the same batch sizes in this one process,
// alternating backends per repeat so machine noise hits both; the median of the repeats is reported.
string folder = args.Length > 0 ? args[0] : Path.Combine(FindRoot(), "datasets/models/tinygpt-base");
int repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;

using TinyGpt torch = TinyGpt.Load(folder, "cpu");
using OnnxLanguageModel onnx = OnnxLanguageModel.Load(folder);
LocalLanguageModel[] models = [torch, onnx];
foreach (var model in models) model.Log = TextWriter.Null;

var world = FictionalWorld.Generate(seed: 0);
var requests = world.Questions(true).Concat(world.Questions(false))
    .SelectMany(q => q.Choices.Select(c => new LogLikelihoodRequest(q.Prompt, " " + c))).ToList();
// Tokens the model reads per pass over the requests (context + continuation, minus the last token).
long scoredTokens = requests.Sum(r => Math.Min(torch.MaxContextLength, r.Context.Length + r.Continuation.Length - 1));

Console.WriteLine($"checkpoint {folder}: {torch.ParameterCount:N0} parameters, context {torch.MaxContextLength}");
Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; " +
                  $"TorchSharp threads {TorchSharp.torch.get_num_threads()}, ONNX Runtime intra-op threads = cores");
Console.WriteLine($"log-likelihood: {requests.Count} requests, {scoredTokens:N0} input tokens per pass; {repeats} repeats, median");
Console.WriteLine();
// Wall-clock rates are what a user sees; tokens per CPU-second (process CPU time) are steadier on a shared machine.
Console.WriteLine("| task | batch | TorchSharp tokens/s | ONNX Runtime tokens/s | ORT / Torch | TorchSharp tokens/CPU-s | ORT tokens/CPU-s | ORT / Torch (CPU) |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");

foreach (int batch in new[] { 1, 16, 64 })
{
    var rates = Measure(models, repeats, model =>
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
    var rates = Measure(models, repeats, model =>
    {
        model.BatchSize = batch;
        return model.GenerateAsync(prompts).GetAwaiter().GetResult().Sum(g => (long)g.TokenCount);
    });
    Row("generation (greedy, 24 new)", batch, rates);
}

// Returns the median wall-clock rate and the median CPU-time rate of each model: [torch wall, ort wall, torch cpu, ort cpu].
static double[] Measure(LocalLanguageModel[] models, int repeats, Func<LocalLanguageModel, long> work)
{
    foreach (var model in models) work(model); // warm-up: JIT, allocator, ORT graph
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
    return [.. wall.Select(Median), .. cpu.Select(Median)];
}

static void Row(string task, int batch, double[] r) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {task} | {batch} | {r[0]:N0} | {r[1]:N0} | {r[1] / r[0]:0.00}× | {r[2]:N0} | {r[3]:N0} | {r[3] / r[2]:0.00}× |"));

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) return dir.FullName;
    throw new InvalidOperationException("Run from inside the repository.");
}
