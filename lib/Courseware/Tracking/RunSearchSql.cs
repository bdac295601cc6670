using System.Text;
using System.Text.Json;

namespace Courseware.Tracking;

/// <summary>
/// The few places where SQL stores differ when searching runs. Every SQL store shares the same table layout
/// (runs, latest_metrics, params, tags) and <see cref="RunSearchSql"/>; only these hooks change.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>Case-sensitive SQL LIKE of <paramref name="column"/> against the parameter holding <see cref="LikeArgument"/>.</summary>
    public abstract string Like(string column, string parameter);

    /// <summary>Case-insensitive LIKE of <paramref name="column"/> against the parameter holding <see cref="ILikeArgument"/>.</summary>
    public abstract string ILike(string column, string parameter);

    /// <summary>The value bound for a LIKE pattern.</summary>
    public virtual string LikeArgument(string pattern) => pattern;

    /// <summary>The value bound for an ILIKE pattern.</summary>
    public virtual string ILikeArgument(string pattern) => pattern;

    /// <summary>"<paramref name="column"/> is one of the ids bound to <paramref name="parameter"/>" (see <see cref="IdsArgument"/>).</summary>
    public abstract string InIds(string column, string parameter);

    /// <summary>The value bound for a list of run ids (a JSON array, a SQL array...).</summary>
    public abstract object IdsArgument(IReadOnlyList<string> ids);

    /// <summary>The SQL value of <c>runs.run_key</c> for a new run (a sequence default, or the next free number).</summary>
    public abstract string NewRunKey { get; }

    /// <summary>Statements adding <c>runs.run_key</c> to a schema-1 table and numbering the existing runs.</summary>
    public abstract string AddRunKey { get; }

    /// <summary>The definition of an integer primary key the database assigns (<c>experiments.experiment_id</c>, <c>metric_keys.key_id</c>).</summary>
    public abstract string KeyIdColumn { get; }

    /// <summary>The 64-bit integer column type.</summary>
    public abstract string Integer { get; }

    /// <summary>The double-precision column type.</summary>
    public abstract string Real { get; }

    /// <summary>What follows a table definition to store rows in primary-key order ("" where that is not an option).</summary>
    public virtual string ClusteredTable => "";

    /// <summary>A schema-1 history column that orders rows by insertion.</summary>
    public abstract string InsertionOrder { get; }

    /// <summary>The definition of <see cref="InsertionOrder"/> opening the schema-1 history table ("" where the database keeps one itself).</summary>
    public virtual string InsertionOrderColumn => "";

    /// <summary>
    /// The first (in history order) lowest non-NaN point of a history range (<paramref name="range"/>: "FROM metrics
    /// WHERE ..."), as step, timestamp, seq, value; no row or a row of NULLs when there is none.
    /// </summary>
    public virtual string LowestPoint(string range) => $"SELECT step, timestamp, seq, value {range} AND value IS NOT NULL ORDER BY value ASC, step, timestamp, seq LIMIT 1";

    /// <summary>The first highest non-NaN point of a history range (see <see cref="LowestPoint"/>).</summary>
    public virtual string HighestPoint(string range) => $"SELECT step, timestamp, seq, value {range} AND value IS NOT NULL ORDER BY value DESC, step, timestamp, seq LIMIT 1";

    /// <summary>
    /// Whether the database's planner knows from statistics how many runs a filter term matches (PostgreSQL, after
    /// ANALYZE): then a search leaves the choice of where to start to it. SQLite keeps none here, so the store counts.
    /// </summary>
    public virtual bool PlansFromStatistics => false;

    /// <summary>A hint naming the index a metric-ordered search walks (none where the planner needs none).</summary>
    public virtual string MetricOrderIndex(bool ascending) => "";
}

/// <summary>
/// Compiles a parsed filter and order-by into SQL over the shared schema. User values only ever travel as
/// parameters (<c>@p0</c>, <c>@p1</c>...); the SQL text is built from fixed fragments and column names.
/// </summary>
internal sealed class RunSearchSql
{
    private readonly SqlDialect _dialect;
    private readonly List<KeyValuePair<string, object>> _parameters = [];
    private readonly StringBuilder _joins = new();

