using Courseware.Models;
using Microsoft.ML.Tokenizers;

namespace Courseware.Tests.Benchmarks;

/// <summary>
/// A test double of ILanguageModel with fixed log-likelihoods: each request's sum comes from a function of its
/// (context, continuation), so scoring can be checked against hand-computed values. Records every batch it receives.
/// </summary>
internal sealed class ScriptedModel(Func<LogLikelihoodRequest, double> logLikelihood, string name = "scripted") : ILanguageModel
{
    public static readonly CharacterTokenizer Characters = new(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\né");

    public List<IReadOnlyList<LogLikelihoodRequest>> Batches { get; } = [];

    public bool Fail { get; set; }

    public string Name { get; } = name;

    public Tokenizer Tokenizer { get; set; } = Characters;

    public int MaxContextLength => 4096;

    /// <summary>A model that gives each (context-independent) continuation a fixed log-likelihood.</summary>
    public static ScriptedModel ByContinuation(IReadOnlyDictionary<string, double> table) =>
        new(r => table.TryGetValue(r.Continuation, out double ll) ? ll : throw new KeyNotFoundException($"No scripted log-likelihood for '{r.Continuation}'."));

    public Task<IReadOnlyList<LogLikelihood>> LogLikelihoodAsync(IReadOnlyList<LogLikelihoodRequest> requests, CancellationToken cancellationToken = default)
    {
        if (Fail) throw new InvalidOperationException("The scripted model was called although every answer should come from the cache.");
        Batches.Add(requests);
        return Task.FromResult<IReadOnlyList<LogLikelihood>>(requests.Select(r => new LogLikelihood(logLikelihood(r), false, [logLikelihood(r)], 0)).ToList());
    }

    public Task<IReadOnlyList<Generation>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Benchmarks score by log-likelihood only.");

    public void Dispose() { }
}

/// <summary>A temporary folder removed after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("cw-bench-").FullName;

    public string Write(string relative, string content)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
