namespace Courseware.Tracking.Rest;

/// <summary>
/// Paging of experiment lists for MLflow's <c>experiments/search</c>, with the same opaque tokens as run search
/// (base64 of <c>{"offset": N}</c>; a full page always returns a token).
/// </summary>
internal static class ExperimentPaging
{
    /// <summary>Largest page of <c>experiments/search</c>.</summary>
    public const int MaxResultsLimit = 50000;

    /// <summary>The page of <paramref name="all"/> that <paramref name="pageToken"/> points at, and the next token.</summary>
    public static (IReadOnlyList<Experiment> Page, string? NextPageToken) Page(IReadOnlyList<Experiment> all, int maxResults, string? pageToken)
    {
        if (maxResults is < 1 or > MaxResultsLimit)
            throw TrackingException.InvalidParameter("max_results", $"max_results must be between 1 and {MaxResultsLimit}, got {maxResults}.");
        var offset = PageToken.Decode(pageToken);
        var page = all.Skip(offset).Take(maxResults).ToList();
        return (page, page.Count == maxResults ? PageToken.Encode(offset + page.Count) : null);
    }
}
