// The example pipeline of WORKFLOWS.md ("End to end"): the steps a team writes itself on top of Courseware — its
// training program, a paired comparison of two benchmark runs and its registration step. Everything else in the
// walk-through is the `courseware` CLI.
//
//   Pipeline train [--lr=0.01] [--hidden=8] [--dropout=0.1] [--epochs=8] [--batch_size=16] [--seed=42]
//                  [--data=penguins.json] [--checkpoint=folder] [--store=runs]
//   Pipeline evaluate --small=eval/small --base=eval/base [--task=arc_easy]
//   Pipeline register --store=runs --small=eval/small --base=eval/base [--models=datasets/models] [--task=arc_easy]
//
// `train` is the Lab 4.3.7 penguin classifier (TorchSharp MLP, AdamW, dropout), seeded per component and run on one
// thread, so the same arguments give the same weights bit for bit. It prints `metric: name=value step=epoch` lines (what
// `courseware agent` records), saves a checkpoint, and with --store logs itself as a tracking run.
// `evaluate` compares the two models question by question (McNemar's test on the same items, Courseware.Evaluation).
// `register` registers the two shipped TinyGpt checkpoints with their per-question benchmark scores (from
// `courseware eval --log-samples`) and complete model cards, and points the aliases champion → small, challenger → base,
// ready for `courseware registry promote`.
using System.Globalization;
using System.Text.Json;
using Courseware.Evaluation;
using Courseware.Models;
using Courseware.Registry;
using Courseware.Reproducibility;
using Courseware.Tracking;
using TorchSharp;
using static TorchSharp.torch;

var options = ParseOptions(args.Skip(1));
try
{
    return args.FirstOrDefault() switch
    {
        "train" => await Train(options),
        "evaluate" => Evaluate(options),
        "register" => await Register(options),
        _ => Usage($"unknown command '{args.FirstOrDefault()}'"),
    };
}
catch (Exception e) when (e is ArgumentException or IOException or FormatException or KeyNotFoundException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"error: {problem}\nusage: Pipeline train [--name=value ...] | Pipeline evaluate --small=eval/small --base=eval/base | Pipeline register --store=runs --small=eval/small --base=eval/base");
    return 2;
}

// --name=value or --name value; the sweep agent passes the first form.
static Dictionary<string, string> ParseOptions(IEnumerable<string> arguments)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    string? pending = null;
    foreach (var a in arguments)
    {
        if (pending is not null) { result[pending] = a; pending = null; }
        else if (a.StartsWith("--", StringComparison.Ordinal) && a.IndexOf('=') is var eq and > 2) result[a[2..eq]] = a[(eq + 1)..];
        else if (a.StartsWith("--", StringComparison.Ordinal)) pending = a[2..];
        else throw new ArgumentException($"unexpected argument '{a}' (options are --name=value)");
    }
    if (pending is not null) throw new ArgumentException($"--{pending} needs a value");
    return result;
}

static string Option(Dictionary<string, string> o, string name, string fallback) => o.GetValueOrDefault(name, fallback);

static double Number(Dictionary<string, string> o, string name, double fallback) =>
    o.TryGetValue(name, out var text)
        ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"--{name}={text}: expected a number")
        : fallback;

