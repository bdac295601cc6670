using System.Globalization;
using System.Text;
using System.Text.Json;
using Courseware.Evaluation;
using Courseware.Notebooks;
using Courseware.Tracking;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Courseware.Registry;

/// <summary>A metric the challenger must beat the champion on, with per-item scores on a named data set.</summary>
/// <param name="Name">The metric's name, as recorded in the versions' evaluations (e.g. <c>accuracy</c>).</param>
/// <param name="Dataset">The data set the per-item scores of both versions were recorded on.</param>
/// <param name="HigherIsBetter">False for losses and error rates.</param>
public sealed record GateMetric(string Name, string Dataset, bool HigherIsBetter = true);

/// <summary>
/// When a challenger may replace the champion: it beats the champion on every named metric with a paired test at
/// <see cref="Alpha"/> (McNemar for 0/1 scores, else the paired t-test, via <see cref="Stats.Compare(IReadOnlyList{double}, IReadOnlyList{double}, string, string, double, int, int)"/>),
/// none of its recorded checks (e.g. drift tests) failed, and its model card is complete.
/// </summary>
public sealed record PromotionPolicy(IReadOnlyList<GateMetric> Metrics, double Alpha = 0.05, bool RequireModelCard = true, bool RequirePassingChecks = true)
{
    /// <summary>
    /// Reads a policy from YAML:
    /// <code>
    /// alpha: 0.05
    /// require_model_card: true
    /// require_passing_checks: true
    /// metrics:
    ///   - name: accuracy
    ///     dataset: penguins-test
    ///     higher_is_better: true
    /// </code>
    /// Errors name the file, line and column.
    /// </summary>
    public static PromotionPolicy Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses policy YAML (<paramref name="source"/> names it in errors).</summary>
    public static PromotionPolicy Parse(string yaml, string source = "policy")
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw Error(source, e.Start, $"not valid YAML: {e.Message}"); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw Error(source, null, "expected a mapping with 'metrics' (and optionally 'alpha', 'require_model_card', 'require_passing_checks').");
        double alpha = 0.05;
        bool card = true, checks = true;
        var metrics = new List<GateMetric>();
        foreach (var (keyNode, value) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value;
            switch (key)
            {
                case "alpha":
                    alpha = Number(source, value, "alpha");
                    if (!(alpha > 0 && alpha < 1)) throw Error(source, value.Start, $"alpha must be strictly between 0 and 1, got {alpha.ToString(CultureInfo.InvariantCulture)}.");
                    break;
                case "require_model_card": card = Bool(source, value, key); break;
                case "require_passing_checks": checks = Bool(source, value, key); break;
                case "metrics":
                    if (value is not YamlSequenceNode list) throw Error(source, value.Start, "'metrics' must be a list of {name, dataset, higher_is_better}.");
                    foreach (var item in list)
                    {
                        if (item is not YamlMappingNode m) throw Error(source, item.Start, "each metric must be a mapping with 'name' and 'dataset'.");
                        string? name = null, dataset = null;
                        var higher = true;
                        foreach (var (k, v) in m.Children)
                            switch (((YamlScalarNode)k).Value)
                            {
                                case "name": name = Text(source, v, "name"); break;
                                case "dataset": dataset = Text(source, v, "dataset"); break;
                                case "higher_is_better": higher = Bool(source, v, "higher_is_better"); break;
                                default: throw Error(source, k.Start, $"unknown metric field '{((YamlScalarNode)k).Value}': expected name, dataset or higher_is_better.");
                            }
                        if (name is null || dataset is null) throw Error(source, m.Start, "a metric needs both 'name' and 'dataset'.");
                        metrics.Add(new GateMetric(name, dataset, higher));
                    }
                    break;
                default: throw Error(source, keyNode.Start, $"unknown key '{key}': expected alpha, metrics, require_model_card or require_passing_checks.");
            }
        }
        return new PromotionPolicy(metrics, alpha, card, checks);
    }

    private static RegistryException Error(string source, Mark? at, string problem) =>
        new(RegistryError.InvalidParameter, "policy", at is { } m ? $"{source}:{m.Line}:{m.Column}: {problem}" : $"{source}: {problem}");

    private static string Text(string source, YamlNode node, string field) =>
        node is YamlScalarNode { Value: { Length: > 0 } s } ? s : throw Error(source, node.Start, $"'{field}' must be a non-empty string.");

    private static double Number(string source, YamlNode node, string field) =>
        node is YamlScalarNode { Value: { } s } && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw Error(source, node.Start, $"'{field}' must be a number.");

    private static bool Bool(string source, YamlNode node, string field) =>
        node is YamlScalarNode { Value: { } s } && bool.TryParse(s, out var b) ? b : throw Error(source, node.Start, $"'{field}' must be true or false.");
}

