using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Courseware.Sweeps;

/// <summary>
/// How a sweep lives in the tracking store. The sweep is a run of its own (tag <see cref="Role"/> = sweep) holding the
/// YAML, the seed and the sweep's state; every trial is a nested run of it (<c>mlflow.parentRunId</c>) whose params
/// are its configuration and whose metrics are its history, so the tracking UI shows trials as ordinary runs.
/// Claims are write-once params of the sweep run: <c>slot.7 = &lt;run id&gt;</c> (a reclaimed slot adds
/// <c>slot.7.1</c>, <c>slot.7.2</c>, …). A param can be written once with one value in every store (the SQL stores
/// insert-or-keep then compare, in one transaction), so exactly one agent wins each slot — in SQLite across
/// processes and in PostgreSQL across machines, with no store-specific code.
/// </summary>
internal static class SweepTags
{
    /// <summary>"sweep" on the sweep's own run.</summary>
    public const string Role = "courseware.sweep.role";
    /// <summary>The sweep file (YAML) on the sweep's run.</summary>
    public const string Yaml = "courseware.sweep.yaml";
    /// <summary>The seed every suggestion derives from, on the sweep's run.</summary>
    public const string Seed = "courseware.sweep.seed";
    /// <summary>running, stopped or finished on the sweep's run; running, finished, stopped, failed, killed or crashed on a trial.</summary>
    public const string State = "courseware.sweep.state";
    /// <summary>Why a finished sweep ended (run_cap, target, space exhausted).</summary>
    public const string Completion = "courseware.sweep.completion";
    /// <summary>The sweep a trial belongs to.</summary>
    public const string SweepId = "courseware.sweep.id";
    /// <summary>The trial's position in the sweep (0, 1, …).</summary>
    public const string Slot = "courseware.sweep.slot";
    /// <summary>0 for the first run of a slot, 1, 2, … for runs that took over a crashed one.</summary>
    public const string Attempt = "courseware.sweep.attempt";
    /// <summary>The trial's configuration as typed JSON (params hold the same values as text).</summary>
    public const string Config = "courseware.sweep.config";
    /// <summary>How the search chose the configuration.</summary>
    public const string Note = "courseware.sweep.note";
    /// <summary>On a trial: why the search could not use its model for it (absent when it did).</summary>
    public const string Fallback = "courseware.sweep.fallback";
    /// <summary>The agent that ran the trial.</summary>
    public const string Agent = "courseware.sweep.agent";
    /// <summary>Why a trial was stopped early (hyperband or median rule).</summary>
    public const string StopReason = "courseware.sweep.stop";
    /// <summary>Where a warm-started sweep took earlier runs from (JSON: experiment, filter); the runs are params <c>warm_start.N</c>.</summary>
    public const string WarmStart = "courseware.sweep.warm_start";

    internal const string SweepRole = "sweep";
    internal const string SlotPrefix = "slot.";

    internal static string SlotKey(int slot, int attempt) =>
        attempt == 0 ? string.Create(CultureInfo.InvariantCulture, $"slot.{slot}") : string.Create(CultureInfo.InvariantCulture, $"slot.{slot}.{attempt}");

    /// <summary>Parses <c>slot.7</c> or <c>slot.7.2</c>; false for any other param.</summary>
    internal static bool TryParseSlotKey(string key, out int slot, out int attempt)
    {
        slot = attempt = 0;
        if (!key.StartsWith(SlotPrefix, StringComparison.Ordinal)) return false;
        var parts = key[SlotPrefix.Length..].Split('.');
        return parts.Length is 1 or 2
               && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out slot)
               && (parts.Length == 1 || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out attempt));
    }

    internal static string ToWire(RunState state) => state.ToString().ToLowerInvariant();
}

/// <summary>Typed JSON for <see cref="ParameterValues"/>: integers stay <see cref="long"/>, reals stay <see cref="double"/>.</summary>
internal static class ConfigJson
{
    public static string Write(ParameterValues config)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in config)
            {
                writer.WritePropertyName(name);
                WriteValue(writer, value);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case string s: writer.WriteStringValue(s); break;
            case long or int or short or byte:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case double or float or decimal:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (!double.IsFinite(d)) { writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture)); break; }
                var text = d.ToString("R", CultureInfo.InvariantCulture);
                // "3" would read back as an integer: keep the type visible.
                writer.WriteRawValue(text.IndexOfAny(['.', 'E', 'e']) >= 0 ? text : text + ".0");
                break;
            case System.Collections.IDictionary dict:
                writer.WriteStartObject();
                foreach (System.Collections.DictionaryEntry e in dict)
                {
                    writer.WritePropertyName(Convert.ToString(e.Key, CultureInfo.InvariantCulture)!);
                    WriteValue(writer, e.Value);
                }
                writer.WriteEndObject();
                break;
            case System.Collections.IEnumerable list:
                writer.WriteStartArray();
                foreach (var item in list) WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    public static ParameterValues Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return new ParameterValues(doc.RootElement.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, ReadValue(p.Value))).ToList());
    }

    private static object? ReadValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText().IndexOfAny(['.', 'E', 'e']) >= 0 ? e.GetDouble() : (object)e.GetInt64(),
        JsonValueKind.Array => e.EnumerateArray().Select(ReadValue).ToList(),
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => ReadValue(p.Value)),
        _ => throw new FormatException($"unexpected JSON {e.ValueKind} in a sweep configuration"),
    };

    /// <summary>A parameter value as a param or command-line argument: text as is, numbers invariant, lists as JSON.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => ParameterValues.KeyOf(value),
    };
}
