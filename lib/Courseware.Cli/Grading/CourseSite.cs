using System.Text.Json.Nodes;
using Courseware.Cli.Commands;
using Courseware.Cli.Runner;
using Courseware.Notebooks;

namespace Courseware.Cli.Grading;

/// <summary>
/// The course site (`courseware render`): executed notebooks as a static, offline site (<see cref="NotebookSite"/>), each
/// reduced first to what learners may read — hidden checks removed by the same code that makes the labs
/// (<see cref="LabMaker.SiteSource"/>), the outputs of a cell that ran hidden checks left out (they may print what the
/// checks test), instructor-only blocks removed from markdown as from the released docs (<see cref="Release.StripInstructor"/>).
/// Solutions keep their solution code: the site shows worked solutions.
/// </summary>
public static class CourseSite
{
    /// <summary>The note shown instead of the outputs of a cell that also ran hidden checks.</summary>
    public const string HiddenOutputsNote = "Outputs not shown: this check cell also ran checks that learners do not see.";

    /// <summary>Renders the notebooks in <paramref name="inputs"/> (files or folders) to <paramref name="outDir"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<string> inputs, string outDir, NotebookSiteOptions options)
    {
        outDir = Path.GetFullPath(outDir);
        var canonicalOut = RunPaths.Canonical(outDir);
        foreach (var input in inputs)
        {
            var canonical = RunPaths.Canonical(input);
            if (RunPaths.Comparer.Equals(canonical, canonicalOut) || Inside(canonicalOut, canonical) || Inside(canonical, canonicalOut))
                throw new IOException($"{RunPaths.Display(outDir)}: is, holds or is inside the input {RunPaths.Display(input)}: choose an output folder apart from the inputs");
        }
        var (jobs, problems) = NotebookDiscovery.Jobs(inputs, outDir, inplace: false);
        if (problems.Count > 0) throw new IOException(problems[0].Error);
        if (jobs.Count == 0) throw new IOException("no .ipynb or .dib notebooks found in the given paths");
        var notebooks = jobs.Select(job => new SiteNotebook(
            Path.ChangeExtension(Path.GetRelativePath(outDir, job.OutputPath!), ".html").Replace('\\', '/'),
            job.Path,
            LearnerView(NotebookDocument.Load(job.Path)))).ToList();
        return NotebookSite.Write(notebooks, outDir, options);
    }

    /// <summary>The notebook as the site shows it (a copy; the document is not changed).</summary>
    public static JsonObject LearnerView(NotebookDocument notebook)
    {
        var view = (JsonObject)notebook.Json.DeepClone();
        var cells = (JsonArray)view["cells"]!;
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = (JsonObject)cells[i]!;
            var where = $"{notebook.Path}: cell {i} (id {cell["id"]})";
            var source = NotebookDocument.SourceOf(cell);
            if ((string?)cell["cell_type"] == "markdown")
            {
                cell["source"] = NotebookDocument.SourceLines(Release.StripInstructor(source, where));
                continue;
            }
            if ((string?)cell["cell_type"] != "code") continue;
            var (visible, hadHidden) = LabMaker.SiteSource(source, where);
            cell["source"] = NotebookDocument.SourceLines(visible);
            if (!hadHidden) continue;
            cell["outputs"] = new JsonArray();
            cell["metadata"]![NotebookSite.NoteKey] = HiddenOutputsNote;
        }
        return view;
    }

    private static bool Inside(string path, string folder) =>
        path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, RunPaths.Comparer == StringComparer.Ordinal ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
}
