using System.Text;
using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>
/// How reproducibility evidence looks in a notebook and in the saved <c>reproducibility.html</c> (the evidence itself is
/// plain data); the report is drawn from the renderers of its parts.
/// </summary>
internal static class ReproducibilityHtml
{
    [HtmlRenderer]
    public static string Report(ReproducibilityReport report)
    {
        var sb = new StringBuilder("<div class=\"cw-repro-report\" style=\"font-family:system-ui,sans-serif\">");
        sb.Append("<h2>").Append(Html.Escape($"Reproducibility report: {report.Title}")).Append("</h2>");
        sb.Append(Findings(report.Findings, "Findings"));
        sb.Append(Html.Table(["item", "requirement", "status", "evidence"], report.Checklist.Select(c => new object?[] { c.Id, c.Text, c.Status.ToString(), c.Evidence }),
            caption: "ML Reproducibility Checklist (v2.0)"));
        if (report.Environment is not null) sb.Append(Environment(report.Environment));
        if (report.Data.Count > 0)
            sb.Append(Html.Table(["data", "md5 (DVC)", "files", "bytes", "now"], report.Data.Select(d => new object?[] { d.Expected.Root, d.Expected.Md5, d.Expected.Files.Count, d.Expected.Size, d.Matches ? "unchanged" : d.ToString() }), caption: "Data"));
        if (report.Seeds is not null) sb.Append(Seeds(report.Seeds));
        if (report.Command is not null) sb.Append("<p><b>Command</b></p><pre>").Append(Html.Escape(report.Command)).Append("</pre>");
        if (report.ConfigYaml is not null) sb.Append("<p><b>Resolved configuration</b></p><pre>").Append(Html.Escape(report.ConfigYaml)).Append("</pre>");
        if (report.Audit is not null) sb.Append(Audit(report.Audit));
        if (report.SeedSweep is { } sweep)
        {
            var metrics = sweep.MetricNames;
            foreach (var line in report.MultiSeedSummary) sb.Append("<p>").Append(Html.Escape(line)).Append("</p>");
            sb.Append(Html.Table(["master seed", .. metrics], sweep.MasterSeeds.Select((seed, i) => new object?[] { seed }.Concat(metrics.Select(m => (object?)sweep.Values(m)[i]))), caption: "Runs over seeds"));
        }
        return sb.Append("</div>").ToString();
    }

    [HtmlRenderer]
    public static string Environment(EnvironmentSnapshot env)
    {
        var rows = new List<object?[]>
        {
            new object?[] { ".NET runtime", env.Runtime },
            new object?[] { ".NET SDK", env.Sdk ?? "unknown" },
            new object?[] { "OS", $"{env.OperatingSystem} ({env.RuntimeIdentifier})" },
            new object?[] { "CPU", $"{env.Cpu}, {env.LogicalCores} logical cores" },
            new object?[] { "GPU", env.Gpus.Count == 0 ? env.GpuStatus : string.Join("; ", env.Gpus.Select(g => $"{g.Name}, driver {g.Driver}, {g.MemoryMiB} MiB")) },
            new object?[] { "git", env.Git is null ? env.GitStatus : $"{env.Git.Commit}{(env.Git.Branch is null ? "" : $" ({env.Git.Branch})")}" },
            new object?[] { "uncommitted", env.Git is null ? "" : env.Git.Dirty ? $"{env.Git.ChangedPaths.Count} paths, sha256 {env.Git.UncommittedHash}" : "none (clean tree)" },
        };
        rows.AddRange(env.Variables.Select(v => new object?[] { "env " + v.Key, v.Value }));
        if (env.WithheldVariables.Count > 0) rows.Add(["withheld", string.Join(", ", env.WithheldVariables)]);
        var sb = new StringBuilder("<div class=\"cw-environment\">");
        sb.Append(Html.Table(["", "value"], rows, caption: $"Environment captured {env.CapturedAt:u}"));
        sb.Append("<details><summary>").Append(Html.Escape($"{env.Packages.Count} packages ({env.PackagesSource ?? "no packages file"})")).Append("</summary>");
        sb.Append(Html.Table(["package", "version", "sha512"], env.Packages.Select(p => new object?[] { p.Name, p.Version, p.Sha512 })));
        return sb.Append("</details></div>").ToString();
    }

