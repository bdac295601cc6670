using System.Globalization;
using System.Text;
using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>How well the evidence answers a checklist item.</summary>
public enum ChecklistStatus
{
    /// <summary>The evidence collected answers it.</summary>
    Evidenced,
    /// <summary>The evidence answers part of it; the rest needs a statement.</summary>
    Partial,
    /// <summary>The evidence shows it is not met.</summary>
    Failing,
    /// <summary>Answered by the author's statement, not by collected evidence.</summary>
    Stated,
    /// <summary>Neither evidence nor a statement.</summary>
    Missing,
}

/// <summary>One item of the ML Reproducibility Checklist (v2.0, Pineau et al., used by NeurIPS 2019–2020).</summary>
/// <param name="Id">Section.item, e.g. "4.1".</param>
/// <param name="Section">The checklist's section heading.</param>
/// <param name="Text">The item as the checklist words it.</param>
/// <param name="Status">How it is answered.</param>
/// <param name="Evidence">What answers it (or why it fails, or what is missing).</param>
public sealed record ChecklistItem(string Id, string Section, string Text, ChecklistStatus Status, string Evidence);

/// <summary>
/// A reproducibility report: environment, data hashes, seeds, configuration, audit results and the ML Reproducibility
/// Checklist filled in from that evidence (items the evidence cannot answer take the author's <see cref="Statements"/>
/// and are marked missing otherwise). Renders as HTML and Markdown.
/// </summary>
/// <example><code>var report = new ReproducibilityReport("Penguin classifier") { Environment = env, Seeds = seeds, Audit = audit };</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed partial class ReproducibilityReport(string title)
{
    private static readonly (string Id, string Section, string Text)[] Items =
    [
        ("1.1", "For all models and algorithms presented", "A clear description of the mathematical setting, algorithm, and/or model."),
        ("1.2", "For all models and algorithms presented", "A clear explanation of any assumptions."),
        ("1.3", "For all models and algorithms presented", "An analysis of the complexity (time, space, sample size) of any algorithm."),
        ("2.1", "For any theoretical claim", "A clear statement of the claim."),
        ("2.2", "For any theoretical claim", "A complete proof of the claim."),
        ("3.1", "For all datasets used", "The relevant statistics, such as number of examples."),
        ("3.2", "For all datasets used", "The details of train / validation / test splits."),
        ("3.3", "For all datasets used", "An explanation of any data that were excluded, and all pre-processing step."),
        ("3.4", "For all datasets used", "A link to a downloadable version of the dataset or simulation environment."),
        ("3.5", "For all datasets used", "For new data collected, a complete description of the data collection process, such as instructions to annotators and methods for quality control."),
        ("4.1", "For all shared code related to this work", "Specification of dependencies."),
        ("4.2", "For all shared code related to this work", "Training code."),
        ("4.3", "For all shared code related to this work", "Evaluation code."),
        ("4.4", "For all shared code related to this work", "(Pre-)trained model(s)."),
        ("4.5", "For all shared code related to this work", "README file includes table of results accompanied by precise command to run to produce those results."),
        ("5.1", "For all reported experimental results", "The range of hyper-parameters considered, method to select the best hyper-parameter configuration, and specification of all hyper-parameters used to generate results."),
        ("5.2", "For all reported experimental results", "The exact number of training and evaluation runs."),
        ("5.3", "For all reported experimental results", "A clear definition of the specific measure or statistics used to report results."),
        ("5.4", "For all reported experimental results", "A description of results with central tendency (e.g. mean) & variation (e.g. error bars)."),
        ("5.5", "For all reported experimental results", "The average runtime for each result, or estimated energy cost."),
        ("5.6", "For all reported experimental results", "A description of the computing infrastructure used."),
    ];

    /// <summary>The report's title.</summary>
    public string Title { get; } = title;

    /// <summary>Where it ran.</summary>
    public EnvironmentSnapshot? Environment { get; init; }

    /// <summary>The seeds used.</summary>
    public SeedPlan? Seeds { get; init; }

    /// <summary>Data the run used, each checked against the data on disk now (<see cref="DataManifest.VerifyAsync"/>).</summary>
    public IReadOnlyList<DataVerification> Data { get; init; } = [];

    /// <summary>The package pin check.</summary>
    public PackageVersionCheck? Packages { get; init; }

    /// <summary>The resolved configuration as YAML (<c>ResolvedConfig.ToYaml()</c>).</summary>
    public string? ConfigYaml { get; init; }

    /// <summary>The exact command that produced the run.</summary>
    public string? Command { get; init; }

    /// <summary>The repeat / seed-sensitivity audit.</summary>
    public AuditResult? Audit { get; init; }

    /// <summary>Runs under several master seeds.</summary>
    public SeedSweep? SeedSweep { get; init; }

    /// <summary>The multi-seed summary (mean ± std, 95 % t-interval) as Courseware.Evaluation words it, one line per metric.</summary>
    public IReadOnlyList<string> MultiSeedSummary { get; init; } = [];

    /// <summary>The author's answers to checklist items, by id ("1.1" …); "N/A" is an answer too.</summary>
    public IReadOnlyDictionary<string, string> Statements { get; init; } = new Dictionary<string, string>();

    /// <summary>Every finding: the audit's, changed data, unpinned packages, uncommitted code.</summary>
    public IReadOnlyList<AuditFinding> Findings
    {
        get
        {
            var findings = new List<AuditFinding>(Audit?.Findings ?? []);
            foreach (var d in Data)
                findings.Add(d.Matches
                    ? new(FindingSeverity.Pass, d.Expected.Root, $"Data unchanged since the run ({d.Expected.Md5}).")
                    : new(FindingSeverity.Failure, d.Expected.Root, $"The data on disk is not the data the run used: {d}"));
            if (Packages is not null)
            {
                findings.AddRange(Packages.Problems.Select(p => new AuditFinding(FindingSeverity.Failure, p.Package, $"{p.File}({p.Line}): {p.Problem}")));
                if (Packages.Passed) findings.Add(new(FindingSeverity.Pass, "packages", Packages.ToString()));
            }
            if (Environment?.Git is { Dirty: true } git)
                findings.Add(new(FindingSeverity.Warning, "code", $"Uncommitted changes ({git.ChangedPaths.Count} paths, sha256 {git.UncommittedHash}): commit {git.Commit[..Math.Min(12, git.Commit.Length)]} alone does not reproduce this run."));
            return findings.OrderByDescending(f => f.Severity).ToList();
        }
    }

    /// <summary>The checklist, filled in from the evidence and the statements.</summary>
    public IReadOnlyList<ChecklistItem> Checklist => Items.Select(i =>
    {
        var (status, evidence) = Evaluate(i.Id);
        if (Statements.TryGetValue(i.Id, out var statement) && status is not (ChecklistStatus.Evidenced or ChecklistStatus.Failing))
            (status, evidence) = (ChecklistStatus.Stated, evidence.Length == 0 ? statement : $"{evidence} {statement}");
        if (status == ChecklistStatus.Missing && evidence.Length == 0) evidence = "No evidence collected and no statement given.";
        return new ChecklistItem(i.Id, i.Section, i.Text, status, evidence);
    }).ToList();

    private (ChecklistStatus, string) Evaluate(string id)
    {
        var git = Environment?.Git;
        switch (id)
        {
            case "3.1" when Data.Count > 0:
                return (ChecklistStatus.Partial, $"{string.Join("; ", Data.Select(d => $"{Path.GetFileName(d.Expected.Root)}: {d.Expected.Files.Count} file(s), {d.Expected.Size} bytes"))}; the number of examples needs a statement.");
            case "3.2" when Seeds?.Components.Contains(SeedComponents.DataSplit) == true:
                return (ChecklistStatus.Partial, $"The split is drawn with seed {Seeds[SeedComponents.DataSplit]} ({SeedComponents.DataSplit}), so it can be redrawn; its sizes need a statement.");
            case "3.4" when Data.Count > 0:
                return Data.All(d => d.Matches)
                    ? (ChecklistStatus.Partial, $"Content hashes identify the exact data ({string.Join(", ", Data.Select(d => d.Expected.Md5))}); a download link needs a statement.")
                    : (ChecklistStatus.Failing, "The data on disk differs from the data the run used: " + string.Join(" ", Data.Where(d => !d.Matches)));
            case "4.1" when Packages is { Passed: false }:
                return (ChecklistStatus.Failing, $"{Packages.Problems.Count} package version(s) not pinned: {string.Join("; ", Packages.Problems.Select(p => p.Package))}.");
            case "4.1" when Environment is { Packages.Count: > 0 }:
                return Packages is { Passed: true }
                    ? (ChecklistStatus.Evidenced, $"{Environment.Packages.Count} packages with exact versions and content hashes recorded; every version is pinned.")
                    : (ChecklistStatus.Partial, $"{Environment.Packages.Count} packages with exact versions recorded; pins not checked.");
            case "4.2" or "4.3" when git is not null:
                var which = id == "4.2" ? "Training" : "Evaluation";
                return git.Dirty
                    ? (ChecklistStatus.Failing, $"{which} code is commit {git.Commit} plus uncommitted changes (sha256 {git.UncommittedHash}).")
                    : (id == "4.2" ? ChecklistStatus.Evidenced : ChecklistStatus.Partial, $"{which} code is commit {git.Commit}{(git.Branch is null ? "" : $" ({git.Branch})")}, clean tree.");
            case "4.5" when Command is not null:
                return (ChecklistStatus.Partial, $"Exact command recorded: {Command}. The README's results table needs a statement.");
            case "5.1" when ConfigYaml is not null:
                return (ChecklistStatus.Partial, "Every hyper-parameter used is in the resolved configuration (below); the range searched and the selection method need a statement.");
            case "5.2" when Audit is not null || SeedSweep is not null:
                var parts = new List<string>();
                if (Audit is not null) parts.Add($"{Audit.RunDurations.Count} training runs in the reproducibility audit");
                if (SeedSweep is not null) parts.Add($"{SeedSweep.MasterSeeds.Count} runs over master seeds {string.Join(", ", SeedSweep.MasterSeeds)}");
                return (ChecklistStatus.Evidenced, string.Join("; ", parts) + ".");
            case "5.4" when MultiSeedSummary.Count > 0:
                return (ChecklistStatus.Evidenced, string.Join(" ", MultiSeedSummary));
            case "5.4" when SeedSweep is not null:
                return (ChecklistStatus.Partial, $"Per-seed values from {SeedSweep.MasterSeeds.Count} seeds are below; the summary (mean ± std, interval) is missing.");
            case "5.5" when Audit is { RunDurations.Count: > 0 }:
                return (ChecklistStatus.Evidenced, string.Create(CultureInfo.InvariantCulture, $"Average wall time per training run: {Audit.RunDurations.Average(d => d.TotalSeconds):G4} s over {Audit.RunDurations.Count} runs."));
            case "5.6" when Environment is not null:
                return (ChecklistStatus.Evidenced, Environment.ToString());
            default:
                return (ChecklistStatus.Missing, "");
        }
    }

    /// <summary>The report as Markdown.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Reproducibility report: {Markdown.Cell(Title)}").AppendLine();
        sb.AppendLine("## Findings").AppendLine().AppendLine("| severity | subject | finding |").AppendLine("|---|---|---|");
        foreach (var f in Findings) sb.AppendLine($"| {f.Severity.Label()} | {Markdown.Cell(f.Subject)} | {Markdown.Cell(f.Message)} |");
        sb.AppendLine().AppendLine("## ML Reproducibility Checklist (v2.0)").AppendLine().AppendLine("| item | requirement | status | evidence |").AppendLine("|---|---|---|---|");
        foreach (var c in Checklist) sb.AppendLine($"| {c.Id} | {Markdown.Cell(c.Text)} | {c.Status} | {Markdown.Cell(c.Evidence)} |");
        if (Environment is not null)
        {
            sb.AppendLine().AppendLine("## Environment").AppendLine();
            sb.AppendLine($"- Runtime: {Markdown.Cell(Environment.Runtime)}; SDK: {Markdown.Cell(Environment.Sdk ?? "unknown")}");
            sb.AppendLine($"- OS: {Markdown.Cell(Environment.OperatingSystem)} ({Environment.RuntimeIdentifier})");
            sb.AppendLine($"- CPU: {Markdown.Cell(Environment.Cpu)}, {Environment.LogicalCores} logical cores");
            sb.AppendLine($"- GPU: {Markdown.Cell(Environment.Gpus.Count == 0 ? Environment.GpuStatus : string.Join("; ", Environment.Gpus.Select(g => $"{g.Name}, driver {g.Driver}")))}");
            sb.AppendLine($"- Code: {Markdown.Cell(Environment.Git is { } g ? $"{g.Commit}{(g.Dirty ? $" + uncommitted changes {g.UncommittedHash}" : " (clean)")}" : Environment.GitStatus ?? "")}");
            sb.AppendLine($"- Packages: {Environment.Packages.Count} ({Markdown.Cell(string.Join(", ", Environment.Packages.Select(p => $"{p.Name} {p.Version}")))})");
            foreach (var (k, v) in Environment.Variables) sb.AppendLine($"- `{k}` = `{Markdown.Cell(v)}`");
        }
        if (Data.Count > 0)
        {
            sb.AppendLine().AppendLine("## Data").AppendLine().AppendLine("| data | md5 (DVC) | files | bytes | now |").AppendLine("|---|---|---|---|---|");
            foreach (var d in Data) sb.AppendLine($"| {Markdown.Cell(d.Expected.Root)} | {d.Expected.Md5} | {d.Expected.Files.Count} | {d.Expected.Size} | {Markdown.Cell(d.Matches ? "unchanged" : d.ToString())} |");
        }
        if (Seeds is not null)
        {
            sb.AppendLine().AppendLine($"## Seeds (master {Seeds.MasterSeed})").AppendLine().AppendLine("| component | seed |").AppendLine("|---|---|");
            foreach (var c in Seeds.Components) sb.AppendLine($"| {Markdown.Cell(c)} | {Seeds[c]} |");
        }
        if (ConfigYaml is not null || Command is not null)
        {
            sb.AppendLine().AppendLine("## Configuration").AppendLine();
            if (Command is not null) sb.AppendLine("```").AppendLine(Command).AppendLine("```");
            if (ConfigYaml is not null) sb.AppendLine("```yaml").Append(ConfigYaml.TrimEnd()).AppendLine().AppendLine("```");
        }
        if (Audit is not null) sb.AppendLine().AppendLine("## Audit").AppendLine().Append(Audit.ToMarkdown());
        if (SeedSweep is not null)
        {
            var metrics = SeedSweep.MetricNames;
            sb.AppendLine().AppendLine("## Runs over seeds").AppendLine();
            foreach (var line in MultiSeedSummary) sb.AppendLine($"- {Markdown.Cell(line)}");
            sb.AppendLine().AppendLine("| master seed | " + string.Join(" | ", metrics.Select(Markdown.Cell)) + " |").AppendLine("|---|" + string.Concat(metrics.Select(_ => "---|")));
            for (var i = 0; i < SeedSweep.MasterSeeds.Count; i++)
                sb.AppendLine($"| {SeedSweep.MasterSeeds[i]} | " + string.Join(" | ", metrics.Select(m => Html.FormatNumber(SeedSweep.Values(m)[i]))) + " |");
        }
        return sb.ToString();
    }

    /// <summary>The report as a standalone HTML page.</summary>
    public string ToStandaloneHtml() =>
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{Html.Escape(Title)}</title></head><body>{ReproducibilityHtml.Report(this)}</body></html>";

    /// <summary>Writes <c>reproducibility.html</c> (a standalone page) and <c>reproducibility.md</c> into <paramref name="directory"/>; returns their paths.</summary>
    public IReadOnlyList<string> Save(string directory)
    {
        var html = Path.Combine(directory, "reproducibility.html");
        var md = Path.Combine(directory, "reproducibility.md");
        AtomicFile.WriteAllText(html, ToStandaloneHtml());
        AtomicFile.WriteAllText(md, ToMarkdown());
        return [html, md];
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Title}: {Findings.Count(f => f.Severity == FindingSeverity.Failure)} failure(s), {Findings.Count(f => f.Severity == FindingSeverity.Warning)} warning(s); checklist: " +
        string.Join(", ", Checklist.GroupBy(c => c.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
}
