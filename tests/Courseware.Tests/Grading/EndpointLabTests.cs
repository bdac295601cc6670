using System.Text.Json.Nodes;
using Courseware.Cli.Runner;
using Courseware.Tests.Evaluation.Judges;
using Courseware.Tests.Models;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Grading;

/// <summary>
/// The optional endpoint cells of lab 4.3.3 (section 10: the suite on an OpenAI-compatible endpoint) and lab 4.3.4 (the
/// endpoint judge), configured with -p as a learner would, against a scripted OpenAI-compatible server on 127.0.0.1 that
/// answers as vLLM does: prompt log-probabilities for scoring, a written verdict for judging. Without an endpoint they
/// print "skipped: no endpoint configured (set …)" (asserted in <see cref="RepositoryNotebookTests"/>, which runs them so).
/// </summary>
public sealed class EndpointLabTests : IDisposable
{
    private readonly OpenAICompatibleModelTests.ScriptedServer _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task The_optional_endpoint_cells_evaluate_and_judge_through_a_configured_server()
    {
        _server.Respond((_, body) =>
        {
            var request = JsonNode.Parse(body)!;
            var prompt = request["prompt"]!.GetValue<string>();
            // Log-probabilities that depend on the text, so the choices of an item score differently.
            return (200, request["echo"]?.GetValue<bool>() == true
                ? OpenAICompatibleModelTests.EchoResponse(prompt, i => -0.1 * (1 + prompt[Math.Clamp(i - 1, 0, prompt.Length - 1)] % 7))
                : GenerativeJudgeTests.Completion("Both are short; the first names a town. [[A]]"));
        });
        var endpoint = _server.Endpoint.AbsoluteUri;
        var options = new RunOptions
        {
            Parallel = 2, CellTimeout = TimeSpan.FromMinutes(5),
            // Each lab declares its own pair; the other pair is injected as unused variables.
            Parameters = new Dictionary<string, string> { ["endpoint"] = endpoint, ["servedModel"] = "served-tiny", ["judgeEndpoint"] = endpoint, ["judgeModel"] = "judge" },
        };
        var labs = new[] { "lab-4.3.3-benchmark-suite.ipynb", "lab-4.3.4-custom-evaluation.ipynb" };
        var outDir = NewOutputFolder();
        var results = await NotebookRunner.RunAsync(
            labs.Select(l => new NotebookJob(Path.Combine(RepoRoot, "solutions", l), Path.Combine(outDir, l))).ToList(), options);

        foreach (var result in results)
            Assert.True(result.Succeeded, $"{result.Path}: {result.Error} " + string.Join("; ", result.Failures.Select(f => $"{f.Id}: {f.ErrorLine}")));
        var suite = results.Single(r => r.Path.EndsWith(labs[0], StringComparison.Ordinal)).Cells.Single(c => c.Id == "0f01a879");
        var judge = results.Single(r => r.Path.EndsWith(labs[1], StringComparison.Ordinal)).Cells.Single(c => c.Id == "fd302270");
        foreach (var cell in new[] { suite, judge })
            Assert.DoesNotContain("skipped", Text(cell));
        Assert.Contains("arc_easy", Text(suite)); // the results table of the endpoint run
        Assert.Contains("mmlu", Text(suite));
        Assert.Contains("kappa", Text(judge), StringComparison.OrdinalIgnoreCase); // the judge's agreement with the human labels

        var requests = _server.Bodies.Select(b => JsonNode.Parse(b)!).ToList();
        Assert.Contains(requests, r => r["model"]!.GetValue<string>() == "served-tiny" && r["echo"]?.GetValue<bool>() == true);
        Assert.Contains(requests, r => r["model"]!.GetValue<string>() == "judge" && r["prompt"]!.GetValue<string>().Contains("[The Start of Assistant A's Answer]"));
    }

    private static string Text(CellResult cell) => string.Join("\n", cell.Outputs.OfType<JsonObject>().Select(o =>
        CellResult.Join(o["text"] ?? o["data"]?["text/plain"] ?? o["data"]?["text/html"])));
}
