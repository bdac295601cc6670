using System.Text;
using System.Text.RegularExpressions;
using Courseware.Cli.Runner;

namespace Courseware.Cli.Grading;

/// <summary>
/// The learner distribution of the course: the labs generated from solutions/, the library sources, the build files, a
/// solution file without the test project, datasets/, the learner docs (instructor-only blocks removed),
/// .config/dotnet-tools.json, a learner .gitignore (build output ignored, work/ kept) and the GitHub Classroom workflow.
/// Never solutions/, hidden checks or instructor notes. Deterministic: the same repository gives the same bytes.
/// Written atomically: built in a temporary folder beside the target, then renamed.
/// </summary>
public static partial class Release
{
    /// <summary>Docs copied for learners; text between these markers is removed from them.</summary>
    public const string BeginInstructor = "<!-- BEGIN INSTRUCTOR -->", EndInstructor = "<!-- END INSTRUCTOR -->";

    private static readonly string[] Docs = ["README.md", "QUICKSTART.md", "LAB_PREP.md", "WORKFLOWS.md"];
    private static readonly string[] Folders = ["lib", "datasets"];
    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { "bin", "obj", "node_modules", ".git", "out", "build", "TestResults", ".vs", ".courseware" };
    private static readonly string[] SkippedExtensions = [".swp", ".user", ".suo"];

    /// <summary>Where the Classroom workflow template lives, and where it goes in the release.</summary>
    public const string ClassroomTemplate = "docs/ci/classroom-autograding.yml", ClassroomWorkflow = ".github/workflows/classroom.yml";

    /// <summary>The .gitignore learners get: build output ignored, their work/ kept (GitHub Classroom grades what they push).</summary>
    public const string LearnerGitignore = "bin/\nobj/\nbuild/\nout/\nartifacts/\nnode_modules/\n.courseware/\nmlruns/\n*.swp\n";

    /// <summary>Writes the release of <paramref name="repoRoot"/> to <paramref name="outDir"/>; returns the files written (relative, '/').</summary>
    public static IReadOnlyList<string> Write(string repoRoot, string outDir, bool force)
    {
        repoRoot = Path.GetFullPath(repoRoot);
        outDir = Path.GetFullPath(outDir.TrimEnd('/', '\\'));
        if (!File.Exists(Path.Combine(repoRoot, "Courseware.sln")) || !Directory.Exists(Path.Combine(repoRoot, "solutions")))
            throw new IOException($"{repoRoot}: not the course repository (expected Courseware.sln and solutions/ there; run from the repository root or use --repo)");
        if (outDir == repoRoot || repoRoot.StartsWith(outDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new IOException($"{outDir}: the release cannot replace the repository or a folder above it");
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !force)
            throw new IOException($"{outDir}: folder is not empty (use --force to replace it)");
        if (File.Exists(outDir))
            throw new IOException($"{outDir}: is a file (expected a folder for the release)");

        var files = Files(repoRoot);
        AtomicFile.ReplaceFolder(outDir, "release", temp =>
        {
            foreach (var (relative, content) in files)
            {
                var target = Path.Combine(temp, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllBytes(target, content);
            }
            var leaks = Leaks(repoRoot, temp);
            if (leaks.Count > 0)
                throw new InvalidDataException("the release would contain solution text (nothing written): " + string.Join("; ", leaks.Take(5)));
        });
        return files.Select(f => f.Relative.Replace('\\', '/')).ToList();
    }

    /// <summary>Every file of the release, relative path ('/') and bytes, in ordinal order.</summary>
    internal static IReadOnlyList<(string Relative, byte[] Content)> Files(string repoRoot)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var solution in Directory.EnumerateFiles(Path.Combine(repoRoot, "solutions"), "*.ipynb"))
            files["labs/" + Path.GetFileName(solution)] = Encoding.UTF8.GetBytes(LabMaker.MakeLab(NotebookDocument.Load(solution)));
        foreach (var folder in Folders)
            foreach (var file in Walk(Path.Combine(repoRoot, folder)))
                files[Path.GetRelativePath(repoRoot, file).Replace('\\', '/')] = File.ReadAllBytes(file);
        foreach (var file in Directory.EnumerateFiles(repoRoot).Where(f => BuildFile().IsMatch(Path.GetFileName(f))))
            files[Path.GetFileName(file)] = File.ReadAllBytes(file);
        foreach (var doc in Docs.Where(d => File.Exists(Path.Combine(repoRoot, d))))
            files[doc] = Encoding.UTF8.GetBytes(StripInstructor(File.ReadAllText(Path.Combine(repoRoot, doc)), doc));
        var tools = Path.Combine(repoRoot, ".config", "dotnet-tools.json");
        if (File.Exists(tools)) files[".config/dotnet-tools.json"] = File.ReadAllBytes(tools);
        var classroom = Path.Combine(repoRoot, ClassroomTemplate);
        if (File.Exists(classroom)) files[ClassroomWorkflow] = File.ReadAllBytes(classroom);
        files["Courseware.sln"] = Encoding.UTF8.GetBytes(LearnerSolution(File.ReadAllText(Path.Combine(repoRoot, "Courseware.sln"))));
        files[".gitignore"] = Encoding.UTF8.GetBytes(LearnerGitignore);
        return files.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    /// <summary>The solution file without the projects under tests/ (they hold the graded fixtures and reference answers) and their configuration lines.</summary>
    internal static string LearnerSolution(string sln)
    {
        var newline = sln.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = sln.Split(newline);
        var removed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines)
            if (SlnProject().Match(line) is { Success: true } m && (m.Groups["path"].Value.StartsWith(@"tests\", StringComparison.OrdinalIgnoreCase) || m.Groups["path"].Value == "tests"))
                removed.Add(m.Groups["guid"].Value);
        var result = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (SlnProject().Match(lines[i]) is { Success: true } m && removed.Contains(m.Groups["guid"].Value))
            {
                while (i < lines.Length && lines[i].Trim() != "EndProject") i++;
                continue;
            }
            if (removed.Any(g => lines[i].Contains(g, StringComparison.OrdinalIgnoreCase))) continue;
            result.Add(lines[i]);
        }
        return string.Join(newline, result);
    }

    /// <summary>A doc without its instructor-only blocks.</summary>
    internal static string StripInstructor(string text, string where)
    {
        var sb = new StringBuilder();
        var at = 0;
        while (true)
        {
            var begin = text.IndexOf(BeginInstructor, at, StringComparison.Ordinal);
            var end = text.IndexOf(EndInstructor, at, StringComparison.Ordinal);
            if (begin < 0)
            {
                if (end >= 0) throw new FormatException($"{where}: '{EndInstructor}' without a '{BeginInstructor}' before it");
                return sb.Append(text, at, text.Length - at).ToString();
            }
            if (end < begin) throw new FormatException($"{where}: '{BeginInstructor}' is never closed by '{EndInstructor}'");
            sb.Append(text, at, begin - at);
            at = end + EndInstructor.Length;
            if (at < text.Length && text[at] == '\n') at++;
        }
    }

    /// <summary>
    /// The solution text a release must not contain, one line each: every hidden check line and every distinctive
    /// solution-block or model-answer line (20+ characters). A line the generated labs or the released library and data
    /// already contain (a visible check repeated in the hidden part, a using line) reveals nothing and is left out.
    /// With <paramref name="hiddenChecksOnly"/>, only the hidden check lines (what the course site must not show either).
    /// </summary>
    public static IReadOnlyList<string> SecretLines(string repoRoot, bool hiddenChecksOnly = false)
    {
        var candidates = new SortedSet<string>(StringComparer.Ordinal);
        var labs = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(repoRoot, "solutions"), "*.ipynb").Order(StringComparer.Ordinal))
        {
            var solution = NotebookDocument.Load(file);
            var lab = NotebookDocument.FromIpynb(file, LabMaker.MakeLab(solution));
            foreach (var cell in lab.Cells.OfType<System.Text.Json.Nodes.JsonObject>()) labs.Append(NotebookDocument.SourceOf(cell)).Append('\n');
            foreach (var cell in solution.Cells.OfType<System.Text.Json.Nodes.JsonObject>())
            {
                var source = NotebookDocument.SourceOf(cell);
                if (CellRole.Of(cell).SolutionMarkdown)
                {
                    if (hiddenChecksOnly) continue;
                    foreach (var line in source.Split('\n').Select(l => l.Trim()).Where(l => l.Length >= 20)) candidates.Add(line);
                    continue;
                }
                string? open = null;
                foreach (var raw in source.Split('\n'))
                {
                    var line = raw.Trim();
                    if (line is "// BEGIN HIDDEN CHECKS" or "// BEGIN SOLUTION") { open = line; continue; }
                    if (line is "// END HIDDEN CHECKS" or "// END SOLUTION") { open = null; continue; }
                    if (open == "// BEGIN HIDDEN CHECKS" && line.Any(char.IsLetterOrDigit) || open == "// BEGIN SOLUTION" && line.Length >= 20 && !hiddenChecksOnly)
                        candidates.Add(line);
                }
            }
        }
        var shipped = labs + "\n" + string.Join("\n", Folders.SelectMany(f => Walk(Path.Combine(repoRoot, f))).Select(TextOf).Where(t => t is not null));
        return candidates.Where(line => !shipped.Contains(line, StringComparison.Ordinal)).ToList();
    }