/// <summary>One criterion of a promotion decision and whether it held.</summary>
public sealed record GateCheck(string Criterion, bool Passed, string Detail);

/// <summary>The outcome of evaluating a <see cref="PromotionPolicy"/>: each criterion with its evidence, and the verdict.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class PromotionDecision(string model, string target, int candidate, int? incumbent, IReadOnlyList<GateCheck> checks, bool applied)
{
    /// <summary>The registered model.</summary>
    public string Model { get; } = model;

    /// <summary>The alias the candidate would take (e.g. champion).</summary>
    public string Target { get; } = target;

    /// <summary>The version proposed for promotion.</summary>
    public int Candidate { get; } = candidate;

    /// <summary>The version it would replace (null when there is no champion yet).</summary>
    public int? Incumbent { get; } = incumbent;

    /// <summary>Each criterion, in policy order.</summary>
    public IReadOnlyList<GateCheck> Checks { get; } = checks;

    /// <summary>True when every criterion passed.</summary>
    public bool Approved => Checks.All(c => c.Passed);

    /// <summary>True when the alias was actually moved (approved and not a dry run).</summary>
    public bool Applied { get; } = applied;

    /// <summary>A one-paragraph reason, as written into the audit log.</summary>
    public string Reason => (Approved ? "approved: " : "refused: ") + string.Join("; ", Checks.Select(c => $"{(c.Passed ? "✓" : "✗")} {c.Criterion} — {c.Detail}"));

    /// <inheritdoc />
    public override string ToString() => $"{Model} v{Candidate}: {Reason}";
}

public sealed partial class ModelRegistry
{
    /// <summary>Prefix of version tags that record checks such as drift tests (<see cref="RecordCheckAsync"/>).</summary>
    public const string CheckTagPrefix = "check.";

