using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Courseware.Cli.Runner;

namespace Courseware.Cli.Grading;

/// <summary>A lab that submissions are graded against: its solution, the solution's hash and the lab's read-only cells.</summary>
/// <param name="Name">The lab's name (the solution's file name without .ipynb).</param>
/// <param name="SolutionPath">The solution notebook.</param>
/// <param name="SolutionSha256">SHA-256 of the solution file: a changed solution regrades every submission of the lab.</param>
/// <param name="LockedChecksums">Cell id → checksum LabMaker records for the lab's read-only cells (how a notebook is recognised).</param>
public sealed record LabInfo(string Name, string SolutionPath, string SolutionSha256, IReadOnlyDictionary<string, string> LockedChecksums)
{
    /// <summary>Every solution notebook of a folder, by name.</summary>
    public static IReadOnlyList<LabInfo> FromSolutions(string solutionsDir)
    {
        if (!Directory.Exists(solutionsDir))
            throw new DirectoryNotFoundException($"{Path.GetFullPath(solutionsDir)}: solutions folder not found (expected the folder of solution notebooks, see --solutions)");
        var labs = new List<LabInfo>();
        foreach (var file in Directory.EnumerateFiles(solutionsDir, "*.ipynb").Order(StringComparer.Ordinal))
        {
            var solution = NotebookDocument.Load(file);
            var lab = NotebookDocument.FromIpynb(solution.Path, LabMaker.MakeLab(solution));
            var locked = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var cell in lab.Cells.OfType<JsonObject>())
                if (cell["metadata"]?[CellRole.Key]?["checksum"] is JsonValue checksum)
                    locked[(string)cell["id"]!] = (string)checksum!;
            labs.Add(new LabInfo(Path.GetFileNameWithoutExtension(file), solution.Path, Submissions.Sha256File(file), locked));
        }
        if (labs.Count == 0)
            throw new FileNotFoundException($"{Path.GetFullPath(solutionsDir)}: no solution notebooks (*.ipynb) in the solutions folder");
        return labs;
    }
}

/// <summary>One learner's notebook for one lab, found in a submissions folder.</summary>
/// <param name="Path">The notebook file.</param>
/// <param name="Relative">Its path relative to the submissions folder, with '/' (the key for sharding and reports).</param>
/// <param name="Learner">The learner, from the path (nbgrader student id, folder name, Canvas sortable name, Moodle full name).</param>
/// <param name="LmsId">The LMS's id for the learner when the path carries one (Canvas user id, Moodle participant id).</param>
/// <param name="Lab">The lab it is graded against.</param>
/// <param name="Late">Marked late by Canvas (_LATE) or submitted after --due.</param>
/// <param name="SubmittedAt">nbgrader's timestamp.txt, else the file's modification time (UTC, ISO 8601).</param>
public sealed record Submission(string Path, string Relative, string Learner, string? LmsId, string Lab, bool Late, string SubmittedAt);

/// <summary>
/// Finds submissions in the layouts instructors download: nbgrader's <c>submitted/&lt;student&gt;/&lt;assignment&gt;/&lt;notebook&gt;.ipynb</c>
/// (with <c>timestamp.txt</c>), <c>&lt;learner&gt;/&lt;lab&gt;.ipynb</c>, Canvas's flat zip (<c>&lt;sortablename&gt;[_LATE]_&lt;user_id&gt;_&lt;attachment_id&gt;_&lt;file&gt;</c>)
/// and Moodle's "Download all" (<c>&lt;Full Name&gt;_&lt;participantid&gt;_assignsubmission_file/&lt;file&gt;</c>, or <c>…_file_&lt;file&gt;</c> flat).
/// A file whose name does not name a lab is recognised by the cell ids and checksums of the lab's read-only cells.
/// </summary>
public static partial class Submissions
{
    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { ".ipynb_checkpoints", "autograded", "feedback", "source", "release", ".git" };

