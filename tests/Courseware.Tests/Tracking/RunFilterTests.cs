using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

public class RunFilterTests
{
    [Fact]
    public void Parses_mlflow_example_with_and()
    {
        var node = RunFilterParser.ParseFilter("metrics.acc > 0.9 and params.optimizer = 'adam' and tags.team LIKE 'nlp%' and attributes.status = 'FINISHED'");
        var and = Assert.IsType<FilterAnd>(node);
        Assert.Equal(4, and.Terms.Count);
        Assert.Equal(new FilterComparison(new FieldRef(FieldKind.Metric, "acc"), ">", 0.9), and.Terms[0]);
        Assert.Equal(new FilterComparison(new FieldRef(FieldKind.Param, "optimizer"), "=", "adam"), and.Terms[1]);
        Assert.Equal(new FilterComparison(new FieldRef(FieldKind.Tag, "team"), "LIKE", "nlp%"), and.Terms[2]);
        Assert.Equal(new FilterComparison(new FieldRef(FieldKind.Attribute, "status"), "=", "FINISHED"), and.Terms[3]);
    }

    [Fact]
    public void And_binds_tighter_than_or_and_parentheses_group()
    {
        var node = RunFilterParser.ParseFilter("metrics.a < 1 OR metrics.b >= 2 AND params.c != 'x'");
        var or = Assert.IsType<FilterOr>(node);
        Assert.IsType<FilterComparison>(or.Terms[0]);
        Assert.IsType<FilterAnd>(or.Terms[1]);

        var grouped = RunFilterParser.ParseFilter("(metrics.a < 1 or metrics.b >= 2) and params.c != 'x'");
        var and = Assert.IsType<FilterAnd>(grouped);
        Assert.IsType<FilterOr>(and.Terms[0]);
    }

    [Fact]
    public void Quoting_rules_for_keys_and_values()
    {
        var t = (FilterAnd)RunFilterParser.ParseFilter(
            "metrics.`val acc` <= -1.5e-3 and params.\"my-param\" = \"it\"\"s\" and tags.note = 'it''s' and metric.val/acc = 2")!;
        Assert.Equal(new FilterComparison(new FieldRef(FieldKind.Metric, "val acc"), "<=", -1.5e-3), t.Terms[0]);
        Assert.Equal(new FilterComparison(new FieldRef(FieldKind.Param, "my-param"), "=", "it\"s"), t.Terms[1]);
        Assert.Equal(new FilterComparison(new FieldRef(FieldKind.Tag, "note"), "=", "it's"), t.Terms[2]);
        Assert.Equal(new FilterComparison(new FieldRef(FieldKind.Metric, "val/acc"), "=", 2.0), t.Terms[3]);
    }

    [Fact]
    public void In_lists_and_numeric_attributes()
    {
        var t = (FilterAnd)RunFilterParser.ParseFilter("attributes.run_id IN ('a1', 'b2') and attr.start_time >= 1700000000000 and tags.x NOT IN ('q')")!;
        var inList = Assert.IsType<FilterComparison>(t.Terms[0]);
        Assert.Equal("IN", inList.Op);
        Assert.Equal(["a1", "b2"], (IReadOnlyList<string>)inList.Value);
        Assert.Equal(1700000000000L, ((FilterComparison)t.Terms[1]).Value);
        Assert.Equal("NOT IN", ((FilterComparison)t.Terms[2]).Op);
    }

