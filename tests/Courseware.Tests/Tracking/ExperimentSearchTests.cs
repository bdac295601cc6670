using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

/// <summary>
/// MLflow's experiment filter and order-by (mlflow docs, "Search Experiments": name / attributes.name,
/// creation_time, last_update_time, tags.key; = != LIKE ILIKE for strings, comparisons for times) over a fixed
/// list, with the expected names worked out by hand from the table below.
/// </summary>
public class ExperimentSearchTests
{
    private static Experiment E(string id, string name, long created, long updated, params (string Key, string Value)[] tags) =>
        new(id, name, "file:///a/" + id, LifecycleStage.Active, created, updated, tags.ToDictionary(t => t.Key, t => t.Value));

    // id  name            created  updated  tags
    private static readonly Experiment[] All =
    [
        E("0", "Default", 100, 100),
        E("1", "lab-penguins", 200, 900, ("team", "birds"), ("stage", "dev")),
        E("2", "Lab-Flights", 300, 400, ("team", "travel")),
        E("3", "lab_weather", 300, 500, ("team", "Birds")),
        E("4", "sweep 50%", 400, 450),
    ];

    private static string[] Names(string? filter, params string[] orderBy) => ExperimentSearch.Apply(All, filter, orderBy).Select(e => e.Name).ToArray();

    [Theory]
    [InlineData(null, "Default,lab-penguins,Lab-Flights,lab_weather,sweep 50%")]
    [InlineData("name = 'Lab-Flights'", "Lab-Flights")]
    [InlineData("attributes.name != 'Default'", "lab-penguins,Lab-Flights,lab_weather,sweep 50%")]
    [InlineData("name LIKE 'lab%'", "lab-penguins,lab_weather")]                 // LIKE is case-sensitive
    [InlineData("name ILIKE 'lab%'", "lab-penguins,Lab-Flights,lab_weather")]
    [InlineData("name LIKE 'lab_p%'", "lab-penguins")]                          // _ is one character
    [InlineData("name LIKE '%50\\%'", "")]                                       // no escape character: \ is literal
    [InlineData("name LIKE 'sweep 50%'", "sweep 50%")]
    [InlineData("tags.team = 'birds'", "lab-penguins")]
    [InlineData("tags.team ILIKE 'BIRDS'", "lab-penguins,lab_weather")]
    [InlineData("tags.team != 'birds'", "Lab-Flights,lab_weather")]             // no tag: never matches, even !=
    [InlineData("tags.team IN ('travel', 'Birds')", "Lab-Flights,lab_weather")]
    [InlineData("creation_time >= 300", "Lab-Flights,lab_weather,sweep 50%")]
    [InlineData("attributes.last_update_time < 450", "Default,Lab-Flights")]
    [InlineData("creation_time = 300 AND tags.team = 'travel'", "Lab-Flights")]
    [InlineData("name = 'Default' OR (tags.stage = 'dev' AND last_update_time > 800)", "Default,lab-penguins")]
    public void Filters_match_mlflow_semantics(string? filter, string expected) =>
        Assert.Equal(expected.Length == 0 ? [] : expected.Split(','), Names(filter));

    [Fact]
    public void Order_by_fields_with_ties_broken_by_id()
    {
        Assert.Equal(["sweep 50%", "Lab-Flights", "lab_weather", "lab-penguins", "Default"], Names(null, "creation_time DESC"));
        Assert.Equal(["lab-penguins", "lab_weather", "sweep 50%", "Lab-Flights", "Default"], Names(null, "last_update_time DESC"));
        Assert.Equal(["Default", "Lab-Flights", "lab-penguins", "lab_weather", "sweep 50%"], Names(null, "name"));   // ordinal: upper case first
        Assert.Equal(["sweep 50%", "lab_weather", "Lab-Flights"], Names("creation_time > 200", "experiment_id DESC"));
        Assert.Equal(["lab_weather", "Lab-Flights"], Names("creation_time = 300", "creation_time", "name DESC"));
    }

    [Theory]
    [InlineData("metrics.acc > 1", 0, "experiments have no metrics")]
    [InlineData("params.lr = '1'", 0, "experiments have no params")]
    [InlineData("attributes.status = 'x'", 11, "unknown experiment attribute 'status'")]
    [InlineData("name > 'a'", 5, "'>' cannot be used with the string attribute name")]
    [InlineData("creation_time LIKE '1%'", 14, "'LIKE' cannot be used with the numeric attribute creation_time")]
    [InlineData("nam = 'x'", 0, "expected name, creation_time, last_update_time or tags.<key>")]
    [InlineData("name = 'x' AND", 14, "expected name, creation_time, last_update_time or tags.<key>, found the end of the input")]
    public void Bad_filters_name_the_column(string filter, int position, string message)
    {
        var e = Assert.Throws<FilterSyntaxException>(() => ExperimentSearch.Apply(All, filter));
        Assert.Equal(("filter", position), (e.Field, e.Position));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Bad_order_by_is_refused()
    {
        Assert.Contains("cannot be ordered by a tag", Assert.Throws<FilterSyntaxException>(() => Names(null, "tags.team")).Message);
        Assert.Equal("order_by", Assert.Throws<FilterSyntaxException>(() => Names(null, "start_time DESC")).Field);
    }
}
