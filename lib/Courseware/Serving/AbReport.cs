using System.Globalization;
using System.Text.Json.Nodes;
using Courseware.Evaluation;
using Courseware.Notebooks;
using Courseware.Registry;
using Courseware.Tracking;

namespace Courseware.Serving;

/// <summary>What one version answered while serving as one arm: requests, failures, latency and the outcomes reported back.</summary>
/// <param name="Model">The version's URI (<c>models:/name/3</c>).</param>
/// <param name="Arm">The arm it served as.</param>
/// <param name="Requests">Requests routed to it.</param>
/// <param name="BadRequests">Of those, rejected as invalid (400).</param>
/// <param name="Errors">Of those, failed inside the model (500).</param>
/// <param name="LatencyP50Ms">Median time in the model and its checks, ms (NaN before the first request).</param>
/// <param name="LatencyP99Ms">99th percentile, ms.</param>
/// <param name="Outcomes">Outcomes reported for its answers (1/0 for success/failure, or any number such as revenue).</param>
public sealed record VersionTraffic(string Model, Arm Arm, long Requests, long BadRequests, long Errors,
    double LatencyP50Ms, double LatencyP99Ms, IReadOnlyList<double> Outcomes)
{
    /// <summary>Mean outcome, or NaN with none yet.</summary>
    public double OutcomeMean => Outcomes.Count == 0 ? double.NaN : Outcomes.Average();
}

