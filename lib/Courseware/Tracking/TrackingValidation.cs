using System.Text.RegularExpressions;

namespace Courseware.Tracking;

/// <summary>MLflow's size limits (mlflow/utils/validation.py, 2.x).</summary>
public static class TrackingLimits
{
    /// <summary>Longest metric, param or tag key.</summary>
    public const int MaxKeyLength = 250;
    /// <summary>Longest param value.</summary>
    public const int MaxParamValueLength = 6000;
    /// <summary>Longest run tag value.</summary>
    public const int MaxRunTagValueLength = 8000;
    /// <summary>Longest experiment tag value.</summary>
    public const int MaxExperimentTagValueLength = 5000;
    /// <summary>Longest experiment name.</summary>
    public const int MaxExperimentNameLength = 500;
    /// <summary>Most metrics in one <see cref="ITrackingStore.LogBatchAsync"/> call.</summary>
    public const int MaxMetricsPerBatch = 1000;
    /// <summary>Most params (and, separately, tags) in one batch.</summary>
    public const int MaxParamsTagsPerBatch = 100;
    /// <summary>Most metrics + params + tags in one batch.</summary>
    public const int MaxEntitiesPerBatch = 1000;
    /// <summary>Default page size of a run search.</summary>
    public const int DefaultMaxResults = 1000;
    /// <summary>Largest page size of a run search.</summary>
    public const int MaxResultsLimit = 50000;
}

/// <summary>
/// The input checks every store runs before writing, with MLflow's rules and messages that name the field.
/// One deliberate difference: over-long values are rejected, never silently truncated (MLflow truncates by default,
/// which its users report as a surprise).
/// </summary>
public static partial class TrackingValidation
{
    // MLflow: ^[/\w.\- :]*$ (colon allowed since 2024).
    [GeneratedRegex(@"^[/\w.\- :]*$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,255}$")]
    private static partial Regex RunIdPattern();

    // Keys already found valid: a training loop logs the same few keys millions of times. Bounded so a stream of
    // distinct keys cannot grow it without limit.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> ValidKeys = new(StringComparer.Ordinal);
    private const int ValidKeyCacheSize = 10_000;

    /// <summary>Checks a metric, param or tag key; <paramref name="kind"/> is "metric", "param" or "tag" (for the message).</summary>
    public static void ValidateKey(string? key, string kind)
    {
        if (key is not null && ValidKeys.ContainsKey(key)) return;
        CheckKey(key, kind);
        if (ValidKeys.Count < ValidKeyCacheSize) ValidKeys.TryAdd(key!, true);
    }

    private static void CheckKey(string? key, string kind)
    {
        var field = $"{kind} key";
        if (key is null)
            throw TrackingException.InvalidParameter(field, $"The {kind} name cannot be null. A key name must be provided.");
        if (key.Length > TrackingLimits.MaxKeyLength)
            throw TrackingException.InvalidParameter(field,
                $"The {kind} name '{key[..50]}...' has length {key.Length}, which exceeds the limit of {TrackingLimits.MaxKeyLength}.");
        if (!KeyPattern().IsMatch(key))
            throw TrackingException.InvalidParameter(field,
                $"Invalid {kind} name: '{key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).");
        var norm = PosixNormPath(key);
        if (norm != key || norm == "." || norm.StartsWith("..", StringComparison.Ordinal) || norm.StartsWith('/'))
            throw TrackingException.InvalidParameter(field,
                $"Invalid {kind} name: '{key}'. Names may be treated as file paths and must not resolve to other names; this one resolves to '{norm}'.");
    }

    /// <summary>Checks a metric and returns it with ±∞ clamped to ±<see cref="double.MaxValue"/> (NaN is kept).</summary>
    public static Metric ValidateMetric(Metric metric)
    {
        ValidateKey(metric.Key, "metric");
        if (metric.Timestamp < 0)
            throw TrackingException.InvalidParameter($"metrics[{metric.Key}].timestamp",
                $"Got invalid timestamp {metric.Timestamp} for metric '{metric.Key}': it must be a non-negative number of milliseconds since the Unix epoch.");
        return double.IsInfinity(metric.Value)
            ? metric with { Value = double.IsPositiveInfinity(metric.Value) ? double.MaxValue : -double.MaxValue }
            : metric;
    }

    /// <summary>Checks a param key and value length.</summary>
    public static void ValidateParam(Param param)
    {
        ValidateKey(param.Key, "param");
        ValidateValue(param.Value, TrackingLimits.MaxParamValueLength, $"params[{param.Key}]", "Param value");
    }

