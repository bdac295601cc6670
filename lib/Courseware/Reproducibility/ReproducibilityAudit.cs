using System.Diagnostics;
using System.Text;
using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>How hard an audit finding is.</summary>
public enum FindingSeverity
{
    /// <summary>Evidence that something is reproducible.</summary>
    Pass,
    /// <summary>Worth a look; not proof of a problem.</summary>
    Warning,
    /// <summary>The result is not reproducible as it stands.</summary>
    Failure,
}

/// <summary>Display helpers for severities.</summary>
public static class FindingSeverityExtensions
{
    /// <summary>The severity with a symbol that scans at a glance: ✗ Failure, ⚠ Warning, ✓ Pass.</summary>
    public static string Label(this FindingSeverity severity) => severity switch
    {
        FindingSeverity.Failure => "✗ Failure",
        FindingSeverity.Warning => "⚠ Warning",
        _ => "✓ Pass",
    };
}

/// <summary>One conclusion of an audit: what it is about, and what was seen.</summary>
/// <param name="Severity">How serious.</param>
/// <param name="Subject">The component, array, file or package concerned.</param>
/// <param name="Message">What was found and what it usually means.</param>
public sealed record AuditFinding(FindingSeverity Severity, string Subject, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Severity}: {Subject}: {Message}";
}

/// <summary>Settings of a <see cref="ReproducibilityAudit"/>.</summary>
public sealed record AuditOptions
{
    /// <summary>Runs with the same seeds (at least 2; more catch rarer nondeterminism such as thread scheduling).</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>What counts as the same result (default: bit for bit).</summary>
    public Tolerance Tolerance { get; init; } = Tolerance.Bitwise;

    /// <summary>Whether to re-run once per component with only that component's seed changed.</summary>
    public bool CheckSeedSensitivity { get; init; } = true;
}

/// <summary>What changing one component's seed (and nothing else) did.</summary>
/// <param name="Component">The component whose seed was changed.</param>
/// <param name="Changed">Outputs that changed and that do not vary between identical runs anyway.</param>
public sealed record SeedSensitivity(string Component, IReadOnlyList<string> Changed)
{
    /// <summary>True when the seed demonstrably controls something.</summary>
    public bool HasEffect => Changed.Count > 0;
}

/// <summary>
/// Runs a training function several times with the same <see cref="SeedPlan"/> and compares the outcomes, then once per
/// component with only that component's seed changed, to tell which seeds control what and where nondeterminism enters.
/// </summary>
/// <example><code>var audit = ReproducibilityAudit.Run(seeds => Train(seeds), new SeedPlan(42));</code></example>
public static class ReproducibilityAudit
{
    /// <summary>Audits <paramref name="train"/> under <paramref name="plan"/>.</summary>
    public static AuditResult Run(Func<SeedPlan, TrainingOutcome> train, SeedPlan plan, AuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        return RunAsync(p => Task.FromResult(train(p)), plan, options).GetAwaiter().GetResult();
    }

    /// <summary>Audits an asynchronous training function.</summary>
    public static async Task<AuditResult> RunAsync(Func<SeedPlan, Task<TrainingOutcome>> train, SeedPlan plan, AuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new AuditOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Repeats, 2, nameof(options.Repeats));

        var durations = new List<TimeSpan>();
        async Task<TrainingOutcome> Timed(SeedPlan p)
        {
            var clock = Stopwatch.StartNew();
            var outcome = await train(p).ConfigureAwait(false) ?? throw new InvalidOperationException("The training function returned null.");
            durations.Add(clock.Elapsed);
            return outcome;
        }

        var reference = await Timed(plan).ConfigureAwait(false);
        var repeats = new List<RunComparison>();
        for (var i = 1; i < options.Repeats; i++)
            repeats.Add(RunComparison.Compare(await Timed(plan).ConfigureAwait(false), reference, options.Tolerance));