    /// <summary>Secret lines (<see cref="SecretLines"/>) found in a folder, as "file: line" (raw or JSON-escaped, as in a notebook).</summary>
    public static IReadOnlyList<string> Leaks(string repoRoot, string releaseDir)
    {
        var secrets = SecretLines(repoRoot);
        var leaks = new List<string>();
        foreach (var file in Directory.EnumerateFiles(releaseDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (TextOf(file) is not { } text) continue;
            foreach (var line in secrets)
                if (text.Contains(line, StringComparison.Ordinal) || text.Contains(JsonEscaped(line), StringComparison.Ordinal))
                    leaks.Add($"{Path.GetRelativePath(releaseDir, file)}: {line}");
        }
        return leaks;
    }

    private static string JsonEscaped(string line) => System.Text.Json.JsonSerializer.Serialize(line)[1..^1];

    private static string? TextOf(string file)
    {
        var bytes = File.ReadAllBytes(file);
        if (bytes.Length > 8_000_000 || bytes.AsSpan(0, Math.Min(bytes.Length, 8000)).Contains((byte)0)) return null;
        return Encoding.UTF8.GetString(bytes);
    }

    private static IEnumerable<string> Walk(string folder) =>
        !Directory.Exists(folder) ? [] :
        Directory.EnumerateFiles(folder).Where(f => !SkippedExtensions.Contains(Path.GetExtension(f)))
            .Concat(Directory.EnumerateDirectories(folder).Where(d => !SkippedFolders.Contains(Path.GetFileName(d))).SelectMany(Walk))
            .Order(StringComparer.Ordinal);

    [GeneratedRegex(@"^Directory\.[\w.]+\.(props|targets)$|^global\.json$")]
    private static partial Regex BuildFile();

    [GeneratedRegex(@"^Project\(""\{[^}]+\}""\)\s*=\s*""[^""]*"",\s*""(?<path>[^""]*)"",\s*""(?<guid>\{[^}]+\})""")]
    private static partial Regex SlnProject();
}
