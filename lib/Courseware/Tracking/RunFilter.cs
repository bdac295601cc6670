using System.Globalization;
using System.Text;

namespace Courseware.Tracking;

/// <summary>What a search clause is about.</summary>
internal enum FieldKind { Metric, Param, Tag, Attribute }

/// <summary>A field of a run named in a filter or order-by: <c>metrics.acc</c>, <c>params.lr</c>, <c>attributes.status</c>.</summary>
internal sealed record FieldRef(FieldKind Kind, string Key)
{
    /// <summary>Attributes compared as numbers (milliseconds); every other attribute is a string.</summary>
    public bool IsNumeric => Kind == FieldKind.Metric || (Kind == FieldKind.Attribute && Key is "start_time" or "end_time" or "creation_time" or "last_update_time" or "experiment_id");

    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}s.{Key}";
}

internal abstract record FilterNode;

internal sealed record FilterAnd(IReadOnlyList<FilterNode> Terms) : FilterNode;

internal sealed record FilterOr(IReadOnlyList<FilterNode> Terms) : FilterNode;

/// <summary>One comparison. <see cref="Value"/> is a double (metrics), a long (time attributes), a string, or a list of strings (IN).</summary>
internal sealed record FilterComparison(FieldRef Field, string Op, object Value) : FilterNode;

internal sealed record OrderClause(FieldRef Field, bool Ascending);

/// <summary>
/// Parser for MLflow's search-runs filter and order-by strings, extended with OR and parentheses (AND binds tighter).
/// <code>metrics.acc &gt; 0.9 and (params.optimizer = 'adam' or tags.team LIKE 'nlp%')</code>
/// Fields are <c>metrics.</c>, <c>params.</c>, <c>tags.</c> or <c>attributes.</c> (singular forms and <c>attr.</c>/<c>run.</c> too)
/// followed by a key, quoted with backticks or double quotes when it holds spaces or operators. Values: numbers for
/// metrics and start_time/end_time; strings in single or double quotes (a doubled quote is a literal quote) otherwise.
/// Metrics take = != &lt; &lt;= &gt; &gt;=; params, tags and string attributes take = != LIKE ILIKE IN NOT IN.
/// Experiment search uses the same grammar over MLflow's experiment fields: <c>name</c> (or <c>attributes.name</c>),
/// <c>creation_time</c>, <c>last_update_time</c> and <c>tags.&lt;key&gt;</c>; order-by also takes <c>experiment_id</c>.
/// </summary>
internal sealed class RunFilterParser
{
    private static readonly string[] StringAttributes = ["run_id", "run_name", "status", "user_id", "artifact_uri"];
    private static readonly string[] NumericAttributes = ["start_time", "end_time"];
    private static readonly string[] ExperimentFilterAttributes = ["name", "creation_time", "last_update_time"];
    private static readonly string[] ExperimentOrderAttributes = ["name", "experiment_id", "creation_time", "last_update_time"];
    private static readonly string[] NumericOps = ["=", "!=", "<", "<=", ">", ">="];
    private static readonly string[] StringOps = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"];

    private readonly string _field;
    private readonly string _text;
    private readonly List<Token> _tokens;
    // Null for runs; for experiments, the attributes a bare or attributes.-prefixed name may be.
    private readonly string[]? _experimentAttributes;
    private int _index;

    private RunFilterParser(string field, string text, string[]? experimentAttributes = null)
    {
        _field = field;
        _text = text;
        _experimentAttributes = experimentAttributes;
        _tokens = Tokenize();
    }

    /// <summary>Parses a filter; null or blank means "every run" and returns null.</summary>
    public static FilterNode? ParseFilter(string? filter) => ParseFilter(filter, null);

    /// <summary>Parses an experiment filter (name, creation_time, last_update_time, tags); null or blank returns null.</summary>
    public static FilterNode? ParseExperimentFilter(string? filter) => ParseFilter(filter, ExperimentFilterAttributes);

    private static FilterNode? ParseFilter(string? filter, string[]? experimentAttributes)
    {
        if (string.IsNullOrWhiteSpace(filter)) return null;
        var p = new RunFilterParser("filter", filter, experimentAttributes);
        var node = p.ParseOr();
        p.Expect(TokenKind.End, "expected AND, OR or the end of the filter");
        return node;
    }

    /// <summary>Parses one order-by clause, e.g. <c>metrics.acc DESC</c>.</summary>
    public static OrderClause ParseOrderBy(string clause) => ParseOrderBy(clause, null);

    /// <summary>Parses one experiment order-by clause, e.g. <c>creation_time DESC</c>.</summary>
    public static OrderClause ParseExperimentOrderBy(string clause) => ParseOrderBy(clause, ExperimentOrderAttributes);

    private static OrderClause ParseOrderBy(string clause, string[]? experimentAttributes)
    {
        var p = new RunFilterParser("order_by", clause, experimentAttributes);
        var field = p.ParseField();
        var ascending = true;
        if (p.Peek.Kind == TokenKind.Word && p.Peek.Text is "ASC" or "DESC")
            ascending = p.Next().Text == "ASC";
        p.Expect(TokenKind.End, "expected ASC, DESC or the end of the order_by clause");
        return new OrderClause(field, ascending);
    }