    [HtmlRenderer]
    public static string Audit(AuditResult audit)
    {
        var sb = new StringBuilder("<div class=\"cw-audit\">");
        sb.Append(Findings(audit.Findings, $"Reproducibility audit — {audit.Plan}, {audit.RunDurations.Count} runs, {audit.Tolerance}"));
        for (var i = 0; i < audit.Repeats.Count; i++)
            sb.Append("<details><summary>").Append(Html.Escape($"Repeat {i + 2} vs run 1: {audit.Repeats[i]}")).Append("</summary>").Append(Comparison(audit.Repeats[i])).Append("</details>");
        return sb.Append("</div>").ToString();
    }

    [HtmlRenderer]
    public static string Checkpoint(TrainingCheckpoint checkpoint)
    {
        var rows = new List<object?[]>
        {
            new object?[] { "step", checkpoint.Step },
            new object?[] { "epoch", checkpoint.Epoch },
            new object?[] { "weights", $"{checkpoint.Weights.Count} tensors, {checkpoint.Weights.Sum(w => w.ElementCount)} values" },
            new object?[] { "optimizer", checkpoint.OptimizerState is null ? "none" : $"{checkpoint.OptimizerType} ({checkpoint.OptimizerState.Length} bytes)" },
            new object?[] { "generators", string.Join(", ", checkpoint.RngStates.Select(r => $"{r.Key} ({r.Value.Length} bytes)")) },
            new object?[] { "cuda", checkpoint.Cuda ?? "not recorded" },
            new object?[] { "data order", checkpoint.DataOrder is null ? "recreated from per-epoch seeds" : $"{checkpoint.DataOrder.Length} indices" },
            new object?[] { "seeds", checkpoint.Seeds?.ToString() ?? "" },
            new object?[] { "data", string.Join(", ", checkpoint.DataHashes.Select(d => $"{d.Key}: {d.Value}")) },
            new object?[] { "command", checkpoint.Command ?? "" },
        };
        rows.AddRange(checkpoint.Metrics.Select(m => new object?[] { "metric " + m.Key, m.Value }));
        return Html.Table(["", "value"], rows, caption: "Training checkpoint");
    }

    [HtmlRenderer]
    public static string Packages(PackageVersionCheck check) => check.Passed
        ? $"<p>{Html.Escape(check.ToString())}</p>"
        : Html.Table(["package", "file", "line", "problem"], check.Problems.Select(p => new object?[] { p.Package, Path.GetRelativePath(check.Root, p.File), p.Line, p.Problem }),
            caption: $"{check.Problems.Count} unpinned package version(s)");

    [HtmlRenderer]
    public static string Manifest(DataManifest manifest) => Html.Table(["file", "md5", "bytes"], manifest.Files.Select(f => new object?[] { f.RelativePath, f.Md5, f.Size }),
        caption: $"{manifest.Root} — {manifest.Md5}");

    [HtmlRenderer]
    public static string Config<T>(ResolvedConfig<T> config) =>
        $"<div><p><b>Config</b> <code>{Html.Escape(config.Command)}</code></p><pre>{Html.Escape(config.ToYaml())}</pre></div>";

    [HtmlRenderer]
    public static string Comparison(RunComparison comparison) =>
        $"<div><p><b>{Html.Escape(comparison.ToString())}</b></p>" +
        Html.Table(["kind", "name", "status", "first diff at", "A", "B", "max |Δ|", "# differing"],
            comparison.Metrics.Select(m => Row("metric", m)).Concat(comparison.Arrays.Select(a => Row("array", a)))) + "</div>";

    [HtmlRenderer]
    public static string Seeds(SeedPlan plan) => Html.Table(
        ["component", "seed", "how"],
        plan.Components.Select(c => new object?[] { c, plan.Seed(c), plan.FixedSeeds.ContainsKey(c) ? "fixed" : "derived" }),
        caption: $"Seed plan (master seed {plan.MasterSeed})");

    private static string Findings(IEnumerable<AuditFinding> findings, string caption) =>
        Html.Table(["severity", "subject", "finding"], findings.Select(f => new object?[] { f.Severity.Label(), f.Subject, f.Message }), caption: caption);

    private static object?[] Row(string kind, ArrayComparison c) =>
        [kind, c.Name, c.Status.ToString(), c.FirstDifferenceIndex, ArrayComparison.Exact(c.ValueA), ArrayComparison.Exact(c.ValueB), c.MaxAbsDifference, c.DifferentCount];
}
