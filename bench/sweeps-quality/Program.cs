// Sample quality of random, bayes and tpe against Optuna 3.1.0's TPE (univariate and multivariate) on the test
// functions of Courseware.Sweeps.TestFunction: median simple regret with its IQR over seeds after 25, 50 and 100
// trials, a two-sided Mann–Whitney U test at 5 % of each of our methods against the better Optuna sampler at that
// budget, fallbacks, and milliseconds per suggestion. Usage (README.md):
//   dotnet run -c Release --project bench/sweeps-quality -- [seeds=20] [trials=100] [optuna.jsonl[,more.jsonl]] [functions]
// Without optuna.jsonl the Optuna studies are run here (/usr/bin/python3 optuna_runner.py); the 25- and 50-trial
// numbers are the first 25 and 50 trials of each 100-trial run (no sampler here knows its budget).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Courseware.Drift;
using Courseware.Sweeps;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var seeds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
var trials = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var functions = args.Length > 3 ? args[3].Split(',').Select(n => TestFunction.All.Single(f => f.Name == n)).ToList() : TestFunction.All.ToList();
int[] budgets = [.. new[] { 25, 50, 100 }.Where(b => b <= trials)];
SearchMethod[] ours = [SearchMethod.Random, SearchMethod.Bayes, SearchMethod.Tpe];
Console.WriteLine($"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start; {seeds} seeds, {trials} trials");

// Optuna: its regret per study (from one or more files, comma-separated), after checking every trial's value against our definition of the function.
var optunaFile = args.Length > 2 && args[2] != "-" ? args[2] : RunOptuna(seeds, trials, functions);
var optuna = new Dictionary<(string Function, string Sampler), List<(double[] Regret, double Ms)>>();
foreach (var line in optunaFile.Split(',').SelectMany(File.ReadLines))
{
    var e = JsonDocument.Parse(line).RootElement;
    var function = functions.FirstOrDefault(f => f.Name == e.GetProperty("function").GetString());
    if (function is null || e.GetProperty("seed").GetInt32() > seeds) continue;
    var values = e.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).Take(trials).ToArray();
    var configs = e.GetProperty("params").EnumerateArray().Take(trials).Select(p => new ParameterValues(p.EnumerateObject()
        .Select(kv => new KeyValuePair<string, object?>(kv.Name, kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString()
            : kv.Value.TryGetInt64(out var l) && !kv.Value.GetRawText().Contains('.') && !kv.Value.GetRawText().Contains('e') ? l : kv.Value.GetDouble())))).ToList();
    for (var i = 0; i < values.Length; i++)
        if (Math.Abs(function.Evaluate(configs[i]) - values[i]) > 1e-9 * Math.Max(1, Math.Abs(values[i])))
            throw new InvalidOperationException($"{function.Name}: Optuna's value {values[i]} at {configs[i].Key} differs from ours {function.Evaluate(configs[i])}");
    var key = (function.Name, e.GetProperty("sampler").GetString()!);
    if (!optuna.TryGetValue(key, out var list)) optuna[key] = list = [];
    var best = double.PositiveInfinity;
    list.Add((values.Select(v => (best = Math.Min(best, v)) - function.Minimum).ToArray(), e.GetProperty("ms_per_trial").GetDouble()));
}

// Ours: every (function, method, seed) as a sequential sweep; two at a time (the machine has two cores).
var jobs = functions.SelectMany(f => ours.SelectMany(m => Enumerable.Range(1, seeds).Select(s => (Function: f, Method: m, Seed: s)))).ToList();
var traces = new SweepTrace[jobs.Count];
var watch = Stopwatch.StartNew();
Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => traces[i] = jobs[i].Function.Minimize(jobs[i].Method, trials, jobs[i].Seed));
Console.WriteLine($"our {jobs.Count} sweeps took {watch.Elapsed.TotalSeconds:F0} s");

Console.WriteLine();
var samplers = optuna.Keys.Select(k => k.Sampler).Distinct().Order().ToList();
Console.WriteLine($"| function | trials | random | bayes | tpe | {string.Join(" | ", samplers)} | bayes vs best optuna | tpe vs best optuna |");
Console.WriteLine($"|---|---:|---:|---:|---:|{string.Concat(samplers.Select(_ => "---:|"))}---|---|");
foreach (var function in functions)
{
    foreach (var budget in budgets)
    {
        double[] Ours(SearchMethod m) => jobs.Select((j, i) => (j, i)).Where(x => x.j.Function == function && x.j.Method == m)
            .Select(x => traces[x.i].BestRegret[budget - 1]).ToArray();
        var theirs = samplers.ToDictionary(s => s, s => optuna.GetValueOrDefault((function.Name, s))?.Select(r => r.Regret[budget - 1]).ToArray() ?? []);
        // The better Optuna sampler at this budget: the smaller median regret.
        var best = theirs.Where(t => t.Value.Length > 0).OrderBy(t => Median(t.Value)).Select(t => (Name: t.Key, Regret: t.Value)).FirstOrDefault();
        Console.WriteLine($"| {function.Name} | {budget} | {Cell(Ours(SearchMethod.Random))} | {Cell(Ours(SearchMethod.Bayes))} | {Cell(Ours(SearchMethod.Tpe))} | " +
            $"{string.Join(" | ", samplers.Select(s => Cell(theirs[s])))} | {Verdict(Ours(SearchMethod.Bayes), best.Regret ?? [], best.Name)} | {Verdict(Ours(SearchMethod.Tpe), best.Regret ?? [], best.Name)} |");
    }
}

