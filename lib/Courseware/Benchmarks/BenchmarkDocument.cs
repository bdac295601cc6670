namespace Courseware.Benchmarks;

/// <summary>
/// One benchmark item after the task's preprocessing (lm-evaluation-harness's doc_to_text / doc_to_choice /
/// doc_to_target already applied): the text the model reads, the choices it is scored on, and the gold index.
/// </summary>
/// <param name="Id">Stable id (file and line, or the dataset's own id).</param>
/// <param name="Query">The prompt for this item, without the target delimiter ("...\nAnswer:").</param>
/// <param name="Choices">The continuations scored, without the leading target delimiter (" A" is scored for "A").</param>
/// <param name="Gold">Index of the correct choice.</param>
public sealed record BenchmarkDocument(string Id, string Query, IReadOnlyList<string> Choices, int Gold)
{
    /// <summary>MMLU subject (or another sub-grouping), when the format has one.</summary>
    public string? Subject { get; init; }

    /// <summary>TruthfulQA mc2: 1 for each true choice, 0 for each false one (the true ones come first).</summary>
    public IReadOnlyList<int>? Labels { get; init; }

    /// <summary>The text checked for overlap with training data (the harness's doc_to_decontamination_query); the query when not set.</summary>
    public string? DecontaminationText { get; init; }

    /// <summary>Where the item was read from ("file:line", or "file:line[index]" for an element of a JSON array).</summary>
    public string? Source { get; init; }

    /// <summary>A few-shot example: the query followed by the delimiter and the gold choice.</summary>
    public string Example(string targetDelimiter) => Query + targetDelimiter + Choices[Gold];
}

/// <summary>A row that could not be read: the file, the 1-based line where the row starts, and what was wrong.</summary>
public sealed record DataProblem(string File, int Line, string Message)
{
    /// <summary>The 0-based index of the row in a JSON array file (several may share a line); null for other files.</summary>
    public int? Index { get; init; }

    /// <inheritdoc />
    public override string ToString() => Index is { } index ? $"{File}:{Line}: array element {index}: {Message}" : $"{File}:{Line}: {Message}";
}

/// <summary>Benchmark data that cannot be used at all (missing file, no readable row, strict mode and a bad row).</summary>
public sealed class BenchmarkDataException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BenchmarkDataException(string message, IReadOnlyList<DataProblem>? problems = null, Exception? inner = null) : base(message, inner)
    {
        Problems = problems ?? [];
    }

    /// <summary>The rows that were malformed.</summary>
    public IReadOnlyList<DataProblem> Problems { get; }
}
