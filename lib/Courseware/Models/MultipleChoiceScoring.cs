namespace Courseware.Models;

/// <summary>Scores multiple-choice questions the lm-evaluation-harness way: argmax over log P(" " + choice | prompt).</summary>
public static class MultipleChoiceScoring
{
    /// <summary>Index of the predicted choice for each question (all choices of all questions go out in one batched call).</summary>
    public static async Task<int[]> PredictAsync(ILanguageModel model, IReadOnlyList<MultipleChoiceQuestion> questions, CancellationToken cancellationToken = default)
    {
        var requests = questions.SelectMany(q => q.Choices.Select(c => new LogLikelihoodRequest(q.Prompt, " " + c))).ToList();
        IReadOnlyList<LogLikelihood> scores = await model.LogLikelihoodAsync(requests, cancellationToken).ConfigureAwait(false);
        var predictions = new int[questions.Count];
        int next = 0;
        for (int q = 0; q < questions.Count; q++)
        {
            int count = questions[q].Choices.Count;
            // The harness's acc: the same argmax the benchmark scoring uses (unnormalised, first on ties).
            predictions[q] = Benchmarks.Scoring.ArgMax(Enumerable.Range(next, count).Select(i => scores[i].Sum).ToArray(), _ => 1);
            next += count;
        }
        return predictions;
    }

    /// <summary>Share of questions whose predicted choice is the gold one.</summary>
    public static async Task<double> AccuracyAsync(ILanguageModel model, IReadOnlyList<MultipleChoiceQuestion> questions, CancellationToken cancellationToken = default)
    {
        if (questions.Count == 0) throw new ArgumentException("No questions to score.", nameof(questions));
        int[] predictions = await PredictAsync(model, questions, cancellationToken).ConfigureAwait(false);
        return (double)predictions.Where((p, i) => p == questions[i].Answer).Count() / questions.Count;
    }
}
