using System.Reflection;
using Courseware.Evaluation;
using Courseware.Notebooks;
using Courseware.Reproducibility;

namespace Courseware.Tests.Notebooks;

/// <summary>Results are plain data; <see cref="HtmlRenderers"/> is the one place their HTML comes from.</summary>
public sealed class HtmlRenderersTests
{
    private static readonly Type[] LibraryTypes = typeof(HtmlRenderers).Assembly.GetExportedTypes();

    [Fact]
    public void Every_type_marked_for_notebook_display_has_a_renderer()
    {
        var marked = LibraryTypes.Where(t => t.GetCustomAttributes(inherit: true).OfType<TypeFormatterSourceAttribute>().Any() && !typeof(IHtmlDisplayable).IsAssignableFrom(t)).ToList();
        Assert.NotEmpty(marked);
        var rendered = HtmlRenderers.RenderedTypes;
        static IEnumerable<Type> SelfAndBases(Type type)
        {
            for (Type? t = type; t is not null; t = t.BaseType) yield return t.IsGenericType ? t.GetGenericTypeDefinition() : t;
        }
        // A subtype (TinyGpt) is drawn by its base type's renderer (LocalLanguageModel), as the formatter looks it up.
        Assert.Empty(marked.Where(t => !SelfAndBases(t).Any(rendered.Contains)).Select(t => t.FullName));
    }

    [Fact]
    public void Results_do_not_draw_themselves()
    {
        // A result may be displayed, but its HTML lives in a renderer: no rendered type has a ToHtml of its own.
        var drawing = HtmlRenderers.RenderedTypes.Where(t => t.GetMethod("ToHtml", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is not null);
        Assert.Empty(drawing.Select(t => t.FullName));
    }

    [Fact]
    public void A_result_renders_escaped_and_a_generic_result_through_its_open_renderer()
    {
        string html = HtmlRenderers.Render(Stats.SeedSummary([0.81, 0.79, 0.83], name: "<b>acc</b>"));
        Assert.Contains("&lt;b&gt;acc&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>acc", html);
        Assert.Contains(">0.81<", html);
        var plan = new SeedPlan(7, "data", "init");
        Assert.Contains("Seed plan (master seed 7)", HtmlRenderers.Render(plan));
    }

    [Fact]
    public void Registered_renderers_apply_to_a_type_and_its_subtypes_and_unknown_types_are_named()
    {
        HtmlRenderers.Register<Shape>(s => $"<i>{Html.Escape(s.Name)}</i>");
        Assert.Equal("<i>square</i>", HtmlRenderers.Render(new Square()));
        Assert.False(HtmlRenderers.TryRender(new Version(1, 2), out string? none));
        Assert.Null(none);
        Assert.Contains("System.Version", Assert.Throws<ArgumentException>(() => HtmlRenderers.Render(new Version(1, 2))).Message);
    }

    private class Shape
    {
        public virtual string Name => "shape";
    }

    private sealed class Square : Shape
    {
        public override string Name => "square";
    }
}