    private FilterNode ParseOr()
    {
        var terms = new List<FilterNode> { ParseAnd() };
        while (IsWord("OR")) { Next(); terms.Add(ParseAnd()); }
        return terms.Count == 1 ? terms[0] : new FilterOr(terms);
    }

    private FilterNode ParseAnd()
    {
        var terms = new List<FilterNode> { ParsePrimary() };
        while (IsWord("AND")) { Next(); terms.Add(ParsePrimary()); }
        return terms.Count == 1 ? terms[0] : new FilterAnd(terms);
    }

    private FilterNode ParsePrimary()
    {
        if (Peek.Kind == TokenKind.LParen)
        {
            Next();
            var inner = ParseOr();
            Expect(TokenKind.RParen, "expected ')' to close the '(' group");
            return inner;
        }
        var field = ParseField();
        var opToken = Peek;
        var op = ParseComparator();
        var allowed = field.IsNumeric ? NumericOps : StringOps;
        if (!allowed.Contains(op))
            throw Error(opToken.Position,
                $"'{op}' cannot be used with {Describe(field)}; expected one of {string.Join(", ", allowed)}.");
        var valueToken = Peek;
        object value;
        if (op is "IN" or "NOT IN")
            value = ParseStringList();
        else if (field.IsNumeric)
        {
            if (valueToken.Kind != TokenKind.Number)
                throw Error(valueToken.Position, $"expected a number for {field}, found {valueToken.Display}.");
            Next();
            if (field.Kind == FieldKind.Metric)
                value = double.Parse(valueToken.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
            else if (long.TryParse(valueToken.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
                value = ms;
            else
                throw Error(valueToken.Position, $"expected a whole number of milliseconds for {field}, found {valueToken.Display}.");
        }
        else
        {
            if (valueToken.Kind != TokenKind.String)
                throw Error(valueToken.Position,
                    $"expected a quoted string value for {field} (e.g. {field} = 'value'), found {valueToken.Display}.");
            Next();
            value = valueToken.Text;
        }
        return new FilterComparison(field, op, value);
    }

    private List<string> ParseStringList()
    {
        Expect(TokenKind.LParen, "expected '(' to start the list of IN values, e.g. ('a', 'b')");
        var values = new List<string>();
        while (true)
        {
            var t = Peek;
            if (t.Kind != TokenKind.String) throw Error(t.Position, $"expected a quoted string in the IN list, found {t.Display}.");
            Next();
            values.Add(t.Text);
            if (Peek.Kind == TokenKind.Comma) { Next(); continue; }
            Expect(TokenKind.RParen, "expected ',' or ')' in the IN list");
            return values;
        }
    }

    private string ParseComparator()
    {
        var t = Peek;
        if (t.Kind == TokenKind.Op) { Next(); return t.Text; }
        if (t.Kind == TokenKind.Word && t.Text is "LIKE" or "ILIKE" or "IN") { Next(); return t.Text; }
        if (t.Kind == TokenKind.Word && t.Text == "NOT")
        {
            Next();
            if (!IsWord("IN")) throw Error(Peek.Position, $"expected IN after NOT, found {Peek.Display}.");
            Next();
            return "NOT IN";
        }
        throw Error(t.Position, $"expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN), found {t.Display}.");
    }

    private FieldRef ParseField()
    {
        var t = Peek;
        // Experiment attributes may be named bare, as MLflow allows: name = 'x'.
        if (_experimentAttributes is not null && t.Kind == TokenKind.Word && _experimentAttributes.Contains(t.Text.ToLowerInvariant()))
        {
            Next();
            return new FieldRef(FieldKind.Attribute, t.Text.ToLowerInvariant());
        }
        if (t.Kind != TokenKind.Field)
            throw Error(t.Position, _experimentAttributes is null
                ? $"expected a field such as metrics.acc, params.lr, tags.team or attributes.status, found {t.Display}."
                : $"expected {string.Join(", ", _experimentAttributes)} or tags.<key>, found {t.Display}.");
        Next();
        var dot = t.Text.IndexOf('.');
        var prefix = t.Text[..dot].ToLowerInvariant();
        var key = t.Text[(dot + 1)..];
        if (key.Length == 0) throw Error(t.Position + dot + 1, "expected a key after the '.'.");
        var kind = prefix switch
        {
            "metric" or "metrics" => FieldKind.Metric,
            "param" or "params" or "parameter" or "parameters" => FieldKind.Param,
            "tag" or "tags" => FieldKind.Tag,
            "attribute" or "attributes" or "attr" or "run" => FieldKind.Attribute,
            _ => throw Error(t.Position, $"unknown field type '{t.Text[..dot]}'; expected metrics, params, tags or attributes."),
        };
        if (_experimentAttributes is not null)
        {
            if (kind is FieldKind.Metric or FieldKind.Param)
                throw Error(t.Position, $"experiments have no {prefix.TrimEnd('s')}s; expected {string.Join(", ", _experimentAttributes)} or tags.<key>.");
            if (kind == FieldKind.Tag && _field == "order_by")
                throw Error(t.Position, $"experiments cannot be ordered by a tag; expected one of {string.Join(", ", _experimentAttributes)}.");
            if (kind == FieldKind.Attribute && !_experimentAttributes.Contains(key.ToLowerInvariant()))
                throw Error(t.Position + dot + 1, $"unknown experiment attribute '{key}'; expected one of {string.Join(", ", _experimentAttributes)}.");
            return new FieldRef(kind, kind == FieldKind.Attribute ? key.ToLowerInvariant() : key);
        }
        if (kind == FieldKind.Attribute)
        {
            key = key.ToLowerInvariant();
            if (!StringAttributes.Contains(key) && !NumericAttributes.Contains(key))
                throw Error(t.Position + dot + 1,
                    $"unknown attribute '{t.Text[(dot + 1)..]}'; expected one of {string.Join(", ", StringAttributes.Concat(NumericAttributes))}.");
        }
        return new FieldRef(kind, key);
    }

    private static string Describe(FieldRef f) => f.Kind switch
    {
        FieldKind.Metric => "a metric",
        FieldKind.Attribute when f.IsNumeric => $"the numeric attribute {f.Key}",
        FieldKind.Attribute => $"the string attribute {f.Key}",
        _ => $"a {f.Kind.ToString().ToLowerInvariant()} (strings)",
    };

    // ---- tokens ----

    private enum TokenKind { Field, Word, String, Number, Op, LParen, RParen, Comma, End }

    private readonly record struct Token(TokenKind Kind, string Text, int Position)
    {
        public string Display => Kind switch
        {
            TokenKind.End => "the end of the input",
            TokenKind.String => $"the string '{Text}'",
            _ => $"'{Text}'",
        };
    }

    private Token Peek => _tokens[_index];

    private Token Next() => _tokens[_index < _tokens.Count - 1 ? _index++ : _index];

    private bool IsWord(string word) => Peek.Kind == TokenKind.Word && Peek.Text == word;

    private void Expect(TokenKind kind, string problem)
    {
        if (Peek.Kind != kind) throw Error(Peek.Position, $"{problem}, found {Peek.Display}.");
        Next();
    }

    private FilterSyntaxException Error(int position, string problem) => new(_field, _text, position, problem);

    private List<Token> Tokenize()
    {
        var tokens = new List<Token>();
        var s = _text;
        var i = 0;
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            if (i >= s.Length) { tokens.Add(new Token(TokenKind.End, "", s.Length)); return tokens; }
            var start = i;
            var c = s[i];
            if (c == '(') { tokens.Add(new Token(TokenKind.LParen, "(", i++)); continue; }
            if (c == ')') { tokens.Add(new Token(TokenKind.RParen, ")", i++)); continue; }
            if (c == ',') { tokens.Add(new Token(TokenKind.Comma, ",", i++)); continue; }
            if (c is '=' or '<' or '>' or '!')
            {
                var two = i + 1 < s.Length && s[i + 1] == '=';
                if (c == '!' && !two) throw Error(i, "expected '!=' (a lone '!' is not an operator).");
                if (c == '=' && two) throw Error(i, "use '=' for equality ('==' is not accepted).");
                var op = two ? s.Substring(i, 2) : c.ToString();
                i += op.Length;
                tokens.Add(new Token(TokenKind.Op, op, start));
                continue;
            }
            if (c is '\'' or '"') { tokens.Add(new Token(TokenKind.String, ReadQuoted(ref i, c), start)); continue; }
            if (char.IsDigit(c) || ((c is '-' or '+' or '.') && i + 1 < s.Length && (char.IsDigit(s[i + 1]) || s[i + 1] == '.')))
            {
                i++;
                while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.' || s[i] is 'e' or 'E'
                                        || ((s[i] is '-' or '+') && s[i - 1] is 'e' or 'E'))) i++;
                var text = s[start..i];
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw Error(start, $"'{text}' is not a number.");
                tokens.Add(new Token(TokenKind.Number, text, start));
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_')) i++;
                var word = s[start..i];
                if (i < s.Length && s[i] == '.')
                {
                    i++;
                    string key;
                    if (i < s.Length && s[i] is '`' or '"') key = ReadQuoted(ref i, s[i]);
                    else
                    {
                        var keyStart = i;
                        while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or '/' or '-' or '.' or ':')) i++;
                        key = s[keyStart..i];
                    }
                    tokens.Add(new Token(TokenKind.Field, word + "." + key, start));
                }
                else tokens.Add(new Token(TokenKind.Word, word.ToUpperInvariant(), start));
                continue;
            }
            throw Error(i, $"unexpected character '{c}'.");
        }
    }

    private string ReadQuoted(ref int i, char quote)
    {
        var start = i++;
        var sb = new StringBuilder();
        while (i < _text.Length)
        {
            if (_text[i] == quote)
            {
                if (i + 1 < _text.Length && _text[i + 1] == quote) { sb.Append(quote); i += 2; continue; }
                i++;
                return sb.ToString();
            }
            sb.Append(_text[i++]);
        }
        throw Error(start, $"the {quote} quote opened here is never closed.");
    }
}
