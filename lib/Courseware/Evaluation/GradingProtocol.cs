namespace Courseware.Evaluation;

/// <summary>A single-answer grader: given the question and one answer, returns the judge's reply text with a grade.</summary>
public delegate Task<string> GradingJudge(string question, string answer, CancellationToken cancellationToken);

/// <summary>One answer graded several times.</summary>
/// <param name="Question">The question the answer responds to.</param>
/// <param name="Answer">The graded answer.</param>
/// <param name="Ratings">The grade read from each repetition (some may be unparsed).</param>
public sealed record GradingJudgement(string Question, string Answer, IReadOnlyList<Rating> Ratings)
{
    /// <summary>
    /// The median of the parsed grades when more than half of the repetitions gave one; null (unparseable) otherwise,
    /// so a judge that mostly fails to grade never yields a number.
    /// </summary>
    public double? Score
    {
        get
        {
            var parsed = Ratings.Where(r => r.IsParsed).Select(r => r.Score!.Value).Order().ToArray();
            if (parsed.Length * 2 <= Ratings.Count) return null;
            int mid = parsed.Length / 2;
            return parsed.Length % 2 == 1 ? parsed[mid] : (parsed[mid - 1] + parsed[mid]) / 2;
        }
    }

    /// <summary>Largest minus smallest parsed grade: 0 when the judge is consistent with itself.</summary>
    public double Spread
    {
        get
        {
            var parsed = Ratings.Where(r => r.IsParsed).Select(r => r.Score!.Value).ToArray();
            return parsed.Length == 0 ? double.NaN : parsed.Max() - parsed.Min();
        }
    }
}

/// <summary>
/// Single-answer grading (MT-Bench's "Rating: [[n]]" format, with a rubric in the judge's prompt): each answer is graded
/// <see cref="Repetitions"/> times and the median grade is kept. Grades outside [<see cref="Min"/>, <see cref="Max"/>]
/// count as unparsed.
/// </summary>
public sealed class GradingProtocol
{
    /// <summary>Judge calls per answer (default 3).</summary>
    public int Repetitions { get; init; } = 3;
    /// <summary>Lowest valid grade (default 1).</summary>
    public double Min { get; init; } = 1;
    /// <summary>Highest valid grade (default 10).</summary>
    public double Max { get; init; } = 10;

    /// <summary>Grades one answer <see cref="Repetitions"/> times.</summary>
    public async Task<GradingJudgement> JudgeAsync(string question, string answer, GradingJudge judge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(judge);
        if (Repetitions < 1) throw new InvalidOperationException($"Repetitions is {Repetitions}; expected at least 1.");
        var ratings = new Rating[Repetitions];
        for (int r = 0; r < Repetitions; r++)
            ratings[r] = VerdictParser.ParseRating(await judge(question, answer, cancellationToken).ConfigureAwait(false), Min, Max);
        return new GradingJudgement(question, answer, ratings);
    }
}
