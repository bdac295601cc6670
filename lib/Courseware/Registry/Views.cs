using System.Text;
using Courseware.Notebooks;
using Courseware.Tracking;

namespace Courseware.Registry;

/// <summary>A model's audit log: who moved which alias from which version to which, when and why.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class AuditLog(string name, IReadOnlyList<AuditEntry> entries)
{
    /// <summary>The registered model.</summary>
    public string Name { get; } = name;

    /// <summary>The entries, oldest first.</summary>
    public IReadOnlyList<AuditEntry> Entries { get; } = entries;

    /// <inheritdoc />
    public override string ToString() => string.Join('\n', Entries.Select(e =>
        $"{e.Sequence,3} {e.Action,-16} {e.Alias ?? "-",-12} {e.OldVersion?.ToString() ?? "-",4} -> {e.NewVersion?.ToString() ?? "-",-4} {e.Actor}: {e.Reason}"));
}

/// <summary>
/// Where a version came from and what happened to it: data (by content hash) → run (params, metrics, code commit) →
/// version (flavour, signature, source) → the alias changes that involved it.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class LineageView(ModelVersion version, Run? run, IReadOnlyList<AuditEntry> aliasChanges)
{
    /// <summary>The version.</summary>
    public ModelVersion Version { get; } = version;

    /// <summary>The run it came from, if it still exists.</summary>
    public Run? Run { get; } = run;

    /// <summary>Audit entries that moved an alias to or from this version.</summary>
    public IReadOnlyList<AuditEntry> AliasChanges { get; } = aliasChanges;

    /// <inheritdoc />
    public override string ToString() =>
        $"data [{string.Join(", ", Version.Lineage.Datasets.Select(d => $"{d.Name}:{d.Sha256[..Math.Min(12, d.Sha256.Length)]}"))}] -> run {Version.Lineage.RunId ?? "(none)"} " +
        $"(commit {Version.Lineage.CodeCommit ?? "?"}) -> {Version.Uri} -> {AliasChanges.Count} alias change(s)";
}

/// <summary>
/// Versions side by side: flavour, aliases, run, then every param and metric from their lineage (blank where a version
/// lacks one), so "what changed between v2 and v3" is one glance.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class VersionComparison(IReadOnlyList<ModelVersion> versions)
{
    /// <summary>The versions compared, in the order given.</summary>
    public IReadOnlyList<ModelVersion> Versions { get; } = versions;

    /// <summary>Rows of (field, value per version): flavour, aliases, run, <c>param.*</c>, <c>metric.*</c>.</summary>
    public IReadOnlyList<(string Field, IReadOnlyList<object?> Values)> Rows
    {
        get
        {
            var rows = new List<(string, IReadOnlyList<object?>)>
            {
                ("flavour", Versions.Select(v => (object?)v.Flavor.ToString()).ToList()),
                ("aliases", Versions.Select(v => (object?)string.Join(", ", v.Aliases)).ToList()),
                ("run", Versions.Select(v => (object?)v.RunId).ToList()),
            };
            foreach (var key in Versions.SelectMany(v => v.Lineage.Params.Keys).Distinct().Order(StringComparer.Ordinal))
                rows.Add(("param." + key, Versions.Select(v => (object?)v.Lineage.Params.GetValueOrDefault(key)).ToList()));
            foreach (var key in Versions.SelectMany(v => v.Lineage.Metrics.Keys).Distinct().Order(StringComparer.Ordinal))
                rows.Add(("metric." + key, Versions.Select(v => v.Lineage.Metrics.TryGetValue(key, out var m) ? (object?)m : null).ToList()));
            return rows;
        }
    }
}

public sealed partial class ModelRegistry
{
    /// <summary>Versions of a model side by side (all live versions when none are named).</summary>
    /// <example><code>await registry.CompareVersionsAsync("penguins", 1, 3)</code></example>
    public async Task<VersionComparison> CompareVersionsAsync(string name, params int[] versions)
    {
        var all = versions.Length == 0
            ? (await SearchVersionsAsync(name).ConfigureAwait(false)).Reverse().ToList()
            : (await Task.WhenAll(versions.Select(v => GetVersionAsync(name, v))).ConfigureAwait(false)).ToList();
        return new VersionComparison(all);
    }
}
