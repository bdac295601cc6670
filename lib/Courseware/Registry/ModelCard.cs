using System.Globalization;
using System.Text;
using System.Text.Json;
using Courseware.Evaluation;
using Courseware.Notebooks;

namespace Courseware.Registry;

/// <summary>A metric reported on a model card with its confidence interval (e.g. from <see cref="Stats.PairedBootstrap(IReadOnlyList{double}, IReadOnlyList{double}, int, double, int, BootstrapMethod)"/>).</summary>
public sealed record CardMetric(string Name, double Value, double? Low = null, double? High = null, double Confidence = 0.95, string? Dataset = null)
{
    /// <summary>A metric over per-item scores (1/0 for correct/incorrect): the mean with a percentile-bootstrap interval.</summary>
    public static CardMetric FromScores(string name, IReadOnlyList<double> scores, string? dataset = null, double confidence = 0.95, int seed = 0)
    {
        // Against a zero baseline the paired bootstrap of the difference is the ordinary bootstrap of the mean.
        var interval = Stats.PairedBootstrap(scores, new double[scores.Count], resamples: 2_000, confidence: confidence, seed: seed);
        return new CardMetric(name, interval.Difference, interval.Low, interval.High, confidence, dataset);
    }

    /// <inheritdoc />
    public override string ToString() => Low is null
        ? $"{Name} = {Html.FormatNumber(Value)}"
        : $"{Name} = {Html.FormatNumber(Value)} ({Confidence * 100:0.#}% CI {Html.FormatNumber(Low.Value)}–{Html.FormatNumber(High!.Value)})";
}

/// <summary>
/// A model card (Mitchell et al., "Model Cards for Model Reporting", FAT* 2019) kept with a model version: details,
/// intended use, training and evaluation data, metrics with confidence intervals, limitations and ethical
/// considerations. <see cref="Generate"/> fills what the registry knows from the run; a person writes the rest.
/// Saved with <see cref="ModelRegistry.SaveModelCardAsync"/>, which bumps <see cref="Revision"/>.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed record ModelCard(
    string ModelName,
    int Version,
    string Details,
    string IntendedUse,
    string TrainingData,
    string EvaluationData,
    IReadOnlyList<CardMetric> Metrics,
    string Limitations,
    string EthicalConsiderations,
    int Revision = 0)
{
    /// <summary>Text in sections the generator cannot know; <see cref="MissingSections"/> lists the ones still holding it.</summary>
    public const string ToBeWritten = "TO BE WRITTEN";

    /// <summary>
    /// A draft card for a version from its lineage: details (flavour, signature, run, commit, params), training data
    /// (data set names and hashes), the given evaluation metrics; intended use, evaluation data, limitations and
    /// ethical considerations say <see cref="ToBeWritten"/>.
    /// </summary>
    public static ModelCard Generate(ModelVersion version, IEnumerable<CardMetric>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(version);
        var l = version.Lineage;
        var details = new StringBuilder($"{version.Flavor} model, version {version.Version} of '{version.Name}'. Signature {version.Signature}.");
        if (l.RunId is not null) details.Append(CultureInfo.InvariantCulture, $" Trained in run {l.RunId}");
        if (l.CodeCommit is not null) details.Append(CultureInfo.InvariantCulture, $" at commit {l.CodeCommit}");
        if (l.RunId is not null) details.Append('.');
        if (l.Params.Count > 0) details.Append(" Parameters: ").Append(string.Join(", ", l.Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))).Append('.');
        var training = l.Datasets.Count == 0 ? ToBeWritten : string.Join("; ", l.Datasets.Select(d => $"{d.Name} (sha256 {d.Sha256})"));
        var cardMetrics = metrics?.ToList() ?? l.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new CardMetric(m.Key, m.Value)).ToList();
        return new ModelCard(version.Name, version.Version, details.ToString(), ToBeWritten, training, ToBeWritten, cardMetrics, ToBeWritten, ToBeWritten);
    }

    /// <summary>Sections still marked <see cref="ToBeWritten"/> or empty (a promotion gate can require none).</summary>
    public IReadOnlyList<string> MissingSections =>
        new (string Name, string Text)[]
        {
            ("intended use", IntendedUse), ("training data", TrainingData), ("evaluation data", EvaluationData),
            ("limitations", Limitations), ("ethical considerations", EthicalConsiderations),
        }.Where(s => string.IsNullOrWhiteSpace(s.Text) || s.Text.Contains(ToBeWritten, StringComparison.Ordinal)).Select(s => s.Name)
         .Concat(Metrics.Count == 0 ? ["metrics"] : []).ToList();

    /// <summary>The card as JSON (the stored form).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ModelSignature.Json);

    /// <summary>Reads a card from JSON; a missing section is an error naming it.</summary>
    public static ModelCard FromJson(string json)
    {
        var card = JsonSerializer.Deserialize<ModelCard>(json, ModelSignature.Json)
            ?? throw new RegistryException(RegistryError.InvalidParameter, "model_card", "The model card JSON is empty.");
        foreach (var (field, value) in new[] { ("modelName", card.ModelName), ("details", card.Details), ("intendedUse", card.IntendedUse), ("trainingData", card.TrainingData),
                     ("evaluationData", card.EvaluationData), ("limitations", card.Limitations), ("ethicalConsiderations", card.EthicalConsiderations) })
            if (value is null) throw new RegistryException(RegistryError.InvalidParameter, $"model_card.{field}", $"The model card JSON has no '{field}'.");
        return card with { Metrics = card.Metrics ?? [] };
    }

    /// <summary>The card as Markdown, one section per Mitchell et al. heading.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# Model card: {ModelName} v{Version} (revision {Revision})\n\n");
        void Section(string title, string text) => sb.Append("## ").Append(title).Append("\n\n").Append(text).Append("\n\n");
        Section("Model details", Details);
        Section("Intended use", IntendedUse);
        Section("Training data", TrainingData);
        Section("Evaluation data", EvaluationData);
        sb.Append("## Metrics\n\n| metric | value | interval | data |\n|---|---|---|---|\n");
        foreach (var m in Metrics)
            sb.Append(CultureInfo.InvariantCulture, $"| {m.Name} | {Html.FormatNumber(m.Value)} | {(m.Low is null ? "" : $"{m.Confidence * 100:0.#}% CI [{Html.FormatNumber(m.Low.Value)}, {Html.FormatNumber(m.High!.Value)}]")} | {m.Dataset} |\n");
        sb.Append('\n');
        Section("Limitations", Limitations);
        Section("Ethical considerations", EthicalConsiderations);
        return sb.ToString().TrimEnd() + "\n";
    }
}