    [Theory]
    // input, 0-based position of the error, a phrase the message must contain
    [InlineData("metrics.acc > 'high'", 14, "expected a number for metrics.acc")]
    [InlineData("params.lr = 0.01", 12, "expected a quoted string value for params.lr")]
    [InlineData("params.lr > '1'", 10, "'>' cannot be used with a param")]
    [InlineData("metrics.acc LIKE 'x'", 12, "'LIKE' cannot be used with a metric")]
    [InlineData("foo.acc > 1", 0, "unknown field type 'foo'")]
    [InlineData("acc > 1", 0, "expected a field such as metrics.acc")]
    [InlineData("attributes.colour = 'red'", 11, "unknown attribute 'colour'")]
    [InlineData("metrics.acc > 1 and", 19, "expected a field")]
    [InlineData("(metrics.acc > 1", 16, "expected ')'")]
    [InlineData("metrics.acc > 1 metrics.b > 2", 16, "expected AND, OR")]
    [InlineData("params.a = 'unclosed", 11, "never closed")]
    [InlineData("metrics.a == 1", 10, "'==' is not accepted")]
    [InlineData("params.a NOT LIKE 'x'", 13, "expected IN after NOT")]
    [InlineData("metrics.a > 1 ; drop table runs", 14, "unexpected character ';'")]
    [InlineData("tags.t IN 'x'", 10, "expected '(' to start the list")]
    public void Syntax_errors_report_position_and_expectation(string filter, int position, string phrase)
    {
        var e = Assert.Throws<FilterSyntaxException>(() => RunFilterParser.ParseFilter(filter));
        Assert.Equal(position, e.Position);
        Assert.Equal(position + 1, e.Column);
        Assert.Contains(phrase, e.Message);
        Assert.Equal("INVALID_PARAMETER_VALUE", e.ErrorCode);
        Assert.Equal("filter", e.Field);
        Assert.Contains($"column {position + 1}", e.Message);
    }

    [Fact]
    public void Order_by_clauses()
    {
        Assert.Equal(new OrderClause(new FieldRef(FieldKind.Metric, "acc"), false), RunFilterParser.ParseOrderBy("metrics.acc DESC"));
        Assert.Equal(new OrderClause(new FieldRef(FieldKind.Attribute, "start_time"), true), RunFilterParser.ParseOrderBy("attributes.start_time"));
        Assert.Equal(new OrderClause(new FieldRef(FieldKind.Param, "a b"), true), RunFilterParser.ParseOrderBy("params.`a b` asc"));
        var e = Assert.Throws<FilterSyntaxException>(() => RunFilterParser.ParseOrderBy("metrics.acc DOWN"));
        Assert.Equal(12, e.Position);
        Assert.Equal("order_by", e.Field);
    }

    [Theory]
    [InlineData(false)] // each term a per-run probe
    [InlineData(true)]  // each term a list of matching runs
    public void Sql_binds_every_user_value_as_a_parameter(bool listAll)
    {
        var sql = new RunSearchSql(new TestDialect());
        var where = sql.Where(RunFilterParser.ParseFilter("params.p = 'x'' OR 1=1 --' or metrics.`m; DROP` > 3"), listAll: listAll);
        Assert.DoesNotContain("OR 1=1", where);
        Assert.DoesNotContain("DROP", where);
        Assert.Equal(["p", "x' OR 1=1 --", "m; DROP", 3.0], sql.Parameters.Select(p => p.Value));
        Assert.All(sql.Parameters, p => Assert.Contains(p.Key, where));
    }

    [Fact]
    public void The_count_of_a_terms_matches_binds_its_values_too()
    {
        var sql = new RunSearchSql(new TestDialect());
        var matching = sql.Matching((FilterComparison)RunFilterParser.ParseFilter("tags.`t'); DROP TABLE runs; --` LIKE '%'' OR ''1''=''1'")!);
        Assert.DoesNotContain("DROP", matching);
        Assert.DoesNotContain("'1'", matching);
        Assert.Equal(["t'); DROP TABLE runs; --", "%' OR '1'='1"], sql.Parameters.Select(p => p.Value));
    }

    [Fact]
    public void Blank_filter_matches_everything()
    {
        Assert.Null(RunFilterParser.ParseFilter("   "));
        Assert.Equal("1=1", new RunSearchSql(new TestDialect()).Where(null));
    }

    private sealed class TestDialect : SqlDialect
    {
        public override string Like(string column, string parameter) => $"{column} LIKE {parameter}";
        public override string ILike(string column, string parameter) => $"{column} ILIKE {parameter}";
        public override string InIds(string column, string parameter) => $"{column} = ANY({parameter})";
        public override object IdsArgument(IReadOnlyList<string> ids) => ids.ToArray();
        public override string NewRunKey => "DEFAULT";
        public override string AddRunKey => "";
        public override string KeyIdColumn => "BIGSERIAL PRIMARY KEY";
        public override string Integer => "BIGINT";
        public override string Real => "DOUBLE PRECISION";
        public override string InsertionOrder => "id";
    }
}
