using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>A package whose version is not pinned, and where.</summary>
/// <param name="Package">Package id.</param>
/// <param name="File">File that declares it (full path).</param>
/// <param name="Line">1-based line of the declaration.</param>
/// <param name="Problem">What is wrong and how to fix it.</param>
public sealed record PackageVersionProblem(string Package, string File, int Line, string Problem)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}({Line}): {Package}: {Problem}";
}

/// <summary>
/// Checks that every NuGet package version is pinned: Directory.Packages.props (central package management), project
/// files, Directory.Build.props/targets and packages.lock.json. Floating versions (<c>1.*</c>), ranges
/// (<c>[1.0,2.0)</c>), missing versions, and a PackageReference that sets its own Version (or VersionOverride) under central
/// management all fail, each with the package, file and line named.
/// </summary>
/// <example><code>PackageVersionCheck.Run(repoRoot).ThrowIfFailed();</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed partial class PackageVersionCheck
{
    private static readonly string[] SkippedFolders = ["bin", "obj", "node_modules", ".git", "build", "artifacts", "TestResults"];

    private PackageVersionCheck(string root, IReadOnlyList<string> files, IReadOnlyList<PackageVersionProblem> problems)
    {
        Root = root;
        FilesChecked = files;
        Problems = problems;
    }

    /// <summary>The folder checked.</summary>
    public string Root { get; }

    /// <summary>Every file read.</summary>
    public IReadOnlyList<string> FilesChecked { get; }

    /// <summary>What is not pinned.</summary>
    public IReadOnlyList<PackageVersionProblem> Problems { get; }

    /// <summary>True when every version is pinned.</summary>
    public bool Passed => Problems.Count == 0;

    /// <summary>Checks every build file under <paramref name="root"/> (bin, obj, node_modules, build and .git are skipped).</summary>
    public static PackageVersionCheck Run(string root)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"No folder '{root}' to check.");
        var files = Enumerate(root).ToList();
        var problems = new List<PackageVersionProblem>();

        var central = new Dictionary<string, (string Version, string File)>(StringComparer.OrdinalIgnoreCase);
        var propsFiles = files.Where(f => Path.GetFileName(f).Equals("Directory.Packages.props", StringComparison.OrdinalIgnoreCase)).ToList();
        var buildFiles = files.Where(IsMsBuildFile).ToList();
        foreach (var props in propsFiles)
        {
            var doc = Load(props);
            var properties = Properties(doc);
            foreach (var item in Items(doc, "PackageVersion").Concat(Items(doc, "GlobalPackageReference")))
            {
                var (name, version, line) = item;
                var problem = VersionProblem(version, properties, props);
                if (problem is not null) problems.Add(new(name, props, line, problem));
                else central[name] = (Resolve(version!, properties), props);
            }
        }

        foreach (var file in buildFiles.Except(propsFiles))
        {
            var doc = Load(file);
            var cpm = CentralManagementOn(file, root, propsFiles);
            var properties = Properties(doc);
            foreach (var element in doc.Descendants().Where(e => e.Name.LocalName == "PackageReference"))
            {
                var name = (string?)element.Attribute("Include");
                if (name is null) continue; // Update/Remove items change existing references
                var line = LineOf(element);
                var version = Attr(element, "Version");
                var overrideVersion = Attr(element, "VersionOverride");
                if (cpm)
                {
                    if (version is not null)
                        problems.Add(new(name, file, line, $"sets Version=\"{version}\" although central package management is on: it bypasses Directory.Packages.props; remove the attribute and pin it there"));
                    else if (overrideVersion is not null)
                        problems.Add(new(name, file, line, $"VersionOverride=\"{overrideVersion}\" bypasses Directory.Packages.props; pin the version there"));
                    else if (!central.ContainsKey(name))
                        problems.Add(new(name, file, line, "has no PackageVersion in Directory.Packages.props, so its version is not pinned"));
                }
                else if (VersionProblem(version, properties, file) is { } problem)
                {
                    problems.Add(new(name, file, line, problem));
                }
            }
        }

        foreach (var lockFile in files.Where(f => Path.GetFileName(f).Equals("packages.lock.json", StringComparison.OrdinalIgnoreCase)))
            problems.AddRange(CheckLockFile(lockFile, central));

        return new PackageVersionCheck(root, files, problems);
    }

    /// <summary>Throws when a version floats, listing each package with its file and line.</summary>
    public void ThrowIfFailed()
    {
        if (!Passed) throw new InvalidOperationException($"Package versions are not pinned ({Problems.Count}):{Environment.NewLine}{string.Join(Environment.NewLine, Problems)}");
    }

    /// <summary>Why <paramref name="version"/> is not a pinned version, or null when it is one.</summary>
    public static string? DescribeFloating(string? version)
    {
        if (string.IsNullOrWhiteSpace(version)) return "has no version, so NuGet picks the lowest available one (NU1604): pin one";
        var v = version.Trim();
        if (v.Contains('*')) return $"floats (\"{v}\"): every restore may pick a newer version; pin an exact one";
        if (v.StartsWith('[') && v.EndsWith(']') && !v.Contains(',')) return null; // [1.2.3]: exactly that version
        if (v.StartsWith('[') || v.StartsWith('(') || v.Contains(','))
            return $"is a version range (\"{v}\"): the version restored depends on what the feed holds that day; pin an exact one";
        return NuGetVersion().IsMatch(v) ? null : $"is not a NuGet version (\"{v}\")";
    }

    private static IEnumerable<PackageVersionProblem> CheckLockFile(string path, Dictionary<string, (string Version, string File)> central)
    {
        var text = File.ReadAllText(path);
        JsonNode? root;
        try { root = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException e) { throw new FormatException($"{path}: not valid JSON ({e.Message}).", e); }
        foreach (var (_, deps) in root?["dependencies"]?.AsObject() ?? [])
        {
            foreach (var (name, dep) in deps?.AsObject() ?? [])
            {
                var type = dep?["type"]?.GetValue<string>();
                if (type is not ("Direct" or "CentralTransitive")) continue;
                var requested = dep?["requested"]?.GetValue<string>();
                var resolved = dep?["resolved"]?.GetValue<string>();
                var line = LineOfText(text, $"\"{name}\"");
                if (requested is not null && requested.Contains('*'))
                    yield return new(name, path, line, $"the lock file records a floating request (\"{requested}\")");
                if (central.TryGetValue(name, out var pinned) && resolved is not null && !SameVersion(pinned.Version, resolved))
                    yield return new(name, path, line, $"the lock file resolves {resolved} but {Path.GetFileName(pinned.File)} pins {pinned.Version}: the lock file is stale; restore with --force-evaluate");
            }
        }
    }

    private static bool SameVersion(string pinned, string resolved) =>
        string.Equals(pinned.Trim('[', ']'), resolved, StringComparison.OrdinalIgnoreCase);

    private static string? VersionProblem(string? version, IReadOnlyDictionary<string, string> properties, string file)
    {
        if (version is not null && PropertyReference().Match(version) is { Success: true } m && !properties.ContainsKey(m.Groups[1].Value))
            return $"takes its version from $({m.Groups[1].Value}), which {Path.GetFileName(file)} does not define, so it cannot be checked: write the version in place";
        return DescribeFloating(version is null ? null : Resolve(version, properties));
    }

    private static string Resolve(string value, IReadOnlyDictionary<string, string> properties) =>
        PropertyReference().Replace(value, m => properties.GetValueOrDefault(m.Groups[1].Value, m.Value));

    private static bool CentralManagementOn(string project, string root, List<string> propsFiles)
    {
        // The project's own setting wins, then the nearest Directory.Build.props, then Directory.Packages.props' presence.
        foreach (var file in SettingFiles(project, root))
        {
            var setting = Load(file).Descendants().LastOrDefault(e => e.Name.LocalName == "ManagePackageVersionsCentrally");
            if (setting is not null) return string.Equals(setting.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        }
        var dir = Path.GetDirectoryName(project)!;
        return propsFiles.Any(p => dir.StartsWith(Path.GetDirectoryName(p)!, StringComparison.Ordinal));
    }

    private static IEnumerable<string> SettingFiles(string project, string root)
    {
        yield return project;
        for (var dir = Path.GetDirectoryName(project); dir is not null && dir.StartsWith(root, StringComparison.Ordinal); dir = Path.GetDirectoryName(dir))
        {
            foreach (var name in new[] { "Directory.Build.props", "Directory.Packages.props" })
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate) && candidate != project) yield return candidate;
            }
        }
    }

    private static IEnumerable<(string Name, string? Version, int Line)> Items(XDocument doc, string itemName) =>
        doc.Descendants().Where(e => e.Name.LocalName == itemName && e.Attribute("Include") is not null)
            .Select(e => ((string)e.Attribute("Include")!, Attr(e, "Version"), LineOf(e)));

    private static string? Attr(XElement element, string name) =>
        (string?)element.Attribute(name) ?? element.Elements().FirstOrDefault(c => c.Name.LocalName == name)?.Value;

    private static Dictionary<string, string> Properties(XDocument doc) =>
        doc.Descendants().Where(e => e.Parent?.Name.LocalName == "PropertyGroup" && !e.HasElements)
            .GroupBy(e => e.Name.LocalName).ToDictionary(g => g.Key, g => g.Last().Value.Trim(), StringComparer.OrdinalIgnoreCase);

    private static XDocument Load(string path)
    {
        try { return XDocument.Load(path, LoadOptions.SetLineInfo); }
        catch (XmlException e) { throw new FormatException($"{path}({e.LineNumber},{e.LinePosition}): not valid XML: {e.Message}", e); }
    }

    private static int LineOf(XObject o) => o is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : 0;

    private static int LineOfText(string text, string needle)
    {
        var index = text.IndexOf(needle, StringComparison.Ordinal);
        return index < 0 ? 0 : text.AsSpan(0, index).Count('\n') + 1;
    }

    private static bool IsMsBuildFile(string path)
    {
        var name = Path.GetFileName(path);
        return name.EndsWith("proj", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".props", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".targets", StringComparison.OrdinalIgnoreCase);
    }

    private static IEnumerable<string> Enumerate(string root)
    {
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
                if (!SkippedFolders.Contains(Path.GetFileName(sub), StringComparer.OrdinalIgnoreCase)) pending.Push(sub);
            foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                if (IsMsBuildFile(file) || Path.GetFileName(file).Equals("packages.lock.json", StringComparison.OrdinalIgnoreCase)) yield return file;
        }
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][\w.-]*)\)")]
    private static partial Regex PropertyReference();

    [GeneratedRegex(@"^\d+(\.\d+){1,3}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex NuGetVersion();

    /// <inheritdoc />
    public override string ToString() => Passed
        ? $"All package versions pinned ({FilesChecked.Count} files checked)."
        : $"{Problems.Count} unpinned package version(s):{Environment.NewLine}{string.Join(Environment.NewLine, Problems)}";
}
