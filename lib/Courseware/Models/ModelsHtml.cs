using Courseware.Notebooks;

namespace Courseware.Models;

/// <summary>How models and trained checkpoints look in a notebook (the objects themselves know nothing of HTML).</summary>
internal static class ModelsHtml
{
    /// <summary>A summary: name, context, vocabulary, batch size.</summary>
    [HtmlRenderer]
    public static string Model(LocalLanguageModel model) => Html.Table(["model", "context (tokens)", "vocabulary", "batch size"],
        [[model.Name, model.MaxContextLength, model.VocabularySize, model.BatchSize]]);

    /// <summary>One table row: the checkpoint, its size, loss, the accuracies and training time.</summary>
    [HtmlRenderer]
    public static string Checkpoint(TrainedCheckpoint c) => Html.Table(["checkpoint", "parameters", "final loss", "seen (Q/A)", "held-out (Q/A)", "seen (MMLU)", "held-out (MMLU)", "training (s)", "sha256"],
        [[c.Recipe.Name, c.Parameters, c.FinalLoss, c.Accuracy.Seen, c.Accuracy.HeldOut, c.Accuracy.SeenMmlu, c.Accuracy.HeldOutMmlu, Math.Round(c.TrainingTime.TotalSeconds), c.WeightsSha256[..12]]]);
}
