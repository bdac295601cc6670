using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Courseware.Cli.Runner;

namespace Courseware.Cli.Grading;

/// <summary>
/// The course's cell metadata, under the key <c>courseware</c> (nbgrader's model in C#):
/// <c>{"exercise": "ex1", "title": "Compute the mean", "points": 2, "locked": true, "solution": true}</c>.
/// <list type="bullet">
/// <item><c>exercise</c>: the exercise a cell belongs to (solution and check cells of one exercise share it).</item>
/// <item><c>title</c>: the exercise's title, used in the stub's NotImplementedException (defaults to the exercise id).</item>
/// <item><c>points</c>: on a code cell, makes it a check cell worth that many points when it runs without error.</item>
/// <item><c>locked</c>: a read-only cell; its checksum is recorded in the lab and edits are reported when grading (check cells are always locked).</item>
/// <item><c>solution</c>: on a markdown cell, removed from the lab (a model answer).</item>
/// </list>
/// </summary>
public sealed record CellRole(string? Exercise, string? Title, double Points, bool Locked, bool SolutionMarkdown)
{
    /// <summary>The metadata key.</summary>
    public const string Key = "courseware";

    /// <summary>A code cell that awards points.</summary>
    public bool IsCheck => Points > 0;

    /// <summary>Reads a cell's role; throws <see cref="FormatException"/> naming the field when the metadata is malformed.</summary>
    public static CellRole Of(JsonObject cell)
    {
        if (cell["metadata"]?[Key] is not JsonObject m) return new CellRole(null, null, 0, false, false);
        var points = 0.0;
        if (m["points"] is JsonValue p && !p.TryGetValue(out points))
            throw new FormatException($"cell {cell["id"]}: courseware.points must be a number");
        if (points < 0 || !double.IsFinite(points))
            throw new FormatException($"cell {cell["id"]}: courseware.points must be ≥ 0");
        var exercise = (string?)m["exercise"];
        if (points > 0 && exercise is null)
            throw new FormatException($"cell {cell["id"]}: a cell with courseware.points needs courseware.exercise");
        return new CellRole(exercise, (string?)m["title"], points, points > 0 || m["locked"] is JsonValue l && (bool)l,
            (string?)cell["cell_type"] == "markdown" && m["solution"] is JsonValue s && (bool)s);
    }
}

/// <summary>
/// Makes a learner's lab from a solution notebook: code between <c>// BEGIN SOLUTION</c> and <c>// END SOLUTION</c> becomes a
/// stub that throws NotImplementedException naming the exercise; <c>// BEGIN HIDDEN CHECKS</c> … <c>// END HIDDEN CHECKS</c> is
/// removed; markdown cells marked as solution are removed; outputs are cleared; locked cells get their checksum recorded.
/// Deterministic: the same solution always gives the same bytes.
/// </summary>
public static class LabMaker
{
    private const string BeginSolution = "// BEGIN SOLUTION", EndSolution = "// END SOLUTION";
    private const string BeginHidden = "// BEGIN HIDDEN CHECKS", EndHidden = "// END HIDDEN CHECKS";

    /// <summary>The lab for <paramref name="solution"/>, as the JSON text to write.</summary>
    public static string MakeLab(NotebookDocument solution)
    {
        var lab = solution.Clone();
        var titles = ExerciseTitles(lab);
        var cells = lab.Cells;
        for (var i = cells.Count - 1; i >= 0; i--)
        {
            var cell = (JsonObject)cells[i]!;
            var role = CellRole.Of(cell);
            if (role.SolutionMarkdown) { cells.RemoveAt(i); continue; }
            if ((string?)cell["cell_type"] != "code")
            {
                if (role.Locked) Meta(cell)["checksum"] = Checksum(NotebookDocument.SourceOf(cell));
                continue;
            }
            var title = role.Exercise is null ? "this exercise" : titles.GetValueOrDefault(role.Exercise, role.Exercise);
            var where = $"{solution.Path}: cell {i} (id {cell["id"]})";
            var source = LearnerSource(NotebookDocument.SourceOf(cell), title, where);
            // The stub is C#: in a value or HTML cell it would become part of the learner's document, not an exception.
            if (source != NotebookDocument.SourceOf(cell) && !IsCSharp(solution, cell))
                throw new FormatException($"{where}: solution and hidden-check markers work in C# cells only, not in a '{solution.KernelOf(cell)}' cell");
            cell["source"] = NotebookDocument.SourceLines(source);
            cell["outputs"] = new JsonArray();
            cell["execution_count"] = null;
            if (role.Locked) Meta(cell)["checksum"] = Checksum(source);
        }
        return lab.ToJson();
    }

