using System.CommandLine;
using Courseware.Cli.Grading;
using Courseware.Notebooks;
using Spectre.Console;

namespace Courseware.Cli.Commands;

/// <summary>`courseware render &lt;paths&gt; --out &lt;site&gt;`: a static, offline HTML site of executed notebooks.</summary>
internal static class RenderCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "Executed notebooks (.ipynb, .dib) or folders of them", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the site (replaced when it holds an earlier site; never an input or a folder of inputs)", DefaultValueFactory = _ => Path.Combine("out", "site") };
        var title = new Option<string>("--title") { Description = "The site's name on its contents page", DefaultValueFactory = _ => "MLOps & Experiment Tracking" };
        var trust = new Option<bool>("--trust") { Description = "The notebooks' HTML is the course's own: put it in the pages as is (default: HTML outputs run in sandboxed frames, raw HTML in markdown is shown as text)" };
        var command = new Command("render", "Write a static, offline HTML site of executed notebooks: contents, code, outputs, charts; hidden checks left out") { paths, output, title, trust };
        command.SetAction(parse =>
        {
            try
            {
                var outDir = parse.GetValue(output)!;
                var options = new NotebookSiteOptions { Title = parse.GetValue(title)!, TrustHtml = parse.GetValue(trust) };
                var files = CourseSite.Write(parse.GetValue(paths)!, outDir, options);
                var pages = files.Count(f => f.EndsWith(".html", StringComparison.Ordinal)) - 1;
                AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {pages} {(pages == 1 ? "page" : "pages")} to {Runner.RunPaths.Display(outDir)} (open {Runner.RunPaths.Display(Path.Combine(outDir, NotebookSite.IndexFile))})");
                return 0;
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidDataException or UnauthorizedAccessException or Runner.NotebookException)
            {
                return CommandErrors.Report(e);
            }
        });
        return command;
    }
}