    /// <summary>The submissions under <paramref name="root"/>, and one line per file that could not be attributed (naming the file and what was expected).</summary>
    public static (IReadOnlyList<Submission> Found, IReadOnlyList<string> Problems) Find(string root, IReadOnlyList<LabInfo> labs, DateTimeOffset? due)
    {
        root = System.IO.Path.GetFullPath(root);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{root}: submissions folder not found");
        var found = new List<Submission>();
        var problems = new List<string>();
        foreach (var file in Notebooks(root))
        {
            var relative = System.IO.Path.GetRelativePath(root, file).Replace('\\', '/');
            var parts = relative.Split('/');
            var (learner, lmsId, late, nameHint, timestampDir) = Attribute(parts);
            if (learner is null)
            {
                problems.Add($"{file}: cannot tell the learner from the path (expected submitted/<learner>/<lab>/<lab>.ipynb, <learner>/<lab>.ipynb, " +
                             "Canvas <name>[_LATE]_<user_id>_<attachment_id>_<file> or Moodle <Full Name>_<id>_assignsubmission_file/<file>)");
                continue;
            }
            var lab = LabFromName(nameHint, labs) ?? LabFromName(timestampDir is null ? null : System.IO.Path.GetFileName(timestampDir), labs);
            if (lab is null)
            {
                var (recognised, why) = LabFromMetadata(file, labs);
                if (recognised is null) { problems.Add($"{file}: {why}"); continue; }
                lab = recognised;
            }
            var stamp = Timestamp(timestampDir is null ? null : System.IO.Path.Combine(root, timestampDir), file);
            late |= due is { } d && stamp > d;
            found.Add(new Submission(file, relative, learner, lmsId, lab.Name, late, stamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
        }
        // One submission per learner and lab: a later file (by path, e.g. a higher Canvas attachment id) replaces an earlier one.
        var kept = new List<Submission>();
        foreach (var group in found.GroupBy(s => (s.Learner, s.Lab)))
        {
            var ordered = group.OrderBy(s => s.Relative, StringComparer.Ordinal).ToList();
            kept.Add(ordered[^1]);
            foreach (var older in ordered[..^1])
                problems.Add($"{older.Path}: ignored, {ordered[^1].Relative} is a later submission of {older.Lab} by {older.Learner}");
        }
        return (kept.OrderBy(s => s.Relative, StringComparer.Ordinal).ToList(), problems);
    }

    /// <summary>The shard (1-based <paramref name="index"/> of <paramref name="count"/>) a submission belongs to: a stable hash of its relative path.</summary>
    public static int ShardOf(string relative, int count)
    {
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(relative.Replace('\\', '/')));
        return (int)(BitConverter.ToUInt64(hash, 0) % (ulong)count) + 1;
    }

    /// <summary>Parses <c>i/n</c> (1 ≤ i ≤ n).</summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out var i) && int.TryParse(parts[1], out var n) && n >= 1 && i >= 1 && i <= n) return (i, n);
        throw new FormatException($"--shard '{text}': expected i/n with 1 ≤ i ≤ n, e.g. 1/4");
    }

    /// <summary>SHA-256 (lowercase hex) of a file's bytes.</summary>
    public static string Sha256File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static IEnumerable<string> Notebooks(string folder) =>
        Directory.EnumerateFiles(folder, "*.ipynb")
            .Concat(Directory.EnumerateDirectories(folder).Where(d => !SkippedFolders.Contains(System.IO.Path.GetFileName(d))).SelectMany(Notebooks))
            .Order(StringComparer.Ordinal);

    /// <summary>Learner, LMS id, Canvas late flag, the file name that may name the lab, and nbgrader's submission folder (for timestamp.txt).</summary>
    private static (string? Learner, string? LmsId, bool Late, string? NameHint, string? TimestampDir) Attribute(string[] parts)
    {
        var file = parts[^1];
        var submitted = Array.LastIndexOf(parts, "submitted");
        if (submitted >= 0 && parts.Length == submitted + 4)
            return (parts[submitted + 1], null, false, file, string.Join('/', parts[..^1]));
        if (parts.Length >= 2 && MoodleFolder().Match(parts[^2]) is { Success: true } mf)
            return (mf.Groups["name"].Value, mf.Groups["id"].Value, false, file, null);
        if (MoodleFlat().Match(file) is { Success: true } mflat)
            return (mflat.Groups["name"].Value, mflat.Groups["id"].Value, false, mflat.Groups["file"].Value, null);
        if (parts.Length == 1 && Canvas().Match(file) is { Success: true } c)
            return (c.Groups["name"].Value, c.Groups["uid"].Value, c.Groups["late"].Success, c.Groups["file"].Value, null);
        if (parts.Length == 3) return (parts[0], null, false, file, string.Join('/', parts[..^1])); // nbgrader's submitted/ folder given as the root
        if (parts.Length == 2) return (parts[0], null, false, file, null);
        return (null, null, false, null, null);
    }

