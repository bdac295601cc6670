using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>A NuGet package the build resolved.</summary>
/// <param name="Name">Package id.</param>
/// <param name="Version">Resolved version.</param>
/// <param name="Sha512">The package's content hash as NuGet recorded it (base64), when the file has it.</param>
public sealed record PackageInfo(string Name, string Version, string? Sha512 = null);

/// <summary>A GPU as nvidia-smi reports it.</summary>
/// <param name="Name">Model name.</param>
/// <param name="Driver">Driver version.</param>
/// <param name="MemoryMiB">Total memory in MiB.</param>
public sealed record GpuInfo(string Name, string Driver, string MemoryMiB);

/// <summary>The code's version: commit, and a hash of whatever is not committed.</summary>
/// <param name="Commit">HEAD's commit id.</param>
/// <param name="Branch">Current branch (null when detached).</param>
/// <param name="UncommittedHash">SHA-256 over <c>git diff HEAD --binary</c> and every untracked, not-ignored file (path and content); null when the tree is clean.</param>
/// <param name="ChangedPaths">Paths modified, staged, deleted or untracked.</param>
public sealed record GitState(string Commit, string? Branch, string? UncommittedHash, IReadOnlyList<string> ChangedPaths)
{
    /// <summary>True when something is not committed: the commit id alone does not identify the code.</summary>
    public bool Dirty => UncommittedHash is not null;
}

/// <summary>What to capture besides the always-captured runtime, OS and CPU.</summary>
public sealed record EnvironmentCaptureOptions
{
    /// <summary>Variables recorded by default: the ones known to change numerical results or their reproduction.</summary>
    public static IReadOnlyList<string> DefaultVariables { get; } =
    [
        "CUDA_VISIBLE_DEVICES", "CUBLAS_WORKSPACE_CONFIG", "NVIDIA_TF32_OVERRIDE", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS", "DOTNET_gcServer", "DOTNET_TieredCompilation", "DOTNET_TieredPGO", "DOTNET_ReadyToRun",
        "DOTNET_EnableHWIntrinsic", "DOTNET_PreferredVectorBitWidth", "TZ", "LANG", "LC_ALL",
    ];

    /// <summary>Folder inside the git repository whose state is recorded (default: the current directory).</summary>
    public string? RepositoryPath { get; init; }

    /// <summary>deps.json, project.assets.json or packages.lock.json to read packages from (default: Courseware.deps.json beside the library, else the application's deps.json).</summary>
    public string? PackagesFile { get; init; }

    /// <summary>Environment variables to record (exact names). Names that look like secrets are withheld whatever this says.</summary>
    public IReadOnlyList<string> Variables { get; init; } = DefaultVariables;

    /// <summary>Whether to run git, nvidia-smi and dotnet (off: those parts are recorded as not captured).</summary>
    public bool RunTools { get; init; } = true;
}

