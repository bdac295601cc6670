using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Courseware.Notebooks;
using Courseware.Tracking;

namespace Courseware.Registry;

/// <summary>
/// A registry search, MLflow's <c>search_registered_models</c> / <c>search_model_versions</c>:
/// <c>name LIKE 'pen%' AND tags.team = 'birds'</c> (models: <c>name</c> and <c>tags.&lt;key&gt;</c>; versions also
/// <c>run_id</c> (= != LIKE ILIKE IN), <c>source_path</c> and the number <c>version_number</c>), clauses joined by AND.
/// Order: models by <c>name</c> or <c>last_updated_timestamp</c> (then name); versions by <c>name</c>,
/// <c>version_number</c>, <c>creation_timestamp</c>, <c>last_updated_timestamp</c> (default
/// <c>last_updated_timestamp DESC, name ASC, version_number DESC</c>). Pages hold at most <see cref="MaxResults"/>
/// (default 100 models, max 1000; 10000 versions, max 200000 — MLflow's store constants).
/// </summary>
/// <example><code>var page = await registry.SearchModelsAsync(new RegistryQuery("tags.team = 'birds'"));</code></example>
public sealed record RegistryQuery(string? Filter = null, IReadOnlyList<string>? OrderBy = null, int? MaxResults = null, string? PageToken = null);

/// <summary>
/// One page of a registry search; pass <see cref="NextPageToken"/> back for the next (null on the last page). In a
/// notebook it shows as a table of the models or versions.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class RegistryPage<T>(IReadOnlyList<T> items, string? nextPageToken) : IReadOnlyList<T>
{
    /// <summary>Token for the next page, or null when there is none.</summary>
    public string? NextPageToken { get; } = nextPageToken;

    /// <inheritdoc />
    public T this[int index] => items[index];

    /// <inheritdoc />
    public int Count => items.Count;

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => $"{Count} {(typeof(T) == typeof(RegisteredModel) ? "model" : "version")}(s)" + (NextPageToken is null ? "" : " (more pages)");
}

/// <summary>Parses and applies <see cref="RegistryQuery"/> filters and orders (in memory: registries are small).</summary>
internal static partial class RegistrySearch
{
    public const int DefaultModelResults = 100, MaxModelResults = 1000, DefaultVersionResults = 10_000, MaxVersionResults = 200_000;

    // Value: a string, a long (version_number), a list of strings (IN) or the compiled pattern (LIKE, ILIKE).
    private sealed record Clause(string Key, bool IsTag, string Op, object Value);

    private static readonly string[] StringOps = ["=", "!=", "LIKE", "ILIKE"];

    public static RegistryPage<RegisteredModel> Models(IEnumerable<RegisteredModel> all, RegistryQuery query)
    {
        var clauses = Parse(query.Filter, versions: false);
        var order = OrderBy(query.OrderBy, versions: false);
        return Page(all.Where(m => clauses.All(c => Matches(c, c.IsTag ? m.Tags.GetValueOrDefault(c.Key) : m.Name))), order,
            (m, key) => key == "name" ? m.Name : m.LastUpdatedTime, query, DefaultModelResults, MaxModelResults);
    }

    public static RegistryPage<ModelVersion> Versions(IEnumerable<ModelVersion> all, RegistryQuery query)
    {
        var clauses = Parse(query.Filter, versions: true);
        var order = OrderBy(query.OrderBy ?? ["last_updated_timestamp DESC", "name ASC", "version_number DESC"], versions: true);
        return Page(all.Where(v => clauses.All(c => Matches(c, c.IsTag ? v.Tags.GetValueOrDefault(c.Key) : c.Key switch
            {
                "name" => v.Name,
                "run_id" => v.RunId,
                "source_path" => v.Source,
                _ => v.Version,
            }))), order,
            (v, key) => key switch
            {
                "name" => v.Name,
                "version_number" => v.Version,
                "creation_timestamp" => v.CreationTime,
                _ => v.LastUpdatedTime,
            }, query, DefaultVersionResults, MaxVersionResults);
    }

