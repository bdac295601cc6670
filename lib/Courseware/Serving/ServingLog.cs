using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Courseware.Evaluation;
using Courseware.Registry;
using Courseware.Tracking;

namespace Courseware.Serving;

/// <summary>
/// Per-version request counts, latencies and outcomes of a <see cref="ModelService"/>, kept in memory for
/// <c>GET /ab</c> and <c>GET /metrics</c> and, when a run is given, logged to the tracking store as metric histories
/// (<c>latency_ms/champion/v3</c>, <c>failure/champion/v3</c> with the HTTP status, <c>outcome/challenger/v4</c>), from
/// which <see cref="AbReport.FromRunAsync"/> rebuilds the report after the server stopped.
/// </summary>
public sealed partial class ServingLog
{
    /// <summary>Run tag holding the URI of the version serving as champion (updated on a hot swap).</summary>
    public const string ChampionTag = "serving.champion";

    /// <summary>Run tag holding the URI of the version serving as challenger.</summary>
    public const string ChallengerTag = "serving.challenger";

    internal const string LatencyMetric = "latency_ms", FailureMetric = "failure", OutcomeMetric = "outcome";

    // Enough for percentiles that do not move; beyond it a uniform reservoir sample (Vitter's algorithm R) is kept.
    private const int LatencySample = 10_000;
    private const int PendingLimit = 100_000;

    private readonly ConcurrentDictionary<(string Model, Arm Arm), Counters> _counters = new();
    private readonly ConcurrentDictionary<string, Counters> _pending = new();
    private readonly ConcurrentQueue<string> _pendingOrder = new();
    private readonly ActiveRun? _run;

    /// <summary>A log that keeps its numbers in memory and, when <paramref name="run"/> is given, logs them to it.</summary>
    public ServingLog(ActiveRun? run = null) => _run = run;

    /// <summary>The tracking run the traffic is logged to, if any.</summary>
    public string? RunId => _run?.RunId;

    /// <summary>Records the version now serving as an arm (a run tag, so the report knows which versions were compared).</summary>
    public void SetVersion(Arm arm, ModelVersion version) => _run?.SetTag(arm == Arm.Champion ? ChampionTag : ChallengerTag, version.Uri);

    /// <summary>Records a request answered successfully; returns the id under which its outcome can be reported.</summary>
    public string Answered(ModelVersion version, Arm arm, double milliseconds)
    {
        var counters = For(version, arm);
        var step = counters.Answered(milliseconds);
        _run?.LogMetric(Key(LatencyMetric, arm, version.Version), milliseconds, step);
        var id = Guid.NewGuid().ToString("N");
        _pending[id] = counters;
        _pendingOrder.Enqueue(id);
        // Outcomes that never come would otherwise grow the map without end: the oldest requests are forgotten.
        while (_pending.Count > PendingLimit && _pendingOrder.TryDequeue(out var old)) _pending.TryRemove(old, out _);
        return id;
    }

    /// <summary>Records a request that failed with an HTTP status (400 for a bad request, 500 for a model failure).</summary>
    public void Failed(ModelVersion version, Arm arm, int status)
    {
        var step = For(version, arm).Failed(status);
        _run?.LogMetric(Key(FailureMetric, arm, version.Version), status, step);
    }

    /// <summary>
    /// Records the outcome of an answered request (1 = success, 0 = failure, or any number such as revenue), against
    /// the version and arm that answered it. Each request takes one outcome.
    /// </summary>
    public void RecordOutcome(string requestId, double outcome)
    {
        if (!double.IsFinite(outcome)) throw Requests.Bad("outcome", $"expected a finite number, got {outcome}");
        if (string.IsNullOrEmpty(requestId) || !_pending.TryRemove(requestId, out var counters))
            throw new RegistryException(RegistryError.NotFound, "request_id",
                $"request_id: '{requestId}' is not a request this server answered, or its outcome was already recorded.");
        var step = counters.Outcome(outcome);
        _run?.LogMetric(Key(OutcomeMetric, counters.Arm, counters.Version), outcome, step);
    }