/// <summary>
/// The machine and software a result was produced on: .NET runtime and SDK, OS, CPU, GPUs and driver, every resolved
/// package, the git commit plus a hash of uncommitted changes, and allow-listed environment variables.
/// </summary>
/// <example><code>var env = EnvironmentSnapshot.Capture(); env.Save("runs/42/environment.json");</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed partial class EnvironmentSnapshot
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>When it was captured (UTC).</summary>
    public DateTimeOffset CapturedAt { get; init; }
    /// <summary>e.g. ".NET 10.0.1".</summary>
    public string Runtime { get; init; } = "";
    /// <summary>SDK version as <c>dotnet --version</c> reports it in the repository (global.json applies), or null.</summary>
    public string? Sdk { get; init; }
    /// <summary>OS description, e.g. "Debian GNU/Linux 12 (bookworm); kernel 6.1.0-18-amd64".</summary>
    public string OperatingSystem { get; init; } = "";
    /// <summary>Runtime identifier, e.g. linux-x64.</summary>
    public string RuntimeIdentifier { get; init; } = "";
    /// <summary>CPU model name.</summary>
    public string Cpu { get; init; } = "";
    /// <summary>Logical processors visible to the process.</summary>
    public int LogicalCores { get; init; }
    /// <summary>GPUs found (empty when none).</summary>
    public IReadOnlyList<GpuInfo> Gpus { get; init; } = [];
    /// <summary>How GPUs were looked for, e.g. "none found: nvidia-smi is not on PATH".</summary>
    public string GpuStatus { get; init; } = "";
    /// <summary>Every package the build resolved, sorted by name.</summary>
    public IReadOnlyList<PackageInfo> Packages { get; init; } = [];
    /// <summary>The file(s) the packages came from ("; "-separated).</summary>
    public string? PackagesSource { get; init; }
    /// <summary>Code version, or null outside a git repository.</summary>
    public GitState? Git { get; init; }
    /// <summary>Why <see cref="Git"/> is null, when it is.</summary>
    public string? GitStatus { get; init; }
    /// <summary>Allow-listed environment variables that are set.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
    /// <summary>Allow-listed names withheld because they look like secrets (values never read).</summary>
    public IReadOnlyList<string> WithheldVariables { get; init; } = [];

    /// <summary>Captures the current environment.</summary>
    public static EnvironmentSnapshot Capture(EnvironmentCaptureOptions? options = null)
    {
        options ??= new EnvironmentCaptureOptions();
        var repo = Path.GetFullPath(options.RepositoryPath ?? Environment.CurrentDirectory);
        var packagesFiles = options.PackagesFile is { } given ? [given] : DefaultPackagesFiles();
        var (gpus, gpuStatus) = options.RunTools ? QueryGpus() : ([], "not captured (tools disabled)");
        var (git, gitStatus) = options.RunTools ? QueryGit(repo) : (null, "not captured (tools disabled)");
        var (variables, withheld) = ReadVariables(options.Variables);
        return new EnvironmentSnapshot
        {
            CapturedAt = DateTimeOffset.UtcNow,
            Runtime = RuntimeInformation.FrameworkDescription,
            Sdk = options.RunTools ? QuerySdk(repo) : null,
            OperatingSystem = OsDescription(),
            RuntimeIdentifier = RuntimeInformation.RuntimeIdentifier,
            Cpu = CpuModel(),
            LogicalCores = Environment.ProcessorCount,
            Gpus = gpus,
            GpuStatus = gpuStatus,
            Packages = packagesFiles.SelectMany(ReadPackages).DistinctBy(p => (p.Name.ToLowerInvariant(), p.Version)).OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToList(),
            PackagesSource = packagesFiles.Count == 0 ? null : string.Join("; ", packagesFiles),
            Git = git,
            GitStatus = gitStatus,
            Variables = variables,
            WithheldVariables = withheld,
        };
    }

    /// <summary>
    /// Packages from a deps.json or project.assets.json ("libraries": {"Name/Version": {"type": "package", "sha512": …}})
    /// or a packages.lock.json ("dependencies": {tfm: {Name: {"resolved": …, "contentHash": …}}}).
    /// </summary>
    public static IReadOnlyList<PackageInfo> ReadPackages(string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON ({e.Message}).", e); }
        var packages = new Dictionary<string, PackageInfo>(StringComparer.OrdinalIgnoreCase);
        if (root?["libraries"] is JsonObject libraries)
        {
            foreach (var (key, value) in libraries)
            {
                if (value?["type"]?.GetValue<string>() != "package") continue;
                var slash = key.IndexOf('/');
                if (slash <= 0) throw new FormatException($"{path}: library key '{key}' is not 'Name/Version'.");
                packages[key] = new PackageInfo(key[..slash], key[(slash + 1)..], value["sha512"]?.GetValue<string>());
            }
        }
        else if (root?["dependencies"] is JsonObject frameworks)
        {
            foreach (var (_, deps) in frameworks)
            {
                foreach (var (name, dep) in deps?.AsObject() ?? [])
                {
                    if (dep?["type"]?.GetValue<string>() == "Project") continue;
                    var version = dep?["resolved"]?.GetValue<string>() ?? throw new FormatException($"{path}: package '{name}' has no 'resolved' version.");
                    packages[$"{name}/{version}"] = new PackageInfo(name, version, dep["contentHash"]?.GetValue<string>());
                }
            }
        }
        else
        {
            throw new FormatException($"{path}: expected a deps.json or project.assets.json ('libraries') or a packages.lock.json ('dependencies').");
        }
        return packages.Values.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Version, StringComparer.Ordinal).ToList();
    }

    /// <summary>Parses nvidia-smi's <c>--query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits</c> output.</summary>
    public static IReadOnlyList<GpuInfo> ParseNvidiaSmi(string csv) =>
        csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line =>
            {
                var fields = line.Split(',', StringSplitOptions.TrimEntries);
                if (fields.Length != 3) throw new FormatException($"nvidia-smi line '{line}': expected 3 comma-separated fields (name, driver_version, memory.total).");
                return new GpuInfo(fields[0], fields[1], fields[2]);
            }).ToList();

    /// <summary>
    /// SHA-256 of a repository's uncommitted state: <c>git diff HEAD --binary</c>, then each untracked, not-ignored file
    /// (sorted by path) as path, NUL, SHA-256 of its content. Null when nothing is uncommitted.
    /// </summary>
    public static string? HashUncommittedChanges(string repositoryPath) => QueryGit(Path.GetFullPath(repositoryPath)).Git?.UncommittedHash;

    /// <summary>Differences that can change a result, as "what: this → other" lines (capture time excluded).</summary>
    public IReadOnlyList<string> DifferencesFrom(EnvironmentSnapshot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var d = new List<string>();
        void Check(string what, object? a, object? b)
        {
            if (!Equals(a, b)) d.Add($"{what}: {a ?? "(none)"} → {b ?? "(none)"}");
        }
        Check("runtime", Runtime, other.Runtime);
        Check("sdk", Sdk, other.Sdk);
        Check("os", OperatingSystem, other.OperatingSystem);
        Check("rid", RuntimeIdentifier, other.RuntimeIdentifier);
        Check("cpu", Cpu, other.Cpu);
        Check("cores", LogicalCores, other.LogicalCores);
        Check("gpus", string.Join("; ", Gpus.Select(g => $"{g.Name} (driver {g.Driver})")), string.Join("; ", other.Gpus.Select(g => $"{g.Name} (driver {g.Driver})")));
        Check("commit", Git?.Commit, other.Git?.Commit);
        Check("uncommitted changes", Git?.UncommittedHash, other.Git?.UncommittedHash);
        var mine = Packages.ToDictionary(p => p.Name, p => p.Version, StringComparer.OrdinalIgnoreCase);
        var theirs = other.Packages.ToDictionary(p => p.Name, p => p.Version, StringComparer.OrdinalIgnoreCase);
        foreach (var name in mine.Keys.Union(theirs.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
            Check("package " + name, mine.GetValueOrDefault(name), theirs.GetValueOrDefault(name));
        foreach (var name in Variables.Keys.Union(other.Variables.Keys).Order(StringComparer.Ordinal))
            Check("env " + name, Variables.GetValueOrDefault(name), other.Variables.GetValueOrDefault(name));
        return d;
    }

    /// <summary>
    /// SHA-256 (hex) of everything <see cref="DifferencesFrom"/> compares — runtime, SDK, OS, CPU, cores, GPUs, commit,
    /// uncommitted-changes hash, package versions and recorded variables — and nothing else (not the capture time), so
    /// two runs share a fingerprint exactly when their environments do: one short value to log and filter runs by.
    /// </summary>
    public string Fingerprint
    {
        get
        {
            var text = new StringBuilder();
            void Line(string key, object? value) => text.Append(key).Append('\0').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
            Line("runtime", Runtime);
            Line("sdk", Sdk);
            Line("os", OperatingSystem);
            Line("rid", RuntimeIdentifier);
            Line("cpu", Cpu);
            Line("cores", LogicalCores);
            foreach (var g in Gpus) Line("gpu", $"{g.Name}\0{g.Driver}");
            Line("commit", Git?.Commit);
            Line("uncommitted", Git?.UncommittedHash);
            foreach (var p in Packages.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)) Line("package " + p.Name.ToLowerInvariant(), p.Version);
            foreach (var (k, v) in Variables.OrderBy(v => v.Key, StringComparer.Ordinal)) Line("env " + k, v);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        }
    }

    /// <summary>Indented JSON with snake_case names.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads <see cref="ToJson"/>'s output.</summary>
    public static EnvironmentSnapshot FromJson(string json) =>
        JsonSerializer.Deserialize<EnvironmentSnapshot>(json, Json) ?? throw new FormatException("Environment JSON is null.");

    /// <summary>Writes the JSON atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Loads a saved snapshot.</summary>
    public static EnvironmentSnapshot Load(string path) => FromJson(File.ReadAllText(path));

    /// <inheritdoc />
    public override string ToString() =>
        $"{Runtime} (SDK {Sdk ?? "unknown"}) on {OperatingSystem}, {Cpu} × {LogicalCores}; GPU: {(Gpus.Count == 0 ? GpuStatus : string.Join(", ", Gpus.Select(g => g.Name)))}; " +
        $"{Packages.Count} packages; {(Git is null ? GitStatus : $"commit {Git.Commit[..Math.Min(12, Git.Commit.Length)]}{(Git.Dirty ? " + uncommitted changes" : "")}")}";

    private static IReadOnlyList<string> DefaultPackagesFiles()
    {
        // In a notebook the host's deps.json describes the kernel, so the library's own deps.json comes first.
        var beside = Path.ChangeExtension(typeof(EnvironmentSnapshot).Assembly.Location, ".deps.json");
        if (File.Exists(beside)) return [beside];
        // The host lists the application's deps.json, then the frameworks' (no packages), ';'-separated on every OS.
        return (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string)?.Split(';').Where(File.Exists).ToList() ?? [];
    }

    private static (IReadOnlyList<GpuInfo>, string) QueryGpus()
    {
        ToolResult? result;
        try { result = ExternalTool.Run("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader,nounits"], timeout: TimeSpan.FromSeconds(20)); }
        catch (Exception e) when (e is TimeoutException or System.ComponentModel.Win32Exception) { return ([], $"none found: nvidia-smi failed ({e.Message})"); }
        if (result is null) return ([], "none found: nvidia-smi is not on PATH");
        if (!result.Succeeded) return ([], $"none found: nvidia-smi exited with {result.ExitCode} ({result.StandardError.Trim()})");
        var gpus = ParseNvidiaSmi(result.Text);
        return (gpus, gpus.Count == 0 ? "none found: nvidia-smi lists no GPU" : $"{gpus.Count} found by nvidia-smi");
    }

    private static (GitState? Git, string? Status) QueryGit(string repo)
    {
        ToolResult? Git(params string[] args) => ExternalTool.Run("git", ["-C", repo, .. args]);
        var head = Git("rev-parse", "HEAD");
        if (head is null) return (null, "not captured: git is not on PATH");
        if (!head.Succeeded) return (null, $"not captured: {head.StandardError.Trim()}");
        // Everything from the top of the work tree, whatever folder inside it was given.
        repo = Git("rev-parse", "--show-toplevel")!.Text.Trim();
        var branch = Git("symbolic-ref", "--short", "-q", "HEAD");
        var diff = Git("diff", "HEAD", "--binary", "--no-ext-diff", "--no-color")!;
        var untracked = Git("ls-files", "--others", "--exclude-standard", "-z")!;
        var status = Git("status", "--porcelain=v1", "-z", "--untracked-files=all")!;

        var untrackedPaths = untracked.Text.Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        var changed = status.Text.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(e => e.Length > 3).Select(e => e[3..]).ToList();
        string? hash = null;
        if (diff.StandardOutput.Length > 0 || untrackedPaths.Count > 0)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(diff.StandardOutput);
            foreach (var rel in untrackedPaths)
            {
                sha.AppendData(Encoding.UTF8.GetBytes("\0untracked\0" + rel + "\0"));
                using var file = File.OpenRead(Path.Combine(repo, rel));
                sha.AppendData(SHA256.HashData(file));
            }
            hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        return (new GitState(head.Text.Trim(), branch is { Succeeded: true } ? branch.Text.Trim() : null, hash, changed), null);
    }

    private static string? QuerySdk(string repo)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { } host && File.Exists(host) ? host : "dotnet";
        try
        {
            var result = ExternalTool.Run(dotnet, ["--version"], Directory.Exists(repo) ? repo : null);
            return result is { Succeeded: true } ? result.Text.Trim() : null;
        }
        catch (TimeoutException) { return null; }
    }

    private static string OsDescription()
    {
        if (File.Exists("/etc/os-release"))
        {
            var pretty = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            var kernel = File.Exists("/proc/sys/kernel/osrelease") ? "; kernel " + File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "";
            if (pretty is not null) return pretty["PRETTY_NAME=".Length..].Trim('"') + kernel;
        }
        return RuntimeInformation.OSDescription;
    }

    private static string CpuModel()
    {
        if (File.Exists("/proc/cpuinfo"))
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? $"{RuntimeInformation.ProcessArchitecture} (model unknown)";
    }

    private static (IReadOnlyDictionary<string, string>, IReadOnlyList<string>) ReadVariables(IEnumerable<string> names)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var withheld = new List<string>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (LooksSecret(name)) { withheld.Add(name); continue; }
            if (Environment.GetEnvironmentVariable(name) is { } value) values[name] = value;
        }
        return (values, withheld);
    }

    /// <summary>Names such as API_KEY, GITHUB_TOKEN, DB_PASSWORD or AWS_SECRET_ACCESS_KEY: never recorded.</summary>
    internal static bool LooksSecret(string name) => SecretName().IsMatch(name);

    [GeneratedRegex("(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|CREDENTIAL|AUTH|COOKIE|SESSION|CONNECTION_?STRING|PRIVATE)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