    private static RegistryPage<T> Page<T>(IEnumerable<T> matching, List<(string Key, bool Ascending)> order, Func<T, string, IComparable> value,
        RegistryQuery query, int defaultMax, int max)
    {
        var maxResults = query.MaxResults ?? defaultMax;
        if (maxResults < 1 || maxResults > max)
            throw new RegistryException(RegistryError.InvalidParameter, "max_results", $"max_results must be between 1 and {max}, got {maxResults}.");
        var offset = PageToken.Decode(query.PageToken);
        IOrderedEnumerable<T>? sorted = null;
        foreach (var (key, ascending) in order)
        {
            // Names sort by code point, as SQL's binary collation does.
            IComparer<IComparable> comparer = Comparer<IComparable>.Create((a, b) => a is string x && b is string y ? string.CompareOrdinal(x, y) : a.CompareTo(b));
            sorted = sorted is null
                ? ascending ? matching.OrderBy(m => value(m, key), comparer) : matching.OrderByDescending(m => value(m, key), comparer)
                : ascending ? sorted.ThenBy(m => value(m, key), comparer) : sorted.ThenByDescending(m => value(m, key), comparer);
        }
        var list = (sorted ?? matching).Skip(offset).Take(maxResults + 1).ToList();
        // MLflow reads one more than a page: a token only when another page really follows.
        var more = list.Count > maxResults;
        return new RegistryPage<T>(list.Take(maxResults).ToList(), more ? PageToken.Encode(offset + maxResults) : null);
    }

    private static bool Matches(Clause c, object? actual) => actual switch
    {
        null => false,
        int n => c.Op switch
        {
            "=" => n == (long)c.Value, "!=" => n != (long)c.Value, "<" => n < (long)c.Value,
            "<=" => n <= (long)c.Value, ">" => n > (long)c.Value, _ => n >= (long)c.Value,
        },
        string s => c.Op switch
        {
            "=" => s == (string)c.Value,
            "!=" => s != (string)c.Value,
            "LIKE" or "ILIKE" => ((Regex)c.Value).IsMatch(s),
            _ => ((List<string>)c.Value).Contains(s),
        },
        _ => false,
    };

