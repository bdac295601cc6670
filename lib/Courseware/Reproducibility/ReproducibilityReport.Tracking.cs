using System.Globalization;
using System.Text.RegularExpressions;
using Courseware.Evaluation;
using Courseware.Tracking;

namespace Courseware.Reproducibility;

public sealed partial class ReproducibilityReport
{
    /// <summary>The artifact folder <see cref="LogTo"/> writes into unless told otherwise.</summary>
    public const string DefaultArtifactFolder = "reproducibility";

    /// <summary>
    /// Logs the report and its evidence to a tracking run, so the run that makes a claim carries the proof of it.
    /// <list type="bullet">
    /// <item>Metrics: <c>audit/reproduced</c>, <c>audit/bitwise_equal</c> (1 or 0), <c>audit/runs</c>,
    /// <c>audit/nondeterministic_outputs</c>; per seed-sweep metric m, <c>seeds/m</c> at step = master seed and
    /// <c>seeds/m/mean</c>, <c>/std</c>, <c>/ci95_low</c>, <c>/ci95_high</c>, <c>/n</c> (Student-t, as
    /// <see cref="Stats.SeedSummary"/>); <c>report/failures</c>, <c>report/warnings</c>, <c>data/unchanged</c>,
    /// <c>packages/pinned</c>, and <c>checklist/&lt;status&gt;</c> counts.</item>
    /// <item>Params: the seeds (<see cref="SeedPlan.ToParameters"/>), <c>env.fingerprint</c>
    /// (<see cref="EnvironmentSnapshot.Fingerprint"/>), <c>env.runtime</c>, <c>git.commit</c>, <c>git.dirty</c>, each
    /// dataset's md5 (<see cref="DataManifest.ToParameters"/>) and the command. A param the run already has with another
    /// value is an error, as in MLflow: that run was made under other seeds or on other data.</item>
    /// <item>Artifacts under <paramref name="artifactFolder"/>: <c>reproducibility.html</c>, <c>reproducibility.md</c>,
    /// <c>environment.json</c>, <c>seeds.json</c>, <c>config.yaml</c>, and <c>data/&lt;name&gt;.manifest.json</c> per dataset
    /// (the manifest the run was checked against).</item>
    /// </list>
    /// Only what the report holds is logged. Returns the artifact paths written.
    /// </summary>
    /// <example><code>using var run = tracker.StartRun("penguins", "audit"); report.LogTo(run);</code></example>
    public IReadOnlyList<string> LogTo(ActiveRun run, string artifactFolder = DefaultArtifactFolder)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrWhiteSpace(artifactFolder);
        run.LogParams(ToParameters());
        run.LogMetrics(ToMetrics());
        if (SeedSweep is not null)
        {
            foreach (var metric in SeedSweep.MetricNames)
            {
                var values = SeedSweep.Values(metric);
                for (var i = 0; i < values.Length; i++) run.LogMetric($"seeds/{MetricKey(metric)}", values[i], step: SeedSweep.MasterSeeds[i]);
            }
        }
        run.SetTag("reproducibility.summary", ToString());