    /// <summary>Traffic per (version, arm), in the order they first served.</summary>
    public IReadOnlyList<VersionTraffic> Traffic => _counters.Values.OrderBy(c => c.Created).Select(c => c.Snapshot()).ToList();

    /// <summary>
    /// Adds the Prometheus series of each version and arm to <paramref name="metrics"/>: requests by result, latency
    /// quantiles (a summary), the number of outcomes (a counter) and their sum (a gauge: outcomes such as revenue may be negative).
    /// </summary>
    public void AddTo(PrometheusMetrics metrics)
    {
        foreach (var t in Traffic)
        {
            (string, string)[] labels = [("model", t.Model), ("arm", AbReport.ArmName(t.Arm))];
            const string requests = "courseware_model_requests_total", requestsHelp = "Requests routed to a version, by result.";
            metrics.Counter(requests, requestsHelp, t.Requests - t.BadRequests - t.Errors, [.. labels, ("result", "ok")]);
            metrics.Counter(requests, requestsHelp, t.BadRequests, [.. labels, ("result", "bad_request")]);
            metrics.Counter(requests, requestsHelp, t.Errors, [.. labels, ("result", "error")]);
            metrics.Summary("courseware_model_latency_ms", "Time in the model and its request checks.", [(0.5, t.LatencyP50Ms), (0.99, t.LatencyP99Ms)], labels);
            metrics.Counter("courseware_model_outcomes_total", "Outcomes reported with POST /feedback.", t.Outcomes.Count, labels);
            metrics.Gauge("courseware_model_outcome_sum", "Sum of the reported outcomes.", t.Outcomes.Sum(), labels);
        }
    }

    private Counters For(ModelVersion version, Arm arm) => _counters.GetOrAdd((version.Uri, arm), k => new Counters(k.Model, version.Version, arm));

    internal static string Key(string metric, Arm arm, int version) => $"{metric}/{AbReport.ArmName(arm)}/v{version}";

    /// <summary>The arm and version of a metric key this log wrote, or null for any other key.</summary>
    internal static (Arm, int)? ParseKey(string key)
    {
        var m = KeyPattern().Match(key);
        return m.Success ? (m.Groups[1].Value == "champion" ? Arm.Champion : Arm.Challenger, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)) : null;
    }

    [GeneratedRegex(@"^(?:latency_ms|failure|outcome)/(champion|challenger)/v(\d+)$")]
    private static partial Regex KeyPattern();

    /// <summary>The q-quantile of sorted values (numpy's linear interpolation), NaN when there are none.</summary>
    internal static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : Stats.Quantile(sorted, q);

    private sealed class Counters(string model, int version, Arm arm)
    {
        private readonly Lock _lock = new();
        private readonly List<double> _latencies = [];
        private readonly List<double> _outcomes = [];
        private readonly Random _reservoir = new(version);
        private long _answered, _bad, _errors;

        public long Created { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

        public int Version => version;

        public Arm Arm => arm;

        public long Answered(double ms)
        {
            lock (_lock)
            {
                _answered++;
                if (_latencies.Count < LatencySample) _latencies.Add(ms);
                else if (_reservoir.NextInt64(_answered) is var j && j < LatencySample) _latencies[(int)j] = ms;
                return _answered;
            }
        }

        public long Failed(int status)
        {
            lock (_lock)
            {
                if (status == 400) _bad++;
                else _errors++;
                return _bad + _errors; // the step of the failure history: one per failure
            }
        }

        public long Outcome(double value)
        {
            lock (_lock)
            {
                _outcomes.Add(value);
                return _outcomes.Count;
            }
        }

        public VersionTraffic Snapshot()
        {
            lock (_lock)
            {
                var sorted = _latencies.Order().ToArray();
                return new VersionTraffic(model, arm, _answered + _bad + _errors, _bad, _errors, Percentile(sorted, 0.5), Percentile(sorted, 0.99), _outcomes.ToList());
            }
        }
    }
}
