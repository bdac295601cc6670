// Suggestion latency of bayes and tpe with 100 and 500 finished runs (goals: ≤ 50 ms and ≤ 300 ms).
// Each case: a 6-parameter space (4 continuous of different kinds, an integer, a categorical), runs scored by
// Hartmann-6, a warm-up call, then the median and 95th percentile of timed calls, each at a different run-list
// position (a different random stream; nothing is cached between calls anyway). Wall time and the process's CPU
// time are both reported: on a shared, overloaded machine the CPU time is the closer measure of the work. The CPU
// time is the total over all timed calls divided by their number (Linux counts it in 10 ms ticks).
using System.Diagnostics;
using System.Globalization;
using Courseware.Sweeps;

var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
Console.WriteLine($"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start");
Console.WriteLine($"{"method",-6} {"runs",5} {"wall median",12} {"wall p95",9} {"cpu mean",9} {"goal ms",8}");
foreach (var method in new[] { SearchMethod.Bayes, SearchMethod.Tpe })
{
    foreach (var (count, goal) in new[] { (100, 50.0), (500, 300.0) })
    {
        var config = new SweepConfig
        {
            Method = method,
            Metric = new SweepMetric("loss"),
            Parameters =
            {
                ["lr"] = Parameter.LogUniformValues(1e-5, 1e-1),
                ["dropout"] = Parameter.Uniform(0, 0.6),
                ["momentum"] = Parameter.Beta(2, 2),
                ["wd"] = Parameter.QLogUniformValues(1e-6, 1e-2, 1e-6),
                ["layers"] = Parameter.IntUniform(1, 8),
                ["act"] = Parameter.Values("relu", "gelu", "tanh"),
            },
        };
        var runs = History(config, count);
        var sweeper = new Sweeper(config, seed: 1);
        sweeper.Suggest(runs); // warm-up: JIT
        var times = new List<double>();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        for (var i = 0; i < repetitions; i++)
        {
            var slice = runs.Take(count - i % 3).ToList(); // a different position each time: a different random stream
            var watch = Stopwatch.StartNew();
            _ = sweeper.Suggest(slice) ?? throw new InvalidOperationException("no suggestion");
            watch.Stop();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        process.Refresh();
        var cpuMean = (process.TotalProcessorTime - cpuStart).TotalMilliseconds / repetitions; // includes slicing the list: negligible
        times.Sort();
        var median = times[times.Count / 2];
        var p95 = times[(int)Math.Ceiling(0.95 * times.Count) - 1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{method.ToString().ToLowerInvariant(),-6} {count,5} {median,12:F1} {p95,9:F1} {cpuMean,9:F1} {goal,8:F0}{(median <= goal ? "" : "  wall over goal")}"));
    }
}

// Finished runs drawn at random and scored by Hartmann-6 on the CDF scale of each parameter.
static List<SweepRun> History(SweepConfig config, int count)
{
    var random = new Random(42);
    var space = config.Space;
    return Enumerable.Range(0, count).Select(_ =>
    {
        var c = space.Sample(random);
        var x = space.Parameters.Select(p => p.Parameter.Cdf(c[p.Name])).ToArray();
        return SweepRun.Finished(c, Hartmann6(x));
    }).ToList();
}

static double Hartmann6(double[] x)
{
    double[] alpha = [1.0, 1.2, 3.0, 3.2];
    double[,] a = { { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 } };
    double[,] p =
    {
        { 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 }, { 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
        { 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 }, { 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
    };
    double sum = 0;
    for (var i = 0; i < 4; i++)
    {
        double inner = 0;
        for (var j = 0; j < 6; j++) inner += a[i, j] * (x[j] - p[i, j]) * (x[j] - p[i, j]);
        sum += alpha[i] * Math.Exp(-inner);
    }
    return -sum;
}
