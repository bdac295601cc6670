// Times the parts of Courseware.Reproducibility whose cost grows with data or model size:
//   hash  <folder> <reps>  DataManifest.CreateAsync over a folder (DVC 3 md5 per file + .dir listing)
//   compare <n> <reps>     RunComparison.Compare of two n-float arrays differing in the last element (bitwise; building them is not timed)
//   seeds <reps>           SeedPlan.Derive (SHA-256 per component seed)
// Prints one JSON object: the median and minimum wall time after one warm-up run.
using System.Diagnostics;
using System.Globalization;
using Courseware.Reproducibility;

var mode = args[0];
var (median, min, detail) = mode switch
{
    "hash" => await Time(int.Parse(args[2], CultureInfo.InvariantCulture), async () => (await DataManifest.CreateAsync(args[1])).Md5),
    "compare" => await TimeCompare(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture)),
    "seeds" => await Time(int.Parse(args[1], CultureInfo.InvariantCulture), () => Task.FromResult(Derive(100_000))),
    _ => throw new ArgumentException($"unknown mode '{mode}' (hash, compare, seeds)"),
};
Console.WriteLine(FormattableString.Invariant($"{{\"mode\": \"{mode}\", \"median_s\": {median:F4}, \"min_s\": {min:F4}, \"result\": \"{detail}\"}}"));

static async Task<(double Median, double Min, string Detail)> Time(int reps, Func<Task<string>> action)
{
    var detail = await action(); // warm-up: JIT, file cache
    var times = new List<double>();
    for (var i = 0; i < reps; i++)
    {
        var clock = Stopwatch.StartNew();
        detail = await action();
        times.Add(clock.Elapsed.TotalSeconds);
    }
    times.Sort();
    return (times[times.Count / 2], times[0], detail);
}

static Task<(double, double, string)> TimeCompare(int n, int reps)
{
    var a = new float[n];
    var b = new float[n];
    for (var i = 0; i < n; i++) a[i] = b[i] = i * 1e-3f;
    b[^1] += 1; // the worst case: every element is read before the difference
    var (x, y) = (new TrainingOutcome().Array("w", a), new TrainingOutcome().Array("w", b));
    return Time(reps, () => Task.FromResult(RunComparison.Compare(x, y).Arrays[0].Describe()));
}

static string Derive(int count)
{
    var sum = 0L;
    for (var i = 0; i < count; i++) sum += SeedPlan.Derive(i, "shuffle");
    return $"{count} seeds, checksum {sum}";
}
