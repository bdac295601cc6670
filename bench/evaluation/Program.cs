// Times Stats.PairedBootstrap (10,000 resamples over 10,000 items) on data read from the file that run.sh also gives
// to the numpy implementation, and prints one JSON line. Usage: dotnet run -c Release -- <data.f64> [repeats]
using System.Diagnostics;
using System.Globalization;
using Courseware.Evaluation;

if (args.Length < 1) { Console.Error.WriteLine("usage: Evaluation.Bench <data.f64: a then b, float64 little-endian> [repeats]"); return 2; }
var raw = File.ReadAllBytes(args[0]);
int repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
var values = new double[raw.Length / sizeof(double)];
Buffer.BlockCopy(raw, 0, values, 0, raw.Length);
int n = values.Length / 2;
var a = values[..n];
var b = values[n..];
const int Resamples = 10_000;

var warmup = Stats.PairedBootstrap(a, b, Resamples, seed: 1); // JIT and tiering before timing
var times = new List<double>();
BootstrapInterval result = warmup;
for (int r = 0; r < repeats; r++)
{
    var sw = Stopwatch.StartNew();
    result = Stats.PairedBootstrap(a, b, Resamples, seed: r);
    times.Add(sw.Elapsed.TotalSeconds);
}
times.Sort();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"impl\":\"csharp\",\"items\":{n},\"resamples\":{Resamples},\"threads\":{Environment.ProcessorCount},\"median_s\":{times[times.Count / 2]:F4},\"min_s\":{times[0]:F4},\"diff\":{result.Difference:F6},\"low\":{result.Low:F6},\"high\":{result.High:F6}}}"));
return 0;