    /// <summary>The learner's version of one code cell's source.</summary>
    public static string LearnerSource(string source, string exerciseTitle, string where) =>
        Strip(source, exerciseTitle, where, keepSolution: false).Source;

    /// <summary>
    /// One code cell's source as the course site shows a solution: the solution kept (its markers dropped), hidden checks
    /// removed exactly as in the lab; <c>HadHiddenChecks</c> says whether any were.
    /// </summary>
    public static (string Source, bool HadHiddenChecks) SiteSource(string source, string where) =>
        Strip(source, "", where, keepSolution: true);

    private static (string Source, bool HadHiddenChecks) Strip(string source, string exerciseTitle, string where, bool keepSolution)
    {
        var hadHidden = false;
        var lines = source.Split('\n');
        var result = new List<string>();
        string? open = null;
        var openLine = 0;
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            var marker = line.Trim();
            switch (marker)
            {
                case BeginSolution or BeginHidden when open is not null:
                    throw new FormatException($"{where}: line {n + 1}: '{marker}' inside the '{open}' opened at line {openLine}");
                case BeginSolution:
                    open = BeginSolution; openLine = n + 1;
                    if (keepSolution) break;
                    var indent = line[..(line.Length - line.TrimStart().Length)];
                    result.Add($"{indent}throw new NotImplementedException({Literal($"Exercise not done yet: {exerciseTitle}")});");
                    break;
                case BeginHidden:
                    open = BeginHidden; openLine = n + 1;
                    hadHidden = true;
                    break;
                case EndSolution or EndHidden:
                    var expected = marker == EndSolution ? BeginSolution : BeginHidden;
                    if (open != expected)
                        throw new FormatException($"{where}: line {n + 1}: '{marker}' without a matching '{expected}'");
                    open = null;
                    break;
                default:
                    if (open is null || keepSolution && open == BeginSolution) result.Add(line);
                    break;
            }
        }
        if (open is not null)
            throw new FormatException($"{where}: line {openLine}: '{open}' is never closed");
        return (string.Join('\n', result), hadHidden);
    }

    /// <summary>SHA-256 of a cell's source with line endings normalised, as recorded in locked lab cells.</summary>
    public static string Checksum(string source) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source.Replace("\r\n", "\n"))));

    /// <summary>Writes labs/ from solutions/ (one lab per solution, same file name); returns the paths written or out of date.</summary>
    /// <param name="solutionsDir">The solutions folder (the source of truth).</param>
    /// <param name="labsDir">The labs folder.</param>
    /// <param name="checkOnly">Write nothing; return the labs that are missing or differ.</param>
    public static IReadOnlyList<string> MakeLabs(string solutionsDir, string labsDir, bool checkOnly)
    {
        var changed = new List<string>();
        foreach (var file in Directory.EnumerateFiles(solutionsDir, "*.ipynb").Order(StringComparer.Ordinal))
        {
            var lab = MakeLab(NotebookDocument.Load(file));
            var target = Path.Combine(labsDir, Path.GetFileName(file));
            if (File.Exists(target) && File.ReadAllText(target) == lab) continue;
            changed.Add(target);
            if (!checkOnly) AtomicFile.WriteAllText(target, lab);
        }
        return changed;
    }

    /// <summary>Exercise id → title, from the first cell of each exercise that declares a title.</summary>
    internal static Dictionary<string, string> ExerciseTitles(NotebookDocument notebook)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var cell in notebook.Cells.OfType<JsonObject>())
            if (CellRole.Of(cell) is { Exercise: { } ex, Title: { } title })
                titles.TryAdd(ex, title);
        return titles;
    }

    /// <summary>A cell the C# kernel runs from its first line: C# metadata and no other kernel selected by a leading #! line.</summary>
    private static bool IsCSharp(NotebookDocument notebook, JsonObject cell)
    {
        var first = NotebookDocument.SourceOf(cell).TrimStart().Split('\n')[0].Trim();
        var selector = first.StartsWith("#!", StringComparison.Ordinal) ? first[2..].Split(' ')[0] : null;
        var kernel = selector is not null && NotebookDocument.HostedKernels.TryGetValue(selector, out var chosen) ? chosen : notebook.KernelOf(cell);
        return NotebookDocument.HostedKernels.GetValueOrDefault(kernel) == "csharp";
    }

    private static JsonObject Meta(JsonObject cell) => (JsonObject)cell["metadata"]![CellRole.Key]!;

    private static string Literal(string text) => Runner.Parameters.Literal("title", text, "string");
}