static async Task<int> Train(Dictionary<string, string> o)
{
    var known = new[] { "lr", "hidden", "dropout", "epochs", "batch_size", "seed", "data", "checkpoint", "store" };
    if (o.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown) throw new ArgumentException($"unknown option --{unknown} (known: {string.Join(", ", known)})");
    double lr = Number(o, "lr", 0.01), dropout = Number(o, "dropout", 0.1);
    int hidden = (int)Number(o, "hidden", 8), epochs = (int)Number(o, "epochs", 8), batchSize = (int)Number(o, "batch_size", 16), seed = (int)Number(o, "seed", 42);
    var dataPath = Option(o, "data", "penguins.json");
    var runId = Environment.GetEnvironmentVariable("COURSEWARE_RUN_ID");
    var checkpointDir = Option(o, "checkpoint", Path.Combine("checkpoints", runId ?? "latest"));

    string[] features = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
    using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(dataPath));
    var rows = doc.RootElement.EnumerateArray().Where(r => features.All(f => r.GetProperty(f).ValueKind == JsonValueKind.Number)).ToList();
    var classes = rows.Select(r => r.GetProperty("Species").GetString()!).Distinct().Order(StringComparer.Ordinal).ToArray();
    var x = rows.Select(r => features.Select(f => (float)r.GetProperty(f).GetDouble()).ToArray()).ToArray();
    var y = rows.Select(r => (long)Array.IndexOf(classes, r.GetProperty("Species").GetString())).ToArray();

    TorchRuntime.EnsureLoaded();
    var seeds = new SeedPlan(seed);
    TorchSeeding.EnableTorchDeterminism(threads: 1);
    var split = Enumerable.Range(0, y.Length).ToArray();
    seeds.CreateRandom(SeedComponents.DataSplit).Shuffle(split);
    var train = split[..(y.Length * 4 / 5)];
    var validation = split[(y.Length * 4 / 5)..];
    var mean = Enumerable.Range(0, features.Length).Select(j => train.Average(i => x[i][j])).ToArray();
    var std = Enumerable.Range(0, features.Length).Select(j => MathF.Sqrt(train.Average(i => (x[i][j] - mean[j]) * (x[i][j] - mean[j])))).ToArray();
    using var inputs = tensor(x.SelectMany(r => r.Select((v, j) => (v - mean[j]) / std[j])).ToArray(), [y.Length, features.Length]);
    using var labels = tensor(y);
    using var validationRows = tensor(validation.Select(i => (long)i).ToArray());

    seeds.ApplyToTorch(SeedComponents.Initialization);
    using var model = nn.Sequential(("hidden", nn.Linear(features.Length, hidden)), ("relu", nn.ReLU()),
        ("dropout", nn.Dropout(dropout)), ("out", nn.Linear(hidden, classes.Length)));
    seeds.ApplyToTorch(SeedComponents.Dropout);
    using var optimizer = optim.AdamW(model.parameters(), lr, weight_decay: 1e-4);

    using var tracker = o.TryGetValue("store", out var store) ? Tracker.Open(store) : null;
    using var run = tracker?.StartRun("penguins");
    run?.LogParams(new { lr, hidden, dropout, epochs, batch_size = batchSize, seed });
    var metrics = new Dictionary<string, double>();
    long step = 0;
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        model.train();
        var order = train.ToArray();
        seeds.CreateRandom(SeedComponents.Shuffle, epoch).Shuffle(order);
        for (var start = 0; start < order.Length; start += batchSize, step++)
        {
            using var scope = NewDisposeScope();
            var batch = tensor(order[start..Math.Min(start + batchSize, order.Length)].Select(i => (long)i).ToArray());
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.forward(inputs.index_select(0, batch)), labels.index_select(0, batch)).backward();
            optimizer.step();
        }
        model.eval();
        using (var scope = NewDisposeScope())
        {
            var logits = model.forward(inputs.index_select(0, validationRows));
            var truth = labels.index_select(0, validationRows);
            metrics["val_loss"] = nn.functional.cross_entropy(logits, truth).item<float>();
            metrics["val_accuracy"] = logits.argmax(1).eq(truth).to_type(ScalarType.Float64).mean().item<double>();
        }
        foreach (var (name, value) in metrics)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"metric: {name}={value:R} step={epoch}"));
            run?.LogMetric(name, value, epoch);
        }
    }

    var data = await DataManifest.CreateAsync(dataPath);
    var checkpoint = TorchCheckpoint.Capture(model, optimizer, step, epochs, seeds: seeds, command: Environment.CommandLine,
        configYaml: string.Create(CultureInfo.InvariantCulture, $"lr: {lr}\nhidden: {hidden}\ndropout: {dropout}\nepochs: {epochs}\nbatch_size: {batchSize}\nseed: {seed}\n"),
        dataHashes: new Dictionary<string, string> { [Path.GetFileNameWithoutExtension(dataPath)] = data.Md5 }, metrics: metrics);
    checkpoint.Save(checkpointDir);
    Console.WriteLine($"checkpoint: {Path.GetFullPath(checkpointDir)}");
    if (run is not null)
    {
        run.LogParams(seeds.ToParameters());
        run.LogParams(data.ToParameters(Path.GetFileNameWithoutExtension(dataPath)));
        run.LogArtifacts(checkpointDir, "checkpoint");
        Console.WriteLine($"run: {run.RunId}");
    }
    return 0;
}

/// <summary>Per-question 0/1 accuracy from `courseware eval --log-samples` output for one model (--small or --base).</summary>
static List<double> Scores(Dictionary<string, string> o, string size, string task)
{
    var folder = o.GetValueOrDefault(size) ?? throw new ArgumentException($"--{size} (the --log-samples folder of its eval) is required");
    return File.ReadLines(Path.Combine(folder, $"samples_{task}.jsonl")).Where(l => l.Length > 0)
        .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("acc").GetDouble()).ToList();
}

static int Evaluate(Dictionary<string, string> o)
{
    var task = Option(o, "task", "arc_easy");
    Console.WriteLine(Stats.Compare(Scores(o, "base", task), Scores(o, "small", task), "tinygpt-base", "tinygpt-small"));
    return 0;
}

static async Task<int> Register(Dictionary<string, string> o)
{
    var store = o.GetValueOrDefault("store") ?? throw new ArgumentException("--store is required");
    var models = Option(o, "models", "datasets/models");
    var task = Option(o, "task", "arc_easy");
    using var tracker = Tracker.Open(store);
    var registry = new ModelRegistry(tracker.Store, actor: "pipeline");
    var versions = new Dictionary<string, ModelVersion>();
    foreach (var size in new[] { "small", "base" })
    {
        var scores = Scores(o, size, task);
        var version = await registry.RegisterAsync("tinygpt", Path.Combine(models, $"tinygpt-{size}"), ModelFlavor.TinyGpt, description: $"tinygpt-{size}, shipped checkpoint");
        await registry.LogEvaluationAsync("tinygpt", version.Version, "acc", task, scores);
        var card = ModelCard.Generate(version, [CardMetric.FromScores("acc", scores, task)]) with
        {
            IntendedUse = "Teaching: a tiny character-level language model of the course's fictional world, for benchmark and registry exercises.",
            TrainingData = "Sentences generated from Courseware.Models.FictionalWorld (seed 0, 48 people, 192 facts, ~30 % held out); see datasets/models/README.md.",
            EvaluationData = $"The {task} questions of datasets/benchmarks/tinyworld ({scores.Count} items), scored by log-likelihood.",
            Limitations = "Knows only the fictional world it was trained on; answers outside it are meaningless.",
            EthicalConsiderations = "Fictional names and facts only; no personal data.",
        };
        await registry.SaveModelCardAsync(card, "pipeline: complete card");
        versions[size] = version;
        Console.WriteLine($"registered {version.Uri} (tinygpt-{size}): {task} acc {scores.Average():0.000} over {scores.Count} items");
    }
    await registry.SetAliasAsync("tinygpt", "champion", versions["small"].Version, "pipeline: current model");
    await registry.SetAliasAsync("tinygpt", "challenger", versions["base"].Version, "pipeline: candidate");
    Console.WriteLine("aliases: champion → small, challenger → base");
    return 0;
}
