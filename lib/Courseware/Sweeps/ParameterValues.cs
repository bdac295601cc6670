using System.Collections;
using System.Globalization;
using System.Text;
using Courseware.Notebooks;

namespace Courseware.Sweeps;

/// <summary>
/// The parameter values of one run of a sweep (what W&amp;B calls the run's config). Nested parameters have dotted
/// names (<c>head.width</c>); <see cref="ToNested"/> gives the nested form. Integers are <see cref="long"/>,
/// real numbers <see cref="double"/>.
/// </summary>
/// <example><c>var lr = config.Get&lt;double&gt;("learning_rate");</c></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class ParameterValues : IReadOnlyDictionary<string, object?>, IEquatable<ParameterValues>
{
    private readonly List<KeyValuePair<string, object?>> items;
    private readonly Dictionary<string, object?> lookup;

    /// <summary>Values by (dotted) parameter name, in the order given.</summary>
    public ParameterValues(IEnumerable<KeyValuePair<string, object?>> values)
    {
        items = values.ToList();
        lookup = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in items)
            if (!lookup.TryAdd(k, v)) throw new ArgumentException($"parameter {k} appears twice", nameof(values));
        Key = string.Join(",", items.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => $"{i.Key}={KeyOf(i.Value)}"));
    }

    /// <summary>A canonical text of all names and values: two runs with the same configuration have the same key.</summary>
    public string Key { get; }

    /// <summary>The value of <paramref name="name"/> converted to <typeparamref name="T"/> (3 → 3.0 for double).</summary>
    public T Get<T>(string name)
    {
        var value = this[name];
        if (value is T t) return t;
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        try
        {
            return (T)Convert.ChangeType(value, target, CultureInfo.InvariantCulture)!;
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw new InvalidCastException($"parameter {name} is {KeyOf(value)}, which is not a {typeof(T).Name}", e);
        }
    }

    /// <summary>The values as nested dictionaries (<c>head.width</c> → <c>{"head": {"width": ...}}</c>), like wandb.config.</summary>
    public IReadOnlyDictionary<string, object?> ToNested()
    {
        var root = new Dictionary<string, object?>();
        foreach (var (name, value) in items)
        {
            var parts = name.Split('.');
            var node = root;
            foreach (var part in parts[..^1])
            {
                if (!node.TryGetValue(part, out var child) || child is not Dictionary<string, object?> dict)
                    node[part] = dict = new Dictionary<string, object?>();
                node = dict;
            }
            node[parts[^1]] = value;
        }
        return root;
    }

    /// <inheritdoc />
    public object? this[string key] => lookup.TryGetValue(key, out var v) ? v
        : throw new KeyNotFoundException($"this run has no parameter {key}; it has {string.Join(", ", lookup.Keys)}");

    /// <inheritdoc />
    public IEnumerable<string> Keys => items.Select(i => i.Key);
    /// <inheritdoc />
    public IEnumerable<object?> Values => items.Select(i => i.Value);
    /// <inheritdoc />
    public int Count => items.Count;
    /// <inheritdoc />
    public bool ContainsKey(string key) => lookup.ContainsKey(key);
    /// <inheritdoc />
    public bool TryGetValue(string key, out object? value) => lookup.TryGetValue(key, out value);
    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(ParameterValues? other) => other is not null && other.Key == Key;
    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ParameterValues p && Equals(p);
    /// <inheritdoc />
    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => "{" + string.Join(", ", items.Select(i => $"{i.Key}: {KeyOf(i.Value)}")) + "}";

    /// <summary>
    /// Canonical text of a value: numbers by value (3, 3L and 3.0 all give "3", as W&amp;B's grid hash does), strings
    /// quoted, lists and maps recursively (maps with sorted keys).
    /// </summary>
    public static string KeyOf(object? value)
    {
        var sb = new StringBuilder();
        Append(sb, value);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case string s: sb.Append('"').Append(s.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"'); break;
            case double or float or decimal or long or int or short or byte or ulong or uint:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                sb.Append(double.IsNaN(d) ? "nan" : d.ToString("R", CultureInfo.InvariantCulture));
                break;
            case IDictionary dict:
                sb.Append('{');
                var first = true;
                foreach (var key in dict.Keys.Cast<object>().Select(k => Convert.ToString(k, CultureInfo.InvariantCulture) ?? "").Order(StringComparer.Ordinal))
                {
                    if (!first) sb.Append(',');
                    first = false;
                    sb.Append(key).Append(':');
                    Append(sb, dict[key]);
                }
                sb.Append('}');
                break;
            case IEnumerable list:
                sb.Append('[');
                var firstItem = true;
                foreach (var item in list)
                {
                    if (!firstItem) sb.Append(',');
                    firstItem = false;
                    Append(sb, item);
                }
                sb.Append(']');
                break;
            default: sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }
}
