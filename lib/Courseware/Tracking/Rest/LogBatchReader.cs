using System.Text.Json;

namespace Courseware.Tracking.Rest;

/// <summary>A <c>runs/log-batch</c> request as the store takes it.</summary>
internal sealed record LogBatchRequest(string RunId, List<Metric> Metrics, List<Param> Params, List<RunTag> Tags);

/// <summary>
/// Reads a <c>runs/log-batch</c> body with <see cref="Utf8JsonReader"/> straight into the store's records, without a
/// <c>JsonNode</c> per point (building that tree was about half of the server's cost per request). It reads only a
/// well-formed body: strings where MLflow wants strings, numbers (or MLflow's number strings) where it wants numbers,
/// every required field present, no JSON null, no field twice. Anything else returns null, and the caller reads the
/// body the general way (<see cref="MlflowJson"/> over a <c>JsonObject</c>), which answers it with the same error,
/// message and field as ever: the two readers agree on every body this one accepts, and only the general one reports.
/// </summary>
internal static class LogBatchReader
{
    // The fields each object is read for, by position: NextField answers a field's position plus one.
    private static readonly byte[][] BatchFields = ["run_id"u8.ToArray(), "run_uuid"u8.ToArray(), "metrics"u8.ToArray(), "params"u8.ToArray(), "tags"u8.ToArray()];
    private static readonly byte[][] MetricFields = ["key"u8.ToArray(), "value"u8.ToArray(), "timestamp"u8.ToArray(), "step"u8.ToArray()];
    private static readonly byte[][] PairFields = ["key"u8.ToArray(), "value"u8.ToArray()];
    private const int EndOfObject = -1, Repeated = -2, Other = 0;

    /// <summary>The request in <paramref name="utf8"/>, or null when only the general reader may answer it.</summary>
    public static LogBatchRequest? TryRead(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return Read(utf8);
        }
        // Malformed JSON or text that is not UTF-8: the general reader fails the same body with its own error.
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static LogBatchRequest? Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8); // the defaults of JsonNode.Parse: no comments, no trailing commas, depth 64
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        string? runId = null, runUuid = null;
        List<Metric>? metrics = null;
        List<Param>? @params = null;
        List<RunTag>? tags = null;
        var (seen, others) = (0, (HashSet<string>?)null);
        int field;
        while ((field = NextField(ref reader, BatchFields, ref seen, ref others)) >= 0)
        {
            var ok = field switch
            {
                1 => (runId = String(ref reader)) is not null,
                2 => (runUuid = String(ref reader)) is not null,
                3 => (metrics = ReadMetrics(ref reader)) is not null,
                4 => (@params = ReadPairs(ref reader, static (k, v) => new Param(k, v))) is not null,
                5 => (tags = ReadPairs(ref reader, static (k, v) => new RunTag(k, v))) is not null,
                _ => reader.TrySkip(), // a field log-batch does not read, as the general reader ignores it
            };
            if (!ok) return null;
        }
        if (field == Repeated || reader.Read()) return null; // (the reader fails on anything after the object)
        var id = runId ?? runUuid;
        return id is null ? null : new LogBatchRequest(id, metrics ?? [], @params ?? [], tags ?? []);
    }

    private static List<Metric>? ReadMetrics(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return null;
        var metrics = new List<Metric>();
        string? lastKey = null; // a batch mostly repeats one key: the same string, not one per point
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? key = null;
            double value = 0;
            long timestamp = 0, step = 0;
            var (seen, others) = (0, (HashSet<string>?)null);
            int field;
            while ((field = NextField(ref reader, MetricFields, ref seen, ref others)) >= 0)
            {
                var ok = field switch
                {
                    1 => (key = SameOrNew(ref reader, lastKey)) is not null,
                    2 => Double(ref reader, out value),
                    3 => Long(ref reader, out timestamp),
                    4 => Long(ref reader, out step),
                    _ => reader.TrySkip(),
                };
                if (!ok) return null;
            }
            if (field == Repeated || (seen & 0b111) != 0b111) return null; // key, value and timestamp are required
            metrics.Add(new Metric(key!, value, timestamp, step));
            lastKey = key;
        }
        return reader.TokenType == JsonTokenType.EndArray ? metrics : null;
    }

    private static List<T>? ReadPairs<T>(ref Utf8JsonReader reader, Func<string, string, T> create)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return null;
        var pairs = new List<T>();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? key = null, value = null;
            var (seen, others) = (0, (HashSet<string>?)null);
            int field;
            while ((field = NextField(ref reader, PairFields, ref seen, ref others)) >= 0)
            {
                var ok = field switch
                {
                    1 => (key = String(ref reader)) is not null,
                    2 => (value = String(ref reader)) is not null,
                    _ => reader.TrySkip(),
                };
                if (!ok) return null;
            }
            if (field == Repeated || key is null || value is null) return null;
            pairs.Add(create(key, value));
        }
        return reader.TokenType == JsonTokenType.EndArray ? pairs : null;
    }

    /// <summary>
    /// Moves to the next field of the object being read and onto its value: the field's position in
    /// <paramref name="names"/> plus one (<see cref="Other"/> for a name not among them), <see cref="EndOfObject"/>, or
    /// <see cref="Repeated"/> when the object has the field already (the general reader decides what that means).
    /// </summary>
    private static int NextField(ref Utf8JsonReader reader, byte[][] names, ref int seen, ref HashSet<string>? others)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName) return EndOfObject;
        var field = Other;
        for (var i = 0; i < names.Length && field == Other; i++)
            if (reader.ValueTextEquals(names[i])) field = i + 1;
        var first = field == Other
            ? (others ??= new HashSet<string>(StringComparer.Ordinal)).Add(reader.GetString()!)
            : (seen & (1 << (field - 1))) == 0;
        seen |= field == Other ? 0 : 1 << (field - 1);
        reader.Read();
        return first ? field : Repeated;
    }

    // A metric's key: the previous point's string when the text is the same.
    private static string? SameOrNew(ref Utf8JsonReader reader, string? previous) =>
        reader.TokenType != JsonTokenType.String ? null
        : previous is not null && reader.ValueTextEquals(previous) ? previous
        : reader.GetString();

    // A string value; a number, null or anything else is the general reader's to take or refuse.
    private static string? String(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString() : null;

    // A number, or MLflow's "NaN"/"Infinity"/"-Infinity" or a number's text, exactly as MlflowJson.RequiredDouble reads them.
    private static bool Double(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        return reader.TokenType switch
        {
            JsonTokenType.Number => reader.TryGetDouble(out value) && double.IsFinite(value), // 1e999: the general reader's to judge
            JsonTokenType.String => MlflowJson.TryParseDouble(reader.GetString()!, out value),
            _ => false,
        };
    }

    // An int64 as a number or a decimal string, exactly as MlflowJson.OptionalLong reads it.
    private static bool Long(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        return reader.TokenType switch
        {
            JsonTokenType.Number => reader.TryGetInt64(out value),
            JsonTokenType.String => MlflowJson.TryParseLong(reader.GetString()!, out value),
            _ => false,
        };
    }
}