    public RunSearchSql(SqlDialect dialect) => _dialect = dialect;

    /// <summary>Parameters referenced by the SQL produced so far.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Parameters => _parameters;

    /// <summary><see cref="Parameters"/> as a command's arguments.</summary>
    public (string Name, object? Value)[] Arguments => _parameters.Select(p => (p.Key, (object?)p.Value)).ToArray();

    /// <summary>LEFT JOINs needed by <see cref="OrderBy"/> (empty when ordering by attributes only).</summary>
    public string Joins => _joins.ToString();

    /// <summary>Binds a value and returns its parameter name.</summary>
    public string Bind(object value)
    {
        var name = "@p" + _parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _parameters.Add(new(name, value));
        return name;
    }

    /// <summary>
    /// The WHERE condition for a filter over runs aliased <c>r</c> ("1=1" for no filter). A term on params, tags or
    /// metrics is a list of the runs it matches (<c>r.run_uuid IN (...)</c>), which a planner with statistics
    /// (<see cref="SqlDialect.PlansFromStatistics"/>) turns into the semi-join it prefers. Without statistics (SQLite) a
    /// term is a probe of each run the search reaches instead — the run's one value for the key, read by primary key
    /// — so a walk that stops after a page never lists every match first; except <paramref name="driver"/>, the list
    /// the search starts from, and every term when <paramref name="listAll"/> (a count visits every run anyway, and
    /// one list per term costs less than a probe per run). The probe is a scalar subquery, not <c>EXISTS</c>: SQLite
    /// 3.53 turns an <c>EXISTS</c> into a join that scans the term's (key, value) index range for every run.
    /// </summary>
    public string Where(FilterNode? node, FilterComparison? driver = null, bool listAll = false) => node switch
    {
        null => "1=1",
        FilterAnd and => "(" + string.Join(" AND ", and.Terms.Select(t => Where(t, driver, listAll))) + ")",
        FilterOr or => "(" + string.Join(" OR ", or.Terms.Select(t => Where(t, driver, listAll))) + ")",
        FilterComparison c when c.Field.Kind == FieldKind.Attribute => Condition(AttributeColumn(c.Field.Key), c.Op, c.Value),
        // A run lacking the key never matches (MLflow): the list holds only runs with it, and a probe of a missing key
        // is NULL, which no comparison (not even != or NOT IN) holds for.
        FilterComparison c when listAll || _dialect.PlansFromStatistics || ReferenceEquals(c, driver) => $"r.run_uuid IN (SELECT x.run_uuid {Matching(c)})",
        FilterComparison c => Condition($"(SELECT x.value FROM {Table(c.Field.Kind)} x WHERE x.run_uuid = r.run_uuid AND x.key = {Bind(c.Field.Key)})", c.Op, c.Value),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    /// <summary>"FROM table x WHERE ..." over the rows (aliased <c>x</c>) of the params, tags or metrics that match <paramref name="c"/>.</summary>
    public string Matching(FilterComparison c) =>
        $"FROM {Table(c.Field.Kind)} x WHERE x.key = {Bind(c.Field.Key)} AND {Condition("x.value", c.Op, c.Value)}";

    /// <summary>
    /// The sort keys of the last <see cref="OrderBy"/>: the clauses given, then start time (newest first), then run id.
    /// A page token stores the last row's values of these keys (<see cref="SearchCursor"/>).
    /// </summary>
    public IReadOnlyList<OrderKey> Keys { get; private set; } = [];

    /// <summary>The ORDER BY list: the clauses given (missing values last), then newest first, then run id.</summary>
    public string OrderBy(IEnumerable<OrderClause> clauses)
    {
        var keys = new List<OrderKey>();
        var i = 0;
        foreach (var clause in clauses)
        {
            var column = clause.Field.Kind == FieldKind.Attribute
                ? AttributeColumn(clause.Field.Key)
                : JoinForOrder(clause.Field, i++);
            var type = clause.Field.Kind == FieldKind.Metric ? KeyType.Real
                : clause.Field.Kind == FieldKind.Attribute && clause.Field.Key is "start_time" or "end_time" ? KeyType.Integer
                : KeyType.Text;
            var nullable = clause.Field.Kind != FieldKind.Attribute || clause.Field.Key == "end_time";
            keys.Add(new OrderKey(column, clause.Ascending, nullable, type));
        }
        // The tie-break keys, unless a clause already sorts by that column (a repeated key changes nothing but
        // keeps SQLite from walking the index that matches the order).
        keys.AddRange(DefaultKeys("r").Where(d => keys.All(k => k.Column != d.Column)));
        Keys = keys;
        return OrderList(keys);
    }

    /// <summary>The tie-break every search ends with: start time, newest first, then run id.</summary>
    public static OrderKey[] DefaultKeys(string alias) =>
        [new($"{alias}.start_time", false, false, KeyType.Integer), new($"{alias}.run_uuid", true, false, KeyType.Text)];

    /// <summary>An ORDER BY list over <paramref name="keys"/>; a nullable key sorts its NULLs (missing, NaN) last.</summary>
    public static string OrderList(IEnumerable<OrderKey> keys) => string.Join(", ", keys.Select(k =>
        (k.Nullable ? $"(CASE WHEN {k.Column} IS NULL THEN 1 ELSE 0 END) ASC, " : "") + $"{k.Column} {(k.Ascending ? "ASC" : "DESC")}"));

    /// <summary>
    /// "The row comes after <paramref name="last"/> in the order of <paramref name="keys"/>" (keyset paging): the
    /// first key strictly after, or equal and the rest after, and so on; the last key (the run id) makes it strict.
    /// A non-null first key also gets a plain range bound, so an index on it is entered at the right place.
    /// </summary>
    public string After(IReadOnlyList<OrderKey> keys, IReadOnlyList<object?> last)
    {
        string? condition = null;
        for (var i = keys.Count - 1; i >= 0; i--)
        {
            var (k, v) = (keys[i], last[i]);
            var strictly = v is null ? "1=0"
                : (k.Nullable ? $"{k.Column} IS NULL OR " : "") + $"{k.Column} {(k.Ascending ? ">" : "<")} {Bind(v)}";
            condition = condition is null
                ? $"({strictly})"
                : $"({strictly} OR ({(v is null ? $"{k.Column} IS NULL" : $"{k.Column} = {Bind(v)}")} AND {condition}))";
        }
        if (keys.Count > 0 && last[0] is { } first && !keys[0].Nullable)
            condition = $"{keys[0].Column} {(keys[0].Ascending ? ">=" : "<=")} {Bind(first)} AND {condition}";
        return condition ?? "1=1";
    }

    private string JoinForOrder(FieldRef field, int i)
    {
        var alias = "o" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _joins.Append(" LEFT JOIN ").Append(Table(field.Kind)).Append(' ').Append(alias)
              .Append(" ON ").Append(alias).Append(".run_uuid = r.run_uuid AND ").Append(alias).Append(".key = ")
              .Append(Bind(field.Key));
        return alias + ".value";
    }

    private string Condition(string column, string op, object value) => op switch
    {
        "=" or "<" or "<=" or ">" or ">=" => $"{column} {op} {Bind(value)}",
        "!=" => $"{column} <> {Bind(value)}",
        "LIKE" => _dialect.Like(column, Bind(_dialect.LikeArgument((string)value))),
        "ILIKE" => _dialect.ILike(column, Bind(_dialect.ILikeArgument((string)value))),
        "IN" => $"{column} IN ({string.Join(", ", ((IReadOnlyList<string>)value).Select(v => Bind(v)))})",
        "NOT IN" => $"{column} NOT IN ({string.Join(", ", ((IReadOnlyList<string>)value).Select(v => Bind(v)))})",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown comparator."),
    };

    private static string Table(FieldKind kind) => kind switch
    {
        FieldKind.Metric => "latest_metrics",
        FieldKind.Param => "params",
        FieldKind.Tag => "tags",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static string AttributeColumn(string key) => key switch
    {
        "run_id" => "r.run_uuid",
        "run_name" => "r.name",
        "status" => "r.status",
        "user_id" => "r.user_id",
        "artifact_uri" => "r.artifact_uri",
        "start_time" => "r.start_time",
        "end_time" => "r.end_time",
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "Unknown attribute."),
    };
}

/// <summary>MLflow's page tokens: base64 of <c>{"offset": N}</c>. Opaque to callers; only stores read them.</summary>
internal static class PageToken
{
    public static string Encode(int offset) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, int> { ["offset"] = offset }));

    public static int Decode(string? token)
    {
        if (string.IsNullOrEmpty(token)) return 0;
        using var doc = Parse(token);
        if (doc?.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("offset", out var o) && o.TryGetInt32(out var offset) && offset >= 0)
            return offset;
        throw Invalid(token);
    }

    internal static JsonDocument? Parse(string token)
    {
        try
        {
            return JsonDocument.Parse(Convert.FromBase64String(token));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    internal static TrackingException Invalid(string token, string? why = null) =>
        TrackingException.InvalidParameter("page_token", $"Invalid page token '{token}': {why ?? "pass the NextPageToken of a previous search unchanged."}");
}

/// <summary>The type of a sort key's values (how a page token's values are read back).</summary>
internal enum KeyType { Real, Integer, Text }

/// <summary>One sort key of a run search: a SQL column, its direction, whether it can be NULL (sorted last).</summary>
internal sealed record OrderKey(string Column, bool Ascending, bool Nullable, KeyType Type);

/// <summary>
/// Where a run search stopped: base64 of <c>{"order": "...", "after": [v1, ..., start_time, run_id]}</c>, the sort-key
/// values of the last run returned (keyset paging). The next page starts strictly after that run, so it costs one index
/// seek rather than re-reading and skipping every earlier row, and runs inserted or deleted meanwhile never shift a
/// page (no run is returned twice or skipped because of them). The token remembers the order it was made for; using it
/// with another order is an error. MLflow's offset tokens (<c>{"offset": N}</c>) are still read.
/// </summary>
internal sealed class SearchCursor
{
    private SearchCursor(int? offset, IReadOnlyList<object?>? after)
    {
        Offset = offset;
        After = after;
    }

    /// <summary>An MLflow offset token's offset (older tokens, still honoured), or null.</summary>
    public int? Offset { get; }

    /// <summary>The last row's sort-key values, or null for the first page or an offset token.</summary>
    public IReadOnlyList<object?>? After { get; }

    /// <summary>A stable text naming an order (the token is only valid for the same order).</summary>
    public static string Signature(IEnumerable<OrderClause> order) =>
        string.Join(",", order.Select(o => $"{o.Field.Kind}:{o.Field.Key}:{(o.Ascending ? "asc" : "desc")}"));

    public static string Encode(string signature, IReadOnlyList<object?> after) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["order"] = signature,
            ["after"] = after,
        }));

    public static SearchCursor Decode(string? token, string signature, IReadOnlyList<OrderKey> keys)
    {
        if (string.IsNullOrEmpty(token)) return new SearchCursor(null, null);
        using var doc = PageToken.Parse(token);
        if (doc?.RootElement is not { ValueKind: JsonValueKind.Object } root) throw PageToken.Invalid(token);
        if (root.TryGetProperty("offset", out _)) return new SearchCursor(PageToken.Decode(token), null);
        if (!root.TryGetProperty("order", out var order) || !root.TryGetProperty("after", out var after)
            || after.ValueKind != JsonValueKind.Array || after.GetArrayLength() != keys.Count)
            throw PageToken.Invalid(token);
        if (order.ValueKind != JsonValueKind.String || order.GetString() != signature)
            throw PageToken.Invalid(token, "it was issued for a search with another order_by; start again without a page token.");
        var values = new object?[keys.Count];
        var i = 0;
        foreach (var v in after.EnumerateArray())
        {
            var key = keys[i];
            values[i++] = v.ValueKind switch
            {
                JsonValueKind.Null when key.Nullable => null,
                JsonValueKind.Number when key.Type == KeyType.Real && v.TryGetDouble(out var d) => d,
                JsonValueKind.Number when key.Type == KeyType.Integer && v.TryGetInt64(out var l) => l,
                JsonValueKind.String when key.Type == KeyType.Text => v.GetString(),
                _ => throw PageToken.Invalid(token),
            };
        }
        return new SearchCursor(null, values);
    }
}