    // SQL LIKE: % any run of characters, _ one character, everything else literal.
    private static Regex Like(string pattern, bool ignoreCase)
    {
        var sb = new StringBuilder("^");
        foreach (var ch in pattern)
            sb.Append(ch switch { '%' => ".*", '_' => ".", _ => Regex.Escape(ch.ToString()) });
        return new Regex(sb.Append('$').ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None));
    }

    private static List<(string, bool)> OrderBy(IReadOnlyList<string>? clauses, bool versions)
    {
        var result = new List<(string Key, bool Ascending)>();
        foreach (var clause in clauses ?? [])
        {
            var parts = clause.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var key = parts.Length > 0 ? parts[0].Trim('`') : "";
            if (!versions && key is "timestamp") key = "last_updated_timestamp";
            string[] valid = versions ? ["name", "version_number", "creation_timestamp", "last_updated_timestamp"] : ["name", "last_updated_timestamp"];
            if (!valid.Contains(key) || parts.Length > 2 || (parts.Length == 2 && parts[1].ToUpperInvariant() is not ("ASC" or "DESC")))
                throw new RegistryException(RegistryError.InvalidParameter, "order_by",
                    $"Invalid order_by clause '{clause}': expected <key> [ASC|DESC] with key one of {string.Join(", ", valid)}.");
            if (result.Any(r => r.Key == key))
                throw new RegistryException(RegistryError.InvalidParameter, "order_by", $"order_by names '{key}' twice.");
            result.Add((key, parts.Length < 2 || parts[1].ToUpperInvariant() == "ASC"));
        }
        if (!result.Any(r => r.Key == "name")) result.Add(("name", true));
        if (versions && !result.Any(r => r.Key == "version_number")) result.Add(("version_number", true));
        return result;
    }

    // ---- filter: clause (AND clause)*; clause: key op value

    private static List<Clause> Parse(string? filter, bool versions)
    {
        var clauses = new List<Clause>();
        if (string.IsNullOrWhiteSpace(filter)) return clauses;
        var tokens = Tokenize(filter);
        var i = 0;
        FilterSyntaxException Error(int position, string problem) => new("filter", filter, position, problem);
        while (true)
        {
            var (kind, text, at) = tokens[i++];
            if (kind != 'w') throw Error(at, $"expected a key such as name{(versions ? ", run_id, version_number" : "")} or tags.<key>, found {Show(kind, text)}.");
            var isTag = text.StartsWith("tags.", StringComparison.OrdinalIgnoreCase) || text.StartsWith("tag.", StringComparison.OrdinalIgnoreCase);
            var key = isTag ? text[(text.IndexOf('.') + 1)..].Trim('`', '"') : text.StartsWith("attribute.", StringComparison.OrdinalIgnoreCase) ? text["attribute.".Length..] : text;
            string[] attributes = versions ? ["name", "run_id", "source_path", "version_number"] : ["name"];
            if (!isTag && !attributes.Contains(key))
                throw Error(at, $"invalid key '{text}': expected {string.Join(", ", attributes)} or tags.<key>.");
            if (key.Length == 0) throw Error(at, "expected a tag key after 'tags.'.");
            var (opKind, opText, opAt) = tokens[i++];
            var op = opText.ToUpperInvariant();
            if (op == "NOT" && tokens[i].Text.Equals("IN", StringComparison.OrdinalIgnoreCase)) { i++; op = "NOT IN"; }
            var numeric = !isTag && key == "version_number";
            var allowed = numeric ? ["=", "!=", "<", "<=", ">", ">="] : !isTag && key == "run_id" ? [.. StringOps, "IN"] : StringOps;
            if ((opKind != 'o' && opKind != 'w') || !allowed.Contains(op))
                throw Error(opAt, $"invalid comparator {Show(opKind, opText)} for {text}: expected one of {string.Join(", ", allowed)}.");
            var (valueKind, valueText, valueAt) = tokens[i++];
            object value;
            if (op == "IN")
            {
                if (valueKind != '(') throw Error(valueAt, "expected '(' to start the IN list, e.g. run_id IN ('a', 'b').");
                var list = new List<string>();
                while (true)
                {
                    var (k, t, a) = tokens[i++];
                    if (k != 's') throw Error(a, $"expected a quoted string in the IN list, found {Show(k, t)}.");
                    list.Add(t);
                    var (sep, sepText, sepAt) = tokens[i++];
                    if (sep == ')') break;
                    if (sep != ',') throw Error(sepAt, $"expected ',' or ')' in the IN list, found {Show(sep, sepText)}.");
                }
                value = list;
            }
            else if (numeric)
            {
                if (valueKind != 'n' || !long.TryParse(valueText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                    throw Error(valueAt, $"expected a whole number for version_number, found {Show(valueKind, valueText)}.");
                value = number;
            }
            else
            {
                if (valueKind != 's') throw Error(valueAt, $"expected a quoted string for {text} (e.g. {text} = 'value'), found {Show(valueKind, valueText)}.");
                value = op is "LIKE" or "ILIKE" ? Like(valueText, ignoreCase: op == "ILIKE") : valueText;
            }
            clauses.Add(new Clause(key, isTag, op, value));
            var (next, nextText, nextAt) = tokens[i++];
            if (next == 'e') return clauses;
            if (next != 'w' || !nextText.Equals("AND", StringComparison.OrdinalIgnoreCase))
                throw Error(nextAt, $"expected AND or the end of the filter, found {Show(next, nextText)}{(nextText.Equals("OR", StringComparison.OrdinalIgnoreCase) ? " (MLflow's registry search has no OR)" : "")}.");
        }
    }

    private static string Show(char kind, string text) => kind switch { 'e' => "the end of the input", 's' => $"the string '{text}'", _ => $"'{text}'" };

    // Tokens: w = word or key (tags.`a b`), s = quoted string, n = number, o = operator, ( ) , and e = end.
    private static List<(char Kind, string Text, int At)> Tokenize(string s)
    {
        var tokens = new List<(char, string, int)>();
        var i = 0;
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            if (i >= s.Length) { tokens.Add(('e', "", s.Length)); tokens.Add(('e', "", s.Length)); return tokens; }
            var start = i;
            var c = s[i];
            if (c is '(' or ')' or ',') { tokens.Add((c, c.ToString(), i++)); continue; }
            if (c is '=' or '!' or '<' or '>')
            {
                var op = i + 1 < s.Length && s[i + 1] == '=' ? s.Substring(i, 2) : c.ToString();
                if (op is "!" or "==") throw new FilterSyntaxException("filter", s, i, op == "!" ? "expected '!=' (a lone '!' is not an operator)." : "use '=' for equality.");
                i += op.Length;
                tokens.Add(('o', op, start));
                continue;
            }
            if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= s.Length) throw new FilterSyntaxException("filter", s, start, $"the {c} quote opened here is never closed.");
                    if (s[i] == c)
                    {
                        if (i + 1 < s.Length && s[i + 1] == c) { sb.Append(c); i += 2; continue; }
                        i++;
                        break;
                    }
                    sb.Append(s[i++]);
                }
                tokens.Add(('s', sb.ToString(), start));
                continue;
            }
            if (char.IsDigit(c) || (c == '-' && i + 1 < s.Length && char.IsDigit(s[i + 1])))
            {
                i++;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '.')) i++;
                tokens.Add(('n', s[start..i], start));
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or '.' or '-' or '/' or ':'))
                {
                    if (s[i] == '.' && i + 1 < s.Length && s[i + 1] is '`' or '"')
                    {
                        var quote = s[i + 1];
                        var close = s.IndexOf(quote, i + 2);
                        if (close < 0) throw new FilterSyntaxException("filter", s, i + 1, $"the {quote} quote opened here is never closed.");
                        i = close + 1;
                        break;
                    }
                    i++;
                }
                tokens.Add(('w', s[start..i], start));
                continue;
            }
            throw new FilterSyntaxException("filter", s, i, $"unexpected character '{c}'.");
        }
    }
}