        var written = new List<string>();
        void Artifact(string path, string text)
        {
            var full = $"{artifactFolder.TrimEnd('/')}/{path}";
            run.LogText(text, full);
            written.Add(full);
        }
        Artifact("reproducibility.html", ToStandaloneHtml());
        Artifact("reproducibility.md", ToMarkdown());
        if (Environment is not null) Artifact("environment.json", Environment.ToJson());
        if (Seeds is not null) Artifact("seeds.json", Seeds.ToJson());
        if (ConfigYaml is not null) Artifact("config.yaml", ConfigYaml);
        foreach (var (name, verification) in NamedData()) Artifact($"data/{name}.manifest.json", verification.Expected.ToJson());
        run.Flush();
        return written;
    }

    /// <summary>
    /// A report from what is on disk, as a CI job has it: the environment and package pins of the repository at
    /// <paramref name="repository"/>, each data path verified against its manifest (<c>&lt;path&gt;.manifest.json</c>, as
    /// <c>courseware audit data</c> writes it), and, when <paramref name="checkpoint"/> is given, the seeds, resolved
    /// configuration and command that checkpoint recorded. A training audit or seed sweep needs the training function,
    /// so those come from a notebook or program, not from here.
    /// </summary>
    /// <example><code>var report = await ReproducibilityReport.CollectAsync("nightly", ".", ["datasets/vega"], "out/ckpt");</code></example>
    public static async Task<ReproducibilityReport> CollectAsync(string title, string repository, IEnumerable<string> dataPaths,
        string? checkpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataPaths);
        var data = new List<DataVerification>();
        foreach (var path in dataPaths)
        {
            var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
            var manifest = full + ".manifest.json";
            if (!File.Exists(manifest))
                throw new FileNotFoundException($"{manifest}: no manifest for '{path}'; record one with `courseware audit data {path}` (or DataManifest.CreateAsync(...).Save) when the data is the data you trained on.", manifest);
            data.Add(await (await DataManifest.LoadAsync(manifest, cancellationToken).ConfigureAwait(false)).VerifyAsync(full, cancellationToken).ConfigureAwait(false));
        }
        var saved = checkpoint is null ? null : TrainingCheckpoint.Load(checkpoint);
        return new ReproducibilityReport(title)
        {
            Environment = EnvironmentSnapshot.Capture(new EnvironmentCaptureOptions { RepositoryPath = repository }),
            Packages = PackageVersionCheck.Run(repository),
            Data = data,
            Seeds = saved?.Seeds,
            ConfigYaml = saved?.ConfigYaml,
            Command = saved?.Command,
        };
    }

    /// <summary>The numbers <see cref="LogTo"/> logs at step 0, by key (the per-seed values are logged apart, one step per seed).</summary>
    public IReadOnlyDictionary<string, double> ToMetrics()
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (Audit is not null)
        {
            metrics["audit/reproduced"] = Audit.Reproduced ? 1 : 0;
            metrics["audit/bitwise_equal"] = Audit.Repeats.All(r => r.BitwiseIdentical) ? 1 : 0;
            metrics["audit/runs"] = Audit.RunDurations.Count;
            metrics["audit/nondeterministic_outputs"] = Audit.Nondeterministic.Count;
        }
        if (SeedSweep is not null)
        {
            foreach (var metric in SeedSweep.MetricNames)
            {
                var values = SeedSweep.Values(metric);
                var key = $"seeds/{MetricKey(metric)}";
                metrics[key + "/n"] = values.Length;
                // One seed has no spread, and a diverged run (NaN) has no mean: both are logged as n only.
                if (values.Length < 2 || !values.All(double.IsFinite)) continue;
                var summary = Stats.SeedSummary(values);
                metrics[key + "/mean"] = summary.Mean;
                metrics[key + "/std"] = summary.StandardDeviation;
                metrics[key + "/ci95_low"] = summary.Low;
                metrics[key + "/ci95_high"] = summary.High;
            }
        }
        var findings = Findings;
        metrics["report/failures"] = findings.Count(f => f.Severity == FindingSeverity.Failure);
        metrics["report/warnings"] = findings.Count(f => f.Severity == FindingSeverity.Warning);
        if (Data.Count > 0) metrics["data/unchanged"] = Data.All(d => d.Matches) ? 1 : 0;
        if (Packages is not null) metrics["packages/pinned"] = Packages.Passed ? 1 : 0;
        foreach (var status in Enum.GetValues<ChecklistStatus>())
            metrics["checklist/" + status.ToString().ToLowerInvariant()] = Checklist.Count(c => c.Status == status);
        return metrics;
    }

    /// <summary>The params <see cref="LogTo"/> logs, by key.</summary>
    public IReadOnlyDictionary<string, string> ToParameters()
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        void AddAll(IReadOnlyDictionary<string, string> values)
        {
            foreach (var (k, v) in values) parameters[k] = v;
        }
        if (Seeds is not null) AddAll(Seeds.ToParameters());
        if (Environment is not null)
        {
            parameters["env.fingerprint"] = Environment.Fingerprint;
            parameters["env.runtime"] = Environment.Runtime;
            if (Environment.Git is { } git)
            {
                parameters["git.commit"] = git.Commit;
                parameters["git.dirty"] = git.Dirty ? "true" : "false";
            }
        }
        foreach (var (name, verification) in NamedData()) AddAll(verification.Expected.ToParameters(name));
        if (Command is not null) parameters["command"] = Command;
        return parameters;
    }

    /// <summary>Each dataset under a key-safe name from its folder or file name; a repeated name gets a suffix (_2, _3…).</summary>
    private IEnumerable<(string Name, DataVerification Verification)> NamedData()
    {
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in Data)
        {
            var name = MetricKey(Path.GetFileName(d.Expected.Root.TrimEnd('/', '\\')));
            if (name.Length == 0) name = "data";
            var count = used[name] = used.GetValueOrDefault(name) + 1;
            yield return (count == 1 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}_{count}"), d);
        }
    }

    /// <summary>A tracking key made of the characters MLflow accepts in keys (letters, digits, _ - . / space and colon).</summary>
    private static string MetricKey(string name) => UnsafeKeyCharacters().Replace(name, "_");

    [GeneratedRegex(@"[^\w.\- :/]")]
    private static partial Regex UnsafeKeyCharacters();
}