        var noisy = repeats.SelectMany(r => r.Metrics.Concat(r.Arrays)).Where(c => !c.Matches).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var sensitivity = new List<SeedSensitivity>();
        if (options.CheckSeedSensitivity)
        {
            foreach (var component in plan.Components)
            {
                var varied = RunComparison.Compare(await Timed(plan.Vary(component)).ConfigureAwait(false), reference, options.Tolerance);
                var changed = varied.Arrays.Concat(varied.Metrics).Where(c => !c.Matches && !noisy.Contains(c.Name)).Select(c => c.Name).ToList();
                sensitivity.Add(new SeedSensitivity(component, changed));
            }
        }
        return new AuditResult(plan, options.Tolerance, repeats, sensitivity, durations, reference);
    }

    /// <summary>
    /// Bisects which components' seeds explain why runs under <paramref name="a"/> and <paramref name="b"/> differ: plans
    /// mixing A's and B's seeds are run, halving the set of differing components each time (one run per step for a
    /// single culprit). Needs a training function that is deterministic under a fixed plan.
    /// </summary>
    public static BisectResult Bisect(Func<SeedPlan, TrainingOutcome> train, SeedPlan a, SeedPlan b, Tolerance? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        tolerance ??= Tolerance.Bitwise;
        var missing = b.Components.Except(a.Components, StringComparer.Ordinal).ToList();
        if (missing.Count > 0) throw new ArgumentException($"Plan B has components plan A lacks: {string.Join(", ", missing)}.", nameof(b));

        var differing = a.Components.Where(c => a.Seed(c) != b.Seed(c)).ToList();
        var runs = 0;
        TrainingOutcome RunWith(IEnumerable<string> fromB)
        {
            runs++;
            return train(fromB.Aggregate(a, (plan, c) => plan.WithSeed(c, b.Seed(c))));
        }

        var outcomeA = RunWith([]);
        if (!RunComparison.Compare(RunWith([]), outcomeA, tolerance).Reproduced)
            throw new InvalidOperationException("The training function gives different results for the same seeds, so seed bisection cannot attribute differences; run ReproducibilityAudit.Run first.");

        // Delta debugging: a set explains a difference if A with that set's seeds taken from B differs from A.
        var culprits = new List<string>();
        void Search(List<string> set)
        {
            if (set.Count == 0 || RunComparison.Compare(RunWith(set), outcomeA, tolerance).Reproduced) return;
            if (set.Count == 1) { culprits.Add(set[0]); return; }
            var half = set.Count / 2;
            Search(set[..half]);
            Search(set[half..]);
        }
        Search(differing);
        return new BisectResult(differing, culprits, runs);
    }

    /// <summary>
    /// Trains once per master seed (same components, all seeds re-derived) and collects the metrics — the raw material
    /// for a multi-seed claim; the summary (mean ± std, t-interval) belongs to Courseware.Evaluation.
    /// </summary>
    public static SeedSweep AcrossSeeds(Func<SeedPlan, TrainingOutcome> train, SeedPlan plan, IEnumerable<int> masterSeeds)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(plan);
        var runs = masterSeeds.Distinct().Select(seed => (seed, outcome: train(plan.WithMasterSeed(seed)))).ToList();
        if (runs.Count == 0) throw new ArgumentException("Give at least one master seed.", nameof(masterSeeds));
        return new SeedSweep(runs.Select(r => r.seed).ToList(), runs.Select(r => r.outcome).ToList());
    }
}

/// <summary>The components whose differing seeds explain a difference between two runs.</summary>
/// <param name="DifferingComponents">Components whose seeds differ between the two plans.</param>
/// <param name="Culprits">Those whose difference alone changes the outcome.</param>
/// <param name="Runs">Training runs used.</param>
public sealed record BisectResult(IReadOnlyList<string> DifferingComponents, IReadOnlyList<string> Culprits, int Runs)
{
    /// <inheritdoc />
    public override string ToString() => Culprits.Count == 0
        ? $"None of the differing seeds ({string.Join(", ", DifferingComponents)}) changes the outcome ({Runs} runs)."
        : $"The outcome changes with the seed of: {string.Join(", ", Culprits)} ({Runs} runs).";
}

