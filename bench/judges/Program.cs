using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Courseware.Evaluation;
using Courseware.Models;
using Courseware.Models.Onnx;

// Usage: dotnet run -c Release --project bench/judges [-- <checkpoint folder> [repeats]]
// Pairwise judgments per second through the full protocol (both orders × 3 repetitions, majority, swap) with the
// log-probability judge, the same checkpoint behind three backends in this one process: TorchSharp in-process, ONNX
// Runtime in-process, and OpenAICompatibleModel over HTTP to a /v1/completions server on 127.0.0.1 that scores with the
// TorchSharp model. Backends alternate within each repeat so machine noise hits all; the median repeat is reported.
string root = FindRoot();
string folder = args.Length > 0 ? args[0] : Path.Combine(root, "datasets/models/tinygpt-base");
int repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
const double Margin = 0.1;

using TinyGpt torch = TinyGpt.Load(folder, "cpu");
using OnnxLanguageModel onnx = OnnxLanguageModel.Load(folder);
torch.Log = onnx.Log = TextWriter.Null;
using var server = new CompletionsServer(torch);
using var http = new OpenAICompatibleModel(new OpenAICompatibleOptions
{
    Endpoint = server.Endpoint, Model = "tinygpt-base", Tokenizer = torch.Tokenizer, MaxContextLength = torch.MaxContextLength, MaxRetries = 0,
}) { Log = TextWriter.Null };

// The human-labelled pairs whose judge prompt fits the checkpoint's context (the judge abstains on the others
// without calling the model, which would flatter every backend equally).
var human = HumanPreferences.Load(Path.Combine(root, "datasets/preferences/tinyworld_preferences.jsonl"));
var probe = await new PairwiseProtocol { Repetitions = 1 }.JudgeAllAsync(human.Pairs, new LogProbabilityJudge(torch, margin: Margin).JudgeAsync);
var pairs = probe.Judgements.Where(j => j.Outcome != Preference.Unparseable).Select(j => j.Pair).ToList();
var protocol = new PairwiseProtocol { Repetitions = 3 };

(string Name, ILanguageModel Model)[] backends =
[
    ("TorchSharp, in-process", torch),
    ("ONNX Runtime, in-process", onnx),
    ("OpenAI-compatible HTTP → loopback server (TorchSharp)", http),
];

Console.WriteLine($"checkpoint {folder}: context {torch.MaxContextLength}; {pairs.Count} of {human.Items.Count} human-labelled pairs fit the judge prompt");
Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, load average {LoadAverage()}");
Console.WriteLine($"protocol: 2 orders × {protocol.Repetitions} repetitions per pair (the log-prob judge is deterministic: repetitions reuse its score, " +
                  $"so each pair costs 2 judge prompts × 2 verdict tokens = 4 log-likelihood requests); a fresh judge per run; {repeats} repeats, median");
Console.WriteLine();

foreach (var (_, model) in backends) await RunAsync(model); // warm-up: JIT, ORT graph, HTTP connections
var outcomes = new Dictionary<string, IReadOnlyList<Preference>>();
var wall = backends.ToDictionary(b => b.Name, _ => new List<double>());
var cpu = backends.ToDictionary(b => b.Name, _ => new List<double>());
using var process = Process.GetCurrentProcess();
for (int r = 0; r < repeats; r++)
{
    foreach (var (name, model) in backends)
    {
        process.Refresh();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var report = await RunAsync(model);
        watch.Stop();
        process.Refresh();
        wall[name].Add(pairs.Count / watch.Elapsed.TotalSeconds);
        cpu[name].Add(pairs.Count / (process.TotalProcessorTime - cpuBefore).TotalSeconds);
        outcomes[name] = report.Outcomes;
    }
}

double Median(List<double> s) => s.Order().ElementAt(s.Count / 2);
string reference = backends[0].Name;
Console.WriteLine("| judge backend | pairwise judgments/s | judge calls/s | × TorchSharp | judgments/CPU-s | × TorchSharp (CPU) | outcomes equal to TorchSharp's |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
foreach (var (name, _) in backends)
{
    double w = Median(wall[name]), c = Median(cpu[name]);
    int same = outcomes[name].Zip(outcomes[reference]).Count(p => p.First == p.Second);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {w:N1} | {w * 2 * protocol.Repetitions:N0} | {w / Median(wall[reference]):0.00}× | {c:N1} | {c / Median(cpu[reference]):0.00}× | {same}/{pairs.Count} |"));
}
Console.WriteLine($"\nHTTP requests served by the loopback server: {server.Requests:N0}");
return 0;

Task<JudgeReport> RunAsync(ILanguageModel model) => protocol.JudgeAllAsync(pairs, new LogProbabilityJudge(model, margin: Margin).JudgeAsync);

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) return dir.FullName;
    throw new InvalidOperationException("Run from inside the repository.");
}

/// <summary>
/// The scoring half of an OpenAI-compatible /v1/completions endpoint (echo + logprobs, as vLLM and llama.cpp's server
/// answer lm-evaluation-harness), backed by a local model; one request at a time, as a single-model server without
/// cross-request batching would.
/// </summary>
sealed class CompletionsServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ILanguageModel _model;
    private readonly SemaphoreSlim _gate = new(1);
    private int _requests;

    public CompletionsServer(ILanguageModel model)
    {
        _model = model;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = new Uri($"http://127.0.0.1:{port}/v1/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    public int Requests => _requests;

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; } // stopped
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        int status = 200;
        JsonNode reply;
        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = JsonNode.Parse(await reader.ReadToEndAsync())!;
            string prompt = body["prompt"]!.GetValue<string>();
            if (context.Request.Url?.AbsolutePath != "/v1/completions" || body["echo"]?.GetValue<bool>() != true)
                throw new NotSupportedException("this bench server only scores prompts: POST /v1/completions with echo: true and logprobs");
            reply = await ScoreAsync(prompt);
        }
        catch (Exception e)
        {
            status = 400;
            reply = new JsonObject { ["error"] = new JsonObject { ["message"] = e.Message } };
        }
        byte[] bytes = Encoding.UTF8.GetBytes(reply.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private async Task<JsonNode> ScoreAsync(string prompt)
    {
        // Every token after the first is scored given the ones before it; the first has no log-probability (null).
        var tokens = _model.Tokenizer.EncodeToTokens(prompt, out _);
        int firstEnd = tokens[0].Offset.End.Value;
        LogLikelihood scores;
        await _gate.WaitAsync();
        try { scores = (await _model.LogLikelihoodAsync([new LogLikelihoodRequest(prompt[..firstEnd], prompt[firstEnd..])]))[0]; }
        finally { _gate.Release(); }
        var logprobs = new JsonObject
        {
            ["tokens"] = new JsonArray([.. tokens.Select(t => (JsonNode)JsonValue.Create(prompt[t.Offset])!)]),
            ["text_offset"] = new JsonArray([.. tokens.Select(t => (JsonNode)JsonValue.Create(t.Offset.Start.Value)!)]),
            ["token_logprobs"] = new JsonArray([null, .. scores.TokenLogProbs.Select(v => (JsonNode)JsonValue.Create(v)!)]),
        };
        return new JsonObject
        {
            ["object"] = "text_completion",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = prompt, ["logprobs"] = logprobs, ["finish_reason"] = "length" }),
        };
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _gate.Dispose();
    }
}
