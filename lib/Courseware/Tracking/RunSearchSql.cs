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

    /// <summary>A column ordering metric-history rows by insertion (the tie-break after step and timestamp).</summary>
    public abstract string InsertionOrder { get; }
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

    /// <summary>LEFT JOINs needed by <see cref="OrderBy"/> (empty when ordering by attributes only).</summary>
    public string Joins => _joins.ToString();

    /// <summary>Binds a value and returns its parameter name.</summary>
    public string Bind(object value)
    {
        var name = "@p" + _parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _parameters.Add(new(name, value));
        return name;
    }

    /// <summary>The WHERE condition for a filter over runs aliased <c>r</c> ("1=1" for no filter).</summary>
    public string Where(FilterNode? node) => node switch
    {
        null => "1=1",
        FilterAnd and => "(" + string.Join(" AND ", and.Terms.Select(Where)) + ")",
        FilterOr or => "(" + string.Join(" OR ", or.Terms.Select(Where)) + ")",
        FilterComparison c => Compare(c),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    /// <summary>The ORDER BY list: the clauses given (missing values last), then newest first, then run id.</summary>
    public string OrderBy(IEnumerable<OrderClause> clauses)
    {
        var parts = new List<string>();
        var i = 0;
        foreach (var clause in clauses)
        {
            var column = clause.Field.Kind == FieldKind.Attribute
                ? AttributeColumn(clause.Field.Key)
                : JoinForOrder(clause.Field, i++);
            var dir = clause.Ascending ? "ASC" : "DESC";
            parts.Add($"(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END) ASC, {column} {dir}");
        }
        parts.Add("r.start_time DESC");
        parts.Add("r.run_uuid ASC");
        return string.Join(", ", parts);
    }

    private string JoinForOrder(FieldRef field, int i)
    {
        var alias = "o" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _joins.Append(" LEFT JOIN ").Append(Table(field.Kind)).Append(' ').Append(alias)
              .Append(" ON ").Append(alias).Append(".run_uuid = r.run_uuid AND ").Append(alias).Append(".key = ")
              .Append(Bind(field.Key));
        return alias + ".value";
    }

    private string Compare(FilterComparison c)
    {
        if (c.Field.Kind == FieldKind.Attribute)
            return Condition(AttributeColumn(c.Field.Key), c.Op, c.Value);
        // A run lacking the key never matches (MLflow), hence a semi-join rather than an outer join with NULLs. The
        // IN form lets the planner start from the (key, value) index when the clause is selective.
        var table = Table(c.Field.Kind);
        return $"r.run_uuid IN (SELECT x.run_uuid FROM {table} x WHERE x.key = {Bind(c.Field.Key)} AND {Condition("x.value", c.Op, c.Value)})";
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
        try
        {
            using var doc = JsonDocument.Parse(Convert.FromBase64String(token));
            if (doc.RootElement.TryGetProperty("offset", out var o) && o.TryGetInt32(out var offset) && offset >= 0)
                return offset;
        }
        catch (Exception e) when (e is FormatException or JsonException) { }
        throw TrackingException.InvalidParameter("page_token", $"Invalid page token '{token}': pass the NextPageToken of a previous search unchanged.");
    }
}