    /// <summary>Checks a run tag key and value length.</summary>
    public static void ValidateTag(RunTag tag)
    {
        ValidateKey(tag.Key, "tag");
        ValidateValue(tag.Value, TrackingLimits.MaxRunTagValueLength, $"tags[{tag.Key}]", "Tag value");
    }

    /// <summary>Checks an experiment tag key and value length.</summary>
    public static void ValidateExperimentTag(ExperimentTag tag)
    {
        ValidateKey(tag.Key, "tag");
        ValidateValue(tag.Value, TrackingLimits.MaxExperimentTagValueLength, $"tags[{tag.Key}]", "Experiment tag value");
    }

    /// <summary>Checks an experiment name: non-empty, ≤ 500 characters.</summary>
    public static void ValidateExperimentName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw TrackingException.InvalidParameter("name", $"Invalid experiment name: '{name}'. It must be a non-empty string.");
        if (name.Length > TrackingLimits.MaxExperimentNameLength)
            throw TrackingException.InvalidParameter("name",
                $"Experiment name has length {name.Length}, which exceeds the limit of {TrackingLimits.MaxExperimentNameLength} characters.");
    }

    /// <summary>Checks a run id's shape (alphanumeric start, then letters, digits, _ or -; at most 256 characters).</summary>
    public static void ValidateRunId(string? runId)
    {
        if (runId is null || !RunIdPattern().IsMatch(runId))
            throw TrackingException.InvalidParameter("run_id", $"Invalid run ID: '{runId}'.");
    }

    /// <summary>
    /// Checks one log-batch request (sizes, keys, values, duplicate params) and returns the metrics with ±∞ clamped.
    /// </summary>
    public static IReadOnlyList<Metric> ValidateBatch(IReadOnlyCollection<Metric> metrics, IReadOnlyCollection<Param> @params, IReadOnlyCollection<RunTag> tags)
    {
        CheckBatchLimit("metrics", TrackingLimits.MaxMetricsPerBatch, metrics.Count);
        CheckBatchLimit("params", TrackingLimits.MaxParamsTagsPerBatch, @params.Count);
        CheckBatchLimit("tags", TrackingLimits.MaxParamsTagsPerBatch, tags.Count);
        CheckBatchLimit("metrics, params, and tags", TrackingLimits.MaxEntitiesPerBatch, metrics.Count + @params.Count + tags.Count);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in @params)
        {
            ValidateParam(p);
            if (seen.TryGetValue(p.Key, out var other) && other != p.Value)
                throw TrackingException.InvalidParameter($"params[{p.Key}]",
                    $"Duplicate parameter key '{p.Key}' with different values ('{other}' and '{p.Value}') in one batch.");
            seen[p.Key] = p.Value;
        }
        foreach (var t in tags) ValidateTag(t);
        return metrics.Select(ValidateMetric).ToList();
    }

    private static void CheckBatchLimit(string what, int limit, int count)
    {
        if (count > limit)
            throw TrackingException.InvalidParameter(what,
                $"A batch logging request can contain at most {limit} {what}. Got {count}; split them across several requests.");
    }

    private static void ValidateValue(string? value, int limit, string field, string what)
    {
        if (value is null)
            throw TrackingException.InvalidParameter(field, $"{what} for {field} cannot be null.");
        if (value.Length > limit)
            throw TrackingException.InvalidParameter(field,
                $"{what} for {field} has length {value.Length}, which exceeds the limit of {limit} characters.");
    }

    /// <summary>Python's <c>posixpath.normpath</c>, which MLflow uses to reject keys that alias other keys.</summary>
    internal static string PosixNormPath(string path)
    {
        if (path.Length == 0) return ".";
        // POSIX allows exactly two leading slashes to mean something special; three or more collapse to one.
        var leading = path.StartsWith('/') ? (path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("///", StringComparison.Ordinal) ? 2 : 1) : 0;
        var parts = new List<string>();
        foreach (var comp in path.Split('/'))
        {
            if (comp is "" or ".") continue;
            if (comp != ".." || (leading == 0 && parts.Count == 0) || (parts.Count > 0 && parts[^1] == ".."))
                parts.Add(comp);
            else if (parts.Count > 0)
                parts.RemoveAt(parts.Count - 1);
        }
        var result = new string('/', leading) + string.Join('/', parts);
        return result.Length == 0 ? "." : result;
    }
}