    private static LabInfo? LabFromName(string? fileName, IReadOnlyList<LabInfo> labs)
    {
        if (fileName is null) return null;
        var stem = fileName.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) ? fileName[..^6] : fileName;
        return labs.FirstOrDefault(l => l.Name == stem)
               ?? labs.Where(l => stem.StartsWith(l.Name, StringComparison.Ordinal)).MaxBy(l => l.Name.Length); // Canvas renames a resubmission lab-1.ipynb → lab-1-1.ipynb
    }

    /// <summary>The lab whose read-only cells the notebook carries most (ids first, then matching checksums).</summary>
    private static (LabInfo? Lab, string Why) LabFromMetadata(string file, IReadOnlyList<LabInfo> labs)
    {
        NotebookDocument notebook;
        try { notebook = NotebookDocument.Load(file); }
        catch (NotebookException e)
        {
            return (null, $"the file name does not name a lab ({string.Join(", ", labs.Select(l => l.Name + ".ipynb"))}) and the notebook cannot be read to recognise it: {e.Message}");
        }
        var cells = notebook.Cells.OfType<JsonObject>().Where(c => c["id"] is JsonValue)
            .GroupBy(c => (string)c["id"]!).ToDictionary(g => g.Key, g => LabMaker.Checksum(NotebookDocument.SourceOf(g.First())), StringComparer.Ordinal);
        var best = labs.Select(l => (Lab: l,
                Ids: l.LockedChecksums.Count(kv => cells.ContainsKey(kv.Key)),
                Sums: l.LockedChecksums.Count(kv => cells.TryGetValue(kv.Key, out var sum) && sum == kv.Value)))
            .Where(x => x.Ids > 0).OrderByDescending(x => x.Sums).ThenByDescending(x => x.Ids).ThenBy(x => x.Lab.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Lab is null
            ? (null, $"not recognised as a lab: the file name names none of {string.Join(", ", labs.Select(l => l.Name + ".ipynb"))} and the notebook has none of their read-only cells (cell ids)")
            : (best.Lab, "");
    }

    /// <summary>nbgrader's timestamp.txt when present, else the file's modification time.</summary>
    private static DateTimeOffset Timestamp(string? submissionDir, string file)
    {
        var stampFile = submissionDir is null ? null : System.IO.Path.Combine(submissionDir, "timestamp.txt");
        if (stampFile is not null && File.Exists(stampFile))
        {
            var text = File.ReadAllText(stampFile).Trim();
            var cleaned = text.EndsWith(" UTC", StringComparison.Ordinal) ? text[..^4] : text;
            if (DateTimeOffset.TryParse(cleaned, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var stamp)) return stamp;
            throw new FormatException($"{stampFile}: '{text}' is not a timestamp (expected nbgrader's form, e.g. 2026-03-01 14:05:00.000000 UTC)");
        }
        return new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
    }

    [GeneratedRegex(@"^(?<name>.+)_(?<id>\d+)_assignsubmission_file$")]
    private static partial Regex MoodleFolder();

    [GeneratedRegex(@"^(?<name>.+)_(?<id>\d+)_assignsubmission_file_(?<file>.+)$")]
    private static partial Regex MoodleFlat();

    [GeneratedRegex(@"^(?<name>\w+?)(?<late>_LATE)?_(?<uid>\d+)_(?<aid>\d+)_(?<file>.+)$")]
    private static partial Regex Canvas();
}