/// <summary>The same training under several master seeds.</summary>
/// <param name="MasterSeeds">The master seeds, in run order.</param>
/// <param name="Outcomes">One outcome per master seed.</param>
public sealed record SeedSweep(IReadOnlyList<int> MasterSeeds, IReadOnlyList<TrainingOutcome> Outcomes)
{
    /// <summary>Metric names present in every run.</summary>
    public IReadOnlyList<string> MetricNames =>
        Outcomes[0].Metrics.Select(m => m.Key).Where(k => Outcomes.All(o => o.Metrics.Any(m => m.Key == k))).ToList();

    /// <summary>The metric's value in each run, in seed order (the sample Evaluation summarises).</summary>
    public double[] Values(string metric) => Outcomes.Select((o, i) =>
    {
        foreach (var m in o.Metrics) if (m.Key == metric) return m.Value;
        throw new KeyNotFoundException($"Run with master seed {MasterSeeds[i]} has no metric '{metric}'.");
    }).ToArray();
}

/// <summary>The result of <see cref="ReproducibilityAudit.Run"/>: repeat comparisons, seed sensitivity and the findings drawn from them.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class AuditResult
{
    internal AuditResult(SeedPlan plan, Tolerance tolerance, IReadOnlyList<RunComparison> repeats, IReadOnlyList<SeedSensitivity> sensitivity,
        IReadOnlyList<TimeSpan> durations, TrainingOutcome reference)
    {
        Plan = plan;
        Tolerance = tolerance;
        Repeats = repeats;
        Sensitivity = sensitivity;
        RunDurations = durations;
        Reference = reference;
        Findings = DrawFindings();
    }

    /// <summary>The plan audited.</summary>
    public SeedPlan Plan { get; }

    /// <summary>The tolerance used.</summary>
    public Tolerance Tolerance { get; }

    /// <summary>Each repeat compared with the first run.</summary>
    public IReadOnlyList<RunComparison> Repeats { get; }

    /// <summary>Per component: what its seed controls (empty when the check was off).</summary>
    public IReadOnlyList<SeedSensitivity> Sensitivity { get; }

    /// <summary>Wall time of every training run the audit made.</summary>
    public IReadOnlyList<TimeSpan> RunDurations { get; }

    /// <summary>The first run's outcome.</summary>
    public TrainingOutcome Reference { get; }

    /// <summary>True when every repeat matched the first run.</summary>
    public bool Reproduced => Repeats.All(r => r.Reproduced);

    /// <summary>Outputs that differed between runs with identical seeds.</summary>
    public IReadOnlyList<string> Nondeterministic =>
        Repeats.SelectMany(r => r.Metrics.Concat(r.Arrays)).Where(c => !c.Matches).Select(c => c.Name).Distinct().ToList();

    /// <summary>The earliest array, in pipeline order, that differed in any repeat.</summary>
    public ArrayComparison? FirstDivergence
    {
        get
        {
            var order = Reference.Arrays.Select((a, i) => (a.Key, i)).ToDictionary(p => p.Key, p => p.i, StringComparer.Ordinal);
            return Repeats.Select(r => r.FirstDivergence).OfType<ArrayComparison>()
                .MinBy(c => order.GetValueOrDefault(c.Name, int.MaxValue));
        }
    }

    /// <summary>The conclusions, failures first.</summary>
    public IReadOnlyList<AuditFinding> Findings { get; }

    /// <summary>The component that owns an output by name: "shuffle.order" and "shuffle" belong to "shuffle".</summary>
    public string? OwnerOf(string output) => Plan.Components
        .Where(c => output.Equals(c, StringComparison.Ordinal) || output.StartsWith(c + ".", StringComparison.Ordinal) || output.StartsWith(c + "/", StringComparison.Ordinal))
        .MaxBy(c => c.Length);

    private List<AuditFinding> DrawFindings()
    {
        var findings = new List<AuditFinding>();
        var runs = Repeats.Count + 1;
        var first = FirstDivergence;
        if (Reproduced)
        {
            findings.Add(new(FindingSeverity.Pass, "repeat",
                $"{runs} runs with the same seeds agree {(Repeats.All(r => r.BitwiseIdentical) ? "bit for bit" : $"within {Tolerance}")}."));
        }
        else if (first is null)
        {
            var metric = Repeats.SelectMany(r => r.Metrics).First(m => !m.Matches);
            findings.Add(new(FindingSeverity.Failure, metric.Name, $"Runs with the same seeds report different values: {metric.Describe()}. Record intermediate arrays to locate where they diverge."));
        }
        else
        {
            var owner = OwnerOf(first.Name);
            var ownerSensitivity = Sensitivity.FirstOrDefault(s => s.Component == owner);
            var message = $"Runs with the same seeds differ; they first diverge at '{first.Name}' ({first.Describe()}). ";
            message += owner switch
            {
                null => "Every seeded stage before it matched, so the nondeterminism is not a seed: look for an order-dependent floating-point reduction (a parallel or atomic sum), a thread-count or device dependence, or a nondeterministic GPU kernel.",
                _ when ownerSensitivity is null => $"It belongs to component '{owner}'.",
                _ when !ownerSensitivity.HasEffect => $"Component '{owner}' ignores its seed: changing it changes nothing, yet its output varies — an unseeded generator (new Random()) or one seeded from the clock.",
                _ => $"Component '{owner}' uses its seed, yet its output still varies: it has a second, unseeded source of randomness.",
            };
            findings.Add(new(FindingSeverity.Failure, owner ?? first.Name, message));
        }

        foreach (var s in Sensitivity.Where(s => !s.HasEffect && s.Component != (first is null ? null : OwnerOf(first.Name))))
        {
            var hidden = Nondeterministic.Count > 0 ? " beyond the run-to-run variation (which may hide its effect)" : "";
            findings.Add(new(FindingSeverity.Warning, s.Component,
                $"Changing the seed of '{s.Component}' changes no output{hidden}: the component is unused, or it draws from another generator."));
        }
        foreach (var s in Sensitivity.Where(s => s.HasEffect))
            findings.Add(new(FindingSeverity.Pass, s.Component, $"Its seed controls: {string.Join(", ", s.Changed)}."));
        return findings.OrderByDescending(f => f.Severity).ToList();
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, Findings);

    /// <summary>Markdown: findings, then the repeat comparisons.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Plan: `{Plan}`; tolerance: {Tolerance}; {RunDurations.Count} training runs.").AppendLine();
        sb.AppendLine("| severity | subject | finding |").AppendLine("|---|---|---|");
        foreach (var f in Findings) sb.AppendLine($"| {f.Severity.Label()} | {Markdown.Cell(f.Subject)} | {Markdown.Cell(f.Message)} |");
        sb.AppendLine();
        for (var i = 0; i < Repeats.Count; i++) sb.AppendLine($"- Repeat {i + 2} vs run 1: {Markdown.Cell(Repeats[i].ToString())}");
        return sb.ToString();
    }
}

/// <summary>Markdown escaping for table cells.</summary>
internal static class Markdown
{
    /// <summary>Escapes &amp;, &lt; and &gt; (Markdown renders raw HTML), pipes and backslashes; newlines become &lt;br&gt;.</summary>
    public static string Cell(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")
        .Replace("\\", "\\\\").Replace("|", "\\|").Replace("\r", "").Replace("\n", "<br>");
}
