using Courseware.Notebooks;
using Courseware.Sweeps;

namespace Courseware.Tests.Sweeps;

public class DisplayTests
{
    [Fact]
    public void ParameterValuesRenderAsAnEscapedTable()
    {
        var values = new ParameterValues([new("act", "<script>alert(1)</script>"), new("lr", 0.001), new("layers", 3L)]);
        var html = HtmlRenderers.Render(values);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Contains(">0.001<", html);
        Assert.Contains(">3<", html);
        Assert.Equal("{act: \"<script>alert(1)</script>\", lr: 0.001, layers: 3}", values.ToString());
    }

    [Fact]
    public void SweepConfigRendersItsParametersEscaped()
    {
        var config = SweepConfig.Parse("""
            method: bayes
            name: "<b>lr</b>"
            metric: {name: val/loss}
            parameters:
              lr: {distribution: log_uniform_values, min: 1.0e-5, max: 0.1}
              opt: {values: ["<i>sgd</i>", adam]}
            """);
        var html = HtmlRenderers.Render(config);
        Assert.DoesNotContain("<b>", html);
        Assert.DoesNotContain("<i>", html);
        Assert.Contains("&lt;b&gt;lr&lt;/b&gt;", html);
        Assert.Contains("{distribution: log_uniform_values, min: 1E-05, max: 0.1}", html);
    }

    [Fact]
    public void ValuesCompareByValueAndConvertOnRequest()
    {
        var a = new ParameterValues([new("x", 3L), new("y", "a")]);
        var b = new ParameterValues([new("y", "a"), new("x", 3.0)]);
        Assert.Equal(a, b);                      // order and 3 vs 3.0 do not matter
        Assert.Equal(3.0, a.Get<double>("x"));
        Assert.Equal(3, b.Get<int>("x"));
        var e = Assert.Throws<InvalidCastException>(() => a.Get<double>("y"));
        Assert.Contains("parameter y is \"a\"", e.Message);
        var missing = Assert.Throws<KeyNotFoundException>(() => a["z"]);
        Assert.Contains("no parameter z", missing.Message);
    }
}