Console.WriteLine();
Console.WriteLine($"| function | method | fallbacks | ms per suggestion, trials 1–10 | ms per suggestion, last 10 trials (median) | optuna ms per trial ({string.Join(" / ", samplers)}) |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
foreach (var function in functions)
    foreach (var method in new[] { SearchMethod.Bayes, SearchMethod.Tpe })
    {
        var mine = jobs.Select((j, i) => (j, i)).Where(x => x.j.Function == function && x.j.Method == method).Select(x => traces[x.i]).ToList();
        var early = Median(mine.SelectMany(t => t.SuggestMilliseconds.Take(10)).ToArray());
        var late = Median(mine.SelectMany(t => t.SuggestMilliseconds.Skip(Math.Max(0, trials - 10))).ToArray());
        var ms = string.Join(" / ", samplers.Select(s => optuna.TryGetValue((function.Name, s), out var r) ? Median(r.Select(x => x.Ms).ToArray()).ToString("F1") : "–"));
        Console.WriteLine($"| {function.Name} | {method.ToString().ToLowerInvariant()} | {mine.Sum(t => t.Fallbacks)} of {mine.Count * trials} | {early:F1} | {late:F1} | {ms} |");
    }

// The notebook call of the Sweeps README: Branin, random/bayes/tpe, 40 trials, 8 seeds.
var notebook = Stopwatch.StartNew();
TestFunction.Branin.RegretCurves([SearchMethod.Random, SearchMethod.Bayes, SearchMethod.Tpe], trials: 40, seeds: 8);
Console.WriteLine($"\nTestFunction.Branin.RegretCurves(random, bayes, tpe; 40 trials, 8 seeds): {notebook.Elapsed.TotalSeconds:F1} s");

static string RunOptuna(int seeds, int trials, List<TestFunction> functions)
{
    // The source copy: with OPTUNA_FIXED_LOGPDF=1 it imports the fixed formula from the tests' reference folder.
    var folder = new DirectoryInfo(AppContext.BaseDirectory);
    while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "bench/sweeps-quality/optuna_runner.py"))) folder = folder.Parent;
    var script = Path.Combine(folder?.FullName ?? throw new InvalidOperationException("run from inside the repository"), "bench/sweeps-quality/optuna_runner.py");
    var output = Path.Combine(Path.GetTempPath(), $"sweeps-quality-optuna-{Environment.ProcessId}.jsonl");
    var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true };
    foreach (var a in new[] { script, seeds.ToString(CultureInfo.InvariantCulture), trials.ToString(CultureInfo.InvariantCulture), string.Join(",", functions.Select(f => f.Name)) })
        info.ArgumentList.Add(a);
    using var process = Process.Start(info)!;
    File.WriteAllText(output, process.StandardOutput.ReadToEnd());
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"optuna_runner.py exited with {process.ExitCode}");
    return output;
}

static double Median(double[] values) => Quantile(values, 0.5);

static double Quantile(double[] values, double q)
{
    if (values.Length == 0) return double.NaN;
    var sorted = values.Order().ToArray();
    var position = q * (sorted.Length - 1);
    var below = (int)Math.Floor(position);
    var above = Math.Min(below + 1, sorted.Length - 1);
    return sorted[below] + (sorted[above] - sorted[below]) * (position - below); // numpy's linear interpolation
}

static string Cell(double[] regret) => regret.Length == 0 ? "–"
    : $"{Format(Median(regret))} [{Format(Quantile(regret, 0.25))}, {Format(Quantile(regret, 0.75))}]";

static string Format(double v) => v == 0 ? "0" : Math.Abs(v) >= 0.01 ? v.ToString("F3") : v.ToString("G2");

// Two-sided Mann–Whitney U at 5 %: "ahead"/"behind" when significant (by which side has the smaller median), else "even".
static string Verdict(double[] mine, double[] theirs, string name)
{
    if (mine.Length == 0 || theirs.Length == 0) return "–";
    var p = DriftStats.MannWhitneyU(mine, theirs).PValue!.Value;
    var word = p >= 0.05 ? "even" : Median(mine) < Median(theirs) ? "**ahead**" : "**behind**";
    return $"{word} vs {name} (p = {p:F3})";
}