/// <summary>
/// The result of an A/B test between the champion and the challenger: traffic per version and, once each arm has at
/// least two outcomes, a significance test of challenger − champion: the two-proportion z-test when every outcome is
/// 0 or 1, otherwise Welch's t-test (<see cref="Stats.TwoProportionZTest(int,int,int,int,double)"/>, <see cref="Stats.WelchTTest"/>).
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class AbReport
{
    /// <summary>Builds the report; <paramref name="traffic"/> holds every version that served, the current ones included.</summary>
    public AbReport(string champion, string? challenger, IReadOnlyList<VersionTraffic> traffic, double alpha = 0.05)
    {
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "expected a significance level strictly between 0 and 1.");
        Champion = champion;
        Challenger = challenger;
        Traffic = traffic;
        Alpha = alpha;
        var a = Outcomes(champion, Arm.Champion);
        var b = challenger is null ? [] : Outcomes(challenger, Arm.Challenger);
        if (a.Count < 2 || b.Count < 2) return;
        Test = a.Concat(b).All(x => x is 0 or 1)
            ? Stats.TwoProportionZTest(a.Select(x => x == 1).ToList(), b.Select(x => x == 1).ToList(), 1 - alpha)
            : Stats.WelchTTest(a, b, 1 - alpha);
    }

    /// <summary>The champion version's URI.</summary>
    public string Champion { get; }

    /// <summary>The challenger version's URI (null without a traffic split).</summary>
    public string? Challenger { get; }

    /// <summary>Every (version, arm) that served.</summary>
    public IReadOnlyList<VersionTraffic> Traffic { get; }

    /// <summary>The significance level (the interval is at 1 − α).</summary>
    public double Alpha { get; }

    /// <summary>The test of challenger (B) against champion (A); null until each has two outcomes.</summary>
    public IndependentTestResult? Test { get; }

    /// <summary>True when the difference is significant at <see cref="Alpha"/>.</summary>
    public bool Significant => Test is not null && Test.PValue < Alpha;

    /// <summary>One sentence: which arm did better, by how much, and whether that is more than chance.</summary>
    public string Summary => Test is null
        ? $"Not enough outcomes yet: each arm needs at least 2 (champion {Outcomes(Champion, Arm.Champion).Count}, challenger {(Challenger is null ? 0 : Outcomes(Challenger, Arm.Challenger).Count)})."
        : string.Create(CultureInfo.InvariantCulture,
            $"Challenger {Challenger} − champion {Champion}: {Test.Difference:+0.####;-0.####;0} mean outcome ({Test.Confidence:0%} CI [{Test.Low:0.####}, {Test.High:0.####}]), {Test.Test} p = {TestResult.FormatP(Test.PValue)}: {(Significant ? "significant" : "not significant")} at α = {Alpha}.");

    private List<double> Outcomes(string model, Arm arm) =>
        Traffic.Where(t => t.Model == model && t.Arm == arm).SelectMany(t => t.Outcomes).ToList();

    /// <summary>The report as JSON (what <c>GET /ab</c> returns).</summary>
    public JsonObject ToJson() => new()
    {
        ["champion"] = Champion,
        ["challenger"] = Challenger,
        ["alpha"] = Alpha,
        ["versions"] = new JsonArray(Traffic.Select(t => (JsonNode)new JsonObject
        {
            ["model"] = t.Model,
            ["arm"] = ArmName(t.Arm),
            ["requests"] = t.Requests,
            ["bad_requests"] = t.BadRequests,
            ["errors"] = t.Errors,
            ["latency_p50_ms"] = Requests.Number(t.LatencyP50Ms),
            ["latency_p99_ms"] = Requests.Number(t.LatencyP99Ms),
            ["outcomes"] = t.Outcomes.Count,
            ["outcome_mean"] = Requests.Number(t.OutcomeMean),
        }).ToArray()),
        ["test"] = Test is null ? null : new JsonObject
        {
            ["name"] = Test.Test,
            ["difference"] = Test.Difference,
            ["ci_low"] = Test.Low,
            ["ci_high"] = Test.High,
            ["statistic"] = Requests.Number(Test.Statistic),
            ["p_value"] = Test.PValue,
            ["significant"] = Significant,
        },
        ["summary"] = Summary,
    };

    /// <summary>"champion" or "challenger", as the server writes it.</summary>
    public static string ArmName(Arm arm) => arm == Arm.Champion ? "champion" : "challenger";

    /// <summary>
    /// Rebuilds the report from a serving run logged by <see cref="ModelService"/> (its <c>outcome.*</c> and
    /// <c>latency_ms.*</c> metric histories and its <c>serving.*</c> tags), e.g. after the server stopped.
    /// </summary>
    /// <example><code>var report = await AbReport.FromRunAsync(tracker.Store, runId);</code></example>
    public static async Task<AbReport> FromRunAsync(ITrackingStore store, string runId, double alpha = 0.05, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var run = await store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        var tags = run.Data.Tags;
        if (!tags.TryGetValue(ServingLog.ChampionTag, out var champion))
            throw new RegistryException(RegistryError.InvalidParameter, "run_id", $"run {runId} is not a serving run: it has no tag {ServingLog.ChampionTag}.");
        var challenger = tags.GetValueOrDefault(ServingLog.ChallengerTag);
        var traffic = new List<VersionTraffic>();
        foreach (var (arm, version) in run.Data.Metrics.Keys.Select(ServingLog.ParseKey).OfType<(Arm, int)>().Distinct().Order())
        {
            var uri = $"models:/{ModelUri.Parse(arm == Arm.Champion ? champion : challenger!).Name}/{version}";
            async Task<IReadOnlyList<Metric>> History(string metric) =>
                await store.GetMetricHistoryAsync(runId, ServingLog.Key(metric, arm, version), cancellationToken).ConfigureAwait(false);
            var latencies = (await History(ServingLog.LatencyMetric)).Select(m => m.Value).Order().ToArray();
            var failures = await History(ServingLog.FailureMetric);
            var outcomes = await History(ServingLog.OutcomeMetric);
            traffic.Add(new VersionTraffic(uri, arm, latencies.Length + failures.Count, failures.Count(f => f.Value == 400), failures.Count(f => f.Value != 400),
                ServingLog.Percentile(latencies, 0.5), ServingLog.Percentile(latencies, 0.99), outcomes.OrderBy(m => m.Step).Select(m => m.Value).ToList()));
        }
        return new AbReport(champion, challenger, traffic, alpha);
    }

    /// <inheritdoc />
    public override string ToString() => Summary;
}
