namespace Courseware.Benchmarks;

/// <summary>
/// A task <see cref="BenchmarkEvaluator"/> runs, of either output type the harness knows: <see cref="BenchmarkTask"/>
/// (multiple_choice, scored from log-likelihoods) or <see cref="GenerativeTask"/> (generate_until, scored on generated text).
/// </summary>
public interface IEvaluationTask
{
    /// <summary>Task name in results.</summary>
    string Name { get; }

    /// <summary>The harness's output_type: "multiple_choice" or "generate_until".</summary>
    string OutputType { get; }

    /// <summary>Malformed data rows skipped while loading (none when loaded strictly).</summary>
    IReadOnlyList<DataProblem> Problems { get; }
}
