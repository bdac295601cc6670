using System.Reflection;
using System.Runtime.InteropServices;

namespace Courseware.Tracking;

/// <summary>
/// Tags the tracker fills in by itself. The <c>mlflow.</c> ones keep MLflow's names so an MLflow UI or client reads
/// them; the <c>courseware.</c> ones describe the machine (what a reader needs to trust a timing or reproduce a run).
/// </summary>
public static class SystemTags
{
    /// <summary>The run's display name.</summary>
    public const string RunName = "mlflow.runName";
    /// <summary>The parent run of a nested run.</summary>
    public const string ParentRunId = "mlflow.parentRunId";
    /// <summary>Who ran it.</summary>
    public const string User = "mlflow.user";
    /// <summary>The program or notebook that ran it.</summary>
    public const string SourceName = "mlflow.source.name";
    /// <summary>NOTEBOOK or LOCAL.</summary>
    public const string SourceType = "mlflow.source.type";
    /// <summary>The git commit checked out where the run started.</summary>
    public const string GitCommit = "mlflow.source.git.commit";
    /// <summary>The git branch checked out where the run started.</summary>
    public const string GitBranch = "mlflow.source.git.branch";
    /// <summary>A free-text note about the run (MLflow shows it as the description).</summary>
    public const string Note = "mlflow.note.content";
    /// <summary>.NET runtime, e.g. ".NET 10.0.0".</summary>
    public const string Runtime = "courseware.host.dotnet";
    /// <summary>Operating system and architecture.</summary>
    public const string OperatingSystem = "courseware.host.os";
    /// <summary>CPU model and logical core count.</summary>
    public const string Cpu = "courseware.host.cpu";
    /// <summary>GPU model(s), or "none".</summary>
    public const string Gpu = "courseware.host.gpu";
    /// <summary>Host name.</summary>
    public const string Host = "courseware.host.name";
    /// <summary>Why a run FAILED: the exception, or a stale heartbeat.</summary>
    public const string Failure = "courseware.failure";

    /// <summary>Environment variable a notebook host can set to the notebook's path (source name of its runs).</summary>
    public const string NotebookPathVariable = "COURSEWARE_NOTEBOOK";

    /// <summary>True for tags the tracker or MLflow own (<c>mlflow.*</c>, <c>courseware.*</c>) rather than the user.</summary>
    public static bool IsSystem(string key) =>
        key.StartsWith("mlflow.", StringComparison.Ordinal) || key.StartsWith("courseware.", StringComparison.Ordinal);

    /// <summary>The tags describing this process and machine, computed once.</summary>
    public static IReadOnlyDictionary<string, string> ForThisProcess() => Lazy.Value;

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Lazy = new(Describe);