    /// <summary>
    /// Stores per-item scores of a version on a data set (1/0 for correct/incorrect, or any per-item metric), the
    /// evidence a promotion gate compares with a paired test. Replaces earlier scores for the same metric and data.
    /// </summary>
    public Task LogEvaluationAsync(string name, int version, string metric, string dataset, IReadOnlyList<double> scores, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scores);
        TrackingValidation.ValidateKey(metric, "metric");
        if (scores.Count == 0 || scores.Any(s => !double.IsFinite(s)))
            throw new RegistryException(RegistryError.InvalidParameter, "scores", $"Scores for {metric} on {dataset} must be a non-empty list of finite numbers.");
        return _backend.LogEvaluationAsync(name, version, metric, dataset, scores, cancellationToken);
    }

    /// <summary>The per-item scores stored by <see cref="LogEvaluationAsync"/>, or null.</summary>
    public Task<IReadOnlyList<double>?> GetEvaluationAsync(string name, int version, string metric, string dataset, CancellationToken cancellationToken = default) =>
        _backend.GetEvaluationAsync(name, version, metric, dataset, cancellationToken);

    /// <summary>Records the outcome of a check on a version (e.g. a drift test suite) as the tag <c>check.&lt;name&gt;</c>.</summary>
    public Task RecordCheckAsync(string name, int version, string check, bool passed, string detail = "", CancellationToken cancellationToken = default) =>
        SetVersionTagAsync(name, version, CheckTagPrefix + check, (passed ? "passed" : "failed") + (detail.Length > 0 ? ": " + detail : ""), cancellationToken);

    /// <summary>
    /// Evaluates <paramref name="policy"/> for the version behind alias <paramref name="from"/> against the one behind
    /// <paramref name="to"/> and, when approved (and not <paramref name="dryRun"/>), moves <paramref name="to"/> to it
    /// and removes <paramref name="from"/> — in one transaction with the decision as the audit reason. A refusal is
    /// audited too.
    /// </summary>
    /// <example><code>var decision = await registry.PromoteAsync("penguins", PromotionPolicy.Load("policy.yaml"));</code></example>
    public async Task<PromotionDecision> PromoteAsync(string name, PromotionPolicy policy, string from = "challenger", string to = "champion",
        bool dryRun = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        RegistryValidation.ValidateAlias(from);
        RegistryValidation.ValidateAlias(to);
        var candidate = await GetVersionByAliasAsync(name, from, cancellationToken).ConfigureAwait(false);
        var model = await GetModelAsync(name, cancellationToken).ConfigureAwait(false);
        int? incumbent = model.Aliases.TryGetValue(to, out var inc) ? inc : null;
        var checks = new List<GateCheck>();
        foreach (var metric in policy.Metrics)
            checks.Add(await CompareAsync(name, candidate.Version, incumbent, metric, policy.Alpha, cancellationToken).ConfigureAwait(false));
        if (policy.RequirePassingChecks)
        {
            var failed = candidate.Tags.Where(t => t.Key.StartsWith(CheckTagPrefix, StringComparison.Ordinal) && t.Value.StartsWith("failed", StringComparison.Ordinal))
                .Select(t => $"{t.Key[CheckTagPrefix.Length..]} ({t.Value})").ToList();
            var all = candidate.Tags.Keys.Count(k => k.StartsWith(CheckTagPrefix, StringComparison.Ordinal));
            checks.Add(new GateCheck("no failing checks", failed.Count == 0,
                failed.Count == 0 ? $"{all} recorded check(s), none failed" : "failed: " + string.Join(", ", failed)));
        }
        if (policy.RequireModelCard)
        {
            var card = await GetModelCardAsync(name, candidate.Version, cancellationToken).ConfigureAwait(false);
            checks.Add(card is null
                ? new GateCheck("model card complete", false, "no model card saved for this version")
                : new GateCheck("model card complete", card.MissingSections.Count == 0,
                    card.MissingSections.Count == 0 ? $"revision {card.Revision}" : "sections to write: " + string.Join(", ", card.MissingSections)));
        }
        var decision = new PromotionDecision(name, to, candidate.Version, incumbent, checks, applied: !dryRun && checks.All(c => c.Passed));
        if (dryRun) return decision;
        if (decision.Approved)
            await _backend.PromoteAliasAsync(name, to, candidate.Version, from, decision.Reason, cancellationToken).ConfigureAwait(false);
        else
            await _backend.AppendAuditAsync(name, "promotion_refused", to, incumbent, candidate.Version, decision.Reason, cancellationToken).ConfigureAwait(false);
        return decision;
    }

    private async Task<GateCheck> CompareAsync(string name, int candidate, int? incumbent, GateMetric metric, double alpha, CancellationToken ct)
    {
        var criterion = $"{metric.Name} on {metric.Dataset} {(metric.HigherIsBetter ? "higher" : "lower")} than incumbent (α = {alpha.ToString(CultureInfo.InvariantCulture)})";
        var mine = await GetEvaluationAsync(name, candidate, metric.Name, metric.Dataset, ct).ConfigureAwait(false);
        if (mine is null) return new GateCheck(criterion, false, $"v{candidate} has no {metric.Name} scores on {metric.Dataset}");
        if (incumbent is null) return new GateCheck(criterion, true, $"nothing to beat; v{candidate} mean {Html.FormatNumber(mine.Average())} over {mine.Count} items");
        var theirs = await GetEvaluationAsync(name, incumbent.Value, metric.Name, metric.Dataset, ct).ConfigureAwait(false);
        if (theirs is null) return new GateCheck(criterion, false, $"incumbent v{incumbent} has no {metric.Name} scores on {metric.Dataset}: nothing to pair with");
        if (theirs.Count != mine.Count)
            return new GateCheck(criterion, false, $"v{candidate} has {mine.Count} scores, v{incumbent} {theirs.Count}: a paired test needs the same items");
        // Lower-is-better metrics are negated so that "better" is always a positive difference.
        var sign = metric.HigherIsBetter ? 1.0 : -1.0;
        var c = Stats.Compare(mine.Select(x => sign * x).ToArray(), theirs.Select(x => sign * x).ToArray(), $"v{candidate}", $"v{incumbent}", alpha, resamples: 2_000);
        var better = c.Difference > 0 && c.PValue < alpha;
        return new GateCheck(criterion, better,
            $"mean {Html.FormatNumber(c.MeanA * sign)} vs {Html.FormatNumber(c.MeanB * sign)} (n = {c.Items}), {c.Test} p {(c.PValue < 0.001 ? "" : "= ")}{TestResult.FormatP(c.PValue)}" +
            (better ? "" : c.Difference <= 0 ? ": not better" : ": not significant"));
    }
}
