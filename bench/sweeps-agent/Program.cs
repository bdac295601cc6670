// Agent overhead per trial: the same training function run (1) in a plain loop, (2) in a plain loop that tracks each
// run (Tracker.Run, one metric per epoch), (3) by Sweep.RunAgent on a grid sweep in a SQLite store, and (4) the same
// with hyperband on (every epoch reads the sweep's trials to check the rule; the curves are identical, so nothing is
// stopped and the work is the same). Each case runs every grid point once. Wall and process CPU time are reported:
// on a shared, overloaded machine CPU time is the steadier measure. Usage: dotnet run -c Release [trials] [epochs] [epoch-ms]
using System.Diagnostics;
using System.Globalization;
using Courseware.Sweeps;
using Courseware.Tracking;

var trials = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
var epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var epochWork = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200_000;
Console.WriteLine($"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start; " +
                  $"{trials} trials × {epochs} epochs, {epochWork} sin() per epoch");

var values = string.Join(", ", Enumerable.Range(1, trials));
string Yaml(bool hyperband) => $"""
    method: grid
    metric: {"{"}name: loss{"}"}
    {(hyperband ? "early_terminate: {type: hyperband, min_iter: 1, eta: 3}" : "")}
    parameters:
      seed: {"{"}values: [{values}]{"}"}
    """;

// The training function: a fixed amount of arithmetic per epoch, reporting a loss that falls the same way for every
// configuration (so hyperband never stops one and every case does the same work).
double Train(long seed, Action<int, double> report)
{
    var acc = 0.0;
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        for (var i = 0; i < epochWork; i++) acc += Math.Sin(i + seed);
        report(epoch, 1.0 / (epoch + 1));
    }
    return acc;
}

var results = new List<(string Case, double Wall, double Cpu)>();
(double Wall, double Cpu) Measure(Action body)
{
    var process = Process.GetCurrentProcess();
    process.Refresh();
    var cpu = process.TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    body();
    watch.Stop();
    process.Refresh();
    return (watch.Elapsed.TotalMilliseconds / trials, (process.TotalProcessorTime - cpu).TotalMilliseconds / trials);
}

string NewStore() => Path.Combine(Path.GetTempPath(), "cw-bench-agent-" + Guid.NewGuid().ToString("N")[..8]);

// Warm-up: JIT of every path once (a small sweep), not measured.
{
    var store = NewStore();
    using (var tracker = Tracker.Open(store))
        Sweep.Create(tracker, Yaml(true)).RunAgent(3, t => Train(t.Get<long>("seed"), (e, v) => t.Log(e, new { loss = v })));
    Directory.Delete(store, true);
}

var plain = Measure(() =>
{
    for (var s = 1; s <= trials; s++) Train(s, (_, _) => { });
});
results.Add(("plain loop", plain.Wall, plain.Cpu));

foreach (var (name, body) in new (string, Action<Tracker>)[]
{
    ("tracked loop (Tracker.Run)", tracker =>
    {
        for (var s = 1; s <= trials; s++)
        {
            var seed = s;
            tracker.Run("bench", $"seed-{s}", run => Train(seed, (e, v) => run.LogMetric("loss", v, e)));
        }
    }),
    ("agent (grid sweep)", tracker => Sweep.Create(tracker, Yaml(false)).RunAgent(null, t => Train(t.Get<long>("seed"), (e, v) => t.Log(e, new { loss = v })))),
    ("agent + hyperband checks", tracker => Sweep.Create(tracker, Yaml(true)).RunAgent(null, t => Train(t.Get<long>("seed"), (e, v) => t.Log(e, new { loss = v })))),
})
{
    var store = NewStore();
    using (var tracker = Tracker.Open(store))
    {
        var m = Measure(() => body(tracker));
        results.Add((name, m.Wall, m.Cpu));
    }
    Directory.Delete(store, true);
}

Console.WriteLine($"{"case",-28} {"wall ms/trial",14} {"cpu ms/trial",13} {"wall ratio",11} {"cpu ratio",10} {"overhead ms/trial (wall)",25}");
foreach (var (name, wall, cpu) in results)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-28} {wall,14:F1} {cpu,13:F1} {wall / plain.Wall,11:F2} {cpu / plain.Cpu,10:F2} {wall - plain.Wall,25:F1}"));
Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at end");