    private static IReadOnlyDictionary<string, string> Describe()
    {
        var tags = new Dictionary<string, string>
        {
            [User] = Environment.UserName,
            [Runtime] = RuntimeInformation.FrameworkDescription,
            [OperatingSystem] = $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})",
            [Cpu] = $"{CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} logical cores",
            [Gpu] = GpuModels() ?? "none",
            [Host] = Environment.MachineName,
        };
        var (name, type) = Source();
        tags[SourceName] = name;
        tags[SourceType] = type;
        if (GitInfo.Find(Environment.CurrentDirectory) is { } git)
        {
            tags[GitCommit] = git.Commit;
            if (git.Branch is not null) tags[GitBranch] = git.Branch;
        }
        return tags;
    }

    private static (string Name, string Type) Source()
    {
        var notebook = Environment.GetEnvironmentVariable(NotebookPathVariable);
        if (!string.IsNullOrEmpty(notebook)) return (notebook, "NOTEBOOK");
        // .NET Interactive compiles cells into in-memory assemblies; its kernel assembly being loaded means a notebook.
        if (AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.DotNet.Interactive.CSharp"))
            return ("notebook", "NOTEBOOK");
        return (Assembly.GetEntryAssembly()?.GetName().Name ?? Environment.ProcessPath ?? "unknown", "LOCAL");
    }

    private static string? CpuModel()
    {
        const string CpuInfo = "/proc/cpuinfo";
        if (!File.Exists(CpuInfo)) return null;
        var line = File.ReadLines(CpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line?[(line.IndexOf(':') + 1)..].Trim();
    }

    private static string? GpuModels()
    {
        // The NVIDIA driver describes each GPU under /proc; reading it needs no nvidia-smi process.
        const string Root = "/proc/driver/nvidia/gpus";
        if (!Directory.Exists(Root)) return null;
        var models = Directory.EnumerateDirectories(Root)
            .Select(d => Path.Combine(d, "information"))
            .Where(File.Exists)
            .Select(f => File.ReadLines(f).FirstOrDefault(l => l.StartsWith("Model:", StringComparison.Ordinal))?[6..].Trim())
            .OfType<string>()
            .ToList();
        return models.Count == 0 ? null : string.Join("; ", models);
    }
}

/// <summary>The commit and branch of the git checkout containing a folder, read from <c>.git</c> without running git.</summary>
internal sealed record GitInfo(string Commit, string? Branch)
{
    public static GitInfo? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var dotGit = Path.Combine(dir.FullName, ".git");
            var gitDir = Directory.Exists(dotGit) ? dotGit : File.Exists(dotGit) ? WorktreeGitDir(dotGit, dir.FullName) : null;
            if (gitDir is not null) return Read(gitDir);
        }
        return null;
    }

    // A worktree or submodule has a .git file "gitdir: <path>".
    private static string? WorktreeGitDir(string file, string baseDir)
    {
        var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("gitdir:", StringComparison.Ordinal));
        return line is null ? null : Path.GetFullPath(Path.Combine(baseDir, line[7..].Trim()));
    }

    private static GitInfo? Read(string gitDir)
    {
        var headFile = Path.Combine(gitDir, "HEAD");
        if (!File.Exists(headFile)) return null;
        var head = File.ReadAllText(headFile).Trim();
        if (!head.StartsWith("ref: ", StringComparison.Ordinal)) return new GitInfo(head, null);
        var reference = head[5..];
        var branch = reference.StartsWith("refs/heads/", StringComparison.Ordinal) ? reference[11..] : reference;
        // Worktrees keep refs in the common dir named by "commondir".
        var commonFile = Path.Combine(gitDir, "commondir");
        var common = File.Exists(commonFile) ? Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(commonFile).Trim())) : gitDir;
        foreach (var dir in new[] { gitDir, common })
        {
            var loose = Path.Combine(dir, reference);
            if (File.Exists(loose)) return new GitInfo(File.ReadAllText(loose).Trim(), branch);
        }
        var packed = Path.Combine(common, "packed-refs");
        if (File.Exists(packed))
            foreach (var line in File.ReadLines(packed))
                if (line.EndsWith(" " + reference, StringComparison.Ordinal))
                    return new GitInfo(line[..line.IndexOf(' ')], branch);
        return null; // a branch with no commits yet
    }
}

/// <summary>Readable generated run names ("brave-owl-417"), like MLflow's.</summary>
internal static class RunNames
{
    private static readonly string[] Adjectives =
        ["agile", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fancy", "gentle", "happy", "keen", "lively", "merry", "nimble", "proud", "quick", "quiet", "sharp", "swift", "tidy", "vivid", "warm", "wise"];

    private static readonly string[] Nouns =
        ["ant", "bass", "bear", "crow", "deer", "dove", "eel", "finch", "fox", "gull", "hare", "hawk", "lark", "lynx", "mole", "moth", "newt", "owl", "panda", "seal", "shrew", "snail", "trout", "wren"];

    public static string Generate() =>
        $"{Adjectives[Random.Shared.Next(Adjectives.Length)]}-{Nouns[Random.Shared.Next(Nouns.Length)]}-{Random.Shared.Next(1000):D3}";
}
