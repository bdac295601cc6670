// Times Courseware.Drift on the 3-million-value column of flights-3m.parquet: two-sample KS and Wasserstein-1 between
// the first and second half of the rows, and streaming PSI (reference = first half, current = second half fed in
// 100,000-value batches). Writes the column as float64 for scipy_bench.py and prints one JSON line.
// Usage: dotnet Drift.Bench.dll <flights-3m.parquet> <out.f64> [repeats]
using System.Diagnostics;
using System.Globalization;
using Courseware.Drift;
using Microsoft.Data.Analysis;

if (args.Length < 2) { Console.Error.WriteLine("usage: Drift.Bench <flights-3m.parquet> <out.f64> [repeats]"); return 2; }
int repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;

var load = Stopwatch.StartNew();
var frame = await TableReader.ReadAsync(args[0]);
double loadSeconds = load.Elapsed.TotalSeconds;
Console.Error.WriteLine($"{Path.GetFileName(args[0])}: {frame.Rows.Count} rows; columns {string.Join(", ", frame.Columns.Select(c => $"{c.Name} ({TableReader.TypeOf(c)})"))}");
var column = frame.Columns.FirstOrDefault(c => c.Name == "delay") ?? frame.Columns.First(c => TableReader.TypeOf(c) == ColumnType.Numerical);
var values = ((DoubleDataFrameColumn)column).Select(v => v ?? double.NaN).Where(v => !double.IsNaN(v)).ToArray();
var bytes = new byte[values.Length * sizeof(double)];
Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
File.WriteAllBytes(args[1], bytes);

int half = values.Length / 2;
var a = values[..half];
var b = values[half..];

double Median(Func<object> run, out object last)
{
    last = run(); // JIT and tiering before timing
    var times = new List<double>();
    for (int r = 0; r < repeats; r++)
    {
        var sw = Stopwatch.StartNew();
        last = run();
        times.Add(sw.Elapsed.TotalSeconds);
    }
    times.Sort();
    return times[times.Count / 2];
}

double ksTime = Median(() => DriftStats.KolmogorovSmirnov(a, b), out var ks);
double wTime = Median(() => DriftStats.Wasserstein(a, b), out var w);
double psiTime = Median(() =>
{
    var psi = new StreamingPsi(a);
    for (int start = 0; start < b.Length; start += 100_000) psi.Add(b.AsSpan(start, Math.Min(100_000, b.Length - start)));
    return psi.Value;
}, out var psiValue);
var k = (StatTestResult)ks;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"impl\":\"csharp\",\"column\":\"{column.Name}\",\"n\":{values.Length},\"threads\":{Environment.ProcessorCount},\"load_s\":{loadSeconds:F3}," +
    $"\"ks_s\":{ksTime:F4},\"wasserstein_s\":{wTime:F4},\"psi_stream_s\":{psiTime:F4}," +
    $"\"ks_d\":{k.Statistic:R},\"ks_p\":{k.PValue:R},\"wasserstein\":{((StatTestResult)w).Statistic:R},\"psi\":{(double)psiValue:R}}}"));
return 0;
