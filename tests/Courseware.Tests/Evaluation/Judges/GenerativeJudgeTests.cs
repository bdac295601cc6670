using System.Text.Json.Nodes;
using Courseware.Evaluation;
using Courseware.Models;
using Courseware.Tests.Models;

namespace Courseware.Tests.Evaluation.Judges;

/// <summary>The generative judge against the scripted OpenAI-compatible server on 127.0.0.1.</summary>
public sealed class GenerativeJudgeTests : IDisposable
{
    private readonly OpenAICompatibleModelTests.ScriptedServer _server = new();

    public void Dispose() => _server.Dispose();

    private OpenAICompatibleModel Endpoint(double timeoutSeconds = 5) => new(new OpenAICompatibleOptions
    {
        Endpoint = _server.Endpoint, Model = "judge", MaxRetries = 0, Timeout = TimeSpan.FromSeconds(timeoutSeconds), MaxContextLength = 4096,
    }) { Log = TextWriter.Null };

    internal static string Completion(string text) =>
        new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["text"] = text, ["finish_reason"] = "stop" }) }.ToJsonString();

    private static string PromptOf(string body) => JsonNode.Parse(body)!["prompt"]!.GetValue<string>();

    private static readonly AnswerPair Pair = new("Where does Fusur Badrum live?", "Fusur Badrum lives in Dunmere.", "Oromar");

    [Fact]
    public async Task Verdicts_written_by_the_endpoint_go_through_swap_and_majority()
    {
        // The scripted judge prefers the answer that mentions Dunmere, wherever it is shown, in three reply styles.
        _server.Respond((call, body) =>
        {
            string prompt = PromptOf(body);
            int a = prompt.IndexOf("[The Start of Assistant A's Answer]\nFusur Badrum lives in Dunmere.", StringComparison.Ordinal);
            string letter = a >= 0 ? "A" : "B";
            return (200, Completion((call % 3) switch
            {
                0 => $"Only one answer names the town. [[{letter}]]",
                1 => $"Verdict: {letter}",
                _ => $"Assistant {letter} is better.",
            }));
        });
        using var endpoint = Endpoint();
        var judge = new GenerativeJudge(endpoint);
        var judgement = await new PairwiseProtocol().JudgeAsync(Pair, judge.JudgeAsync);

        Assert.Equal(Preference.First, judgement.Outcome);
        Assert.Equal([Verdict.A, Verdict.A, Verdict.A], judgement.Original);
        Assert.Equal([Verdict.B, Verdict.B, Verdict.B], judgement.Swapped);
        Assert.Equal(6, _server.Calls);
        Assert.Empty(judge.Failures);
        foreach (string body in _server.Bodies)
        {
            var request = JsonNode.Parse(body)!;
            Assert.Equal(0.0, request["temperature"]!.GetValue<double>());
            Assert.Equal("judge", request["model"]!.GetValue<string>());
            Assert.Contains("[User Question]\nWhere does Fusur Badrum live?\n", request["prompt"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_written_refusal_is_unparseable_and_not_a_failure()
    {
        _server.Respond((_, _) => (200, Completion("I'm sorry, but I can't help with comparing these answers.")));
        using var endpoint = Endpoint();
        var judge = new GenerativeJudge(endpoint);
        var judgement = await new PairwiseProtocol { Repetitions = 1 }.JudgeAsync(Pair, judge.JudgeAsync);
        Assert.Equal(Preference.Unparseable, judgement.Outcome);
        Assert.Empty(judge.Failures);
    }

    [Theory]
    [InlineData(400, """{"error":{"message":"The response was filtered due to the prompt triggering content management policy.","code":"content_filter"}}""", "HTTP 400")]
    [InlineData(200, "not json at all", "malformed response")]
    [InlineData(200, """{"choices":[{"text":7}]}""", "missing or invalid choices[0].text")]
    [InlineData(200, "SLOW", "no response within 0.3 s")]
    public async Task Refused_malformed_and_timed_out_calls_are_unparseable_with_the_reason(int status, string reply, string reason)
    {
        _server.Respond((_, _) => (status, reply));
        using var endpoint = Endpoint(timeoutSeconds: 0.3);
        var judge = new GenerativeJudge(endpoint);
        var judgement = await new PairwiseProtocol { Repetitions = 1 }.JudgeAsync(Pair, judge.JudgeAsync);
        Assert.Equal(Preference.Unparseable, judgement.Outcome);
        Assert.Equal([Verdict.Unparseable], judgement.Original);
        Assert.Equal(2, judge.Failures.Count);
        Assert.All(judge.Failures, f => Assert.Contains(reason, f));
        Assert.Contains("Where does Fusur Badrum live?", judge.Failures[0]);
    }

    [Fact]
    public async Task One_failed_repetition_is_outvoted_by_the_other_two()
    {
        _server.Respond((call, body) => call == 2 ? (200, "not json")
            : (200, Completion(PromptOf(body).Contains("Assistant A's Answer]\nFusur", StringComparison.Ordinal) ? "[[A]]" : "[[B]]")));
        using var endpoint = Endpoint();
        var judge = new GenerativeJudge(endpoint);
        var judgement = await new PairwiseProtocol().JudgeAsync(Pair, judge.JudgeAsync);
        // Calls alternate original/swapped: call 2 is the second original repetition.
        Assert.Equal([Verdict.A, Verdict.Unparseable, Verdict.A], judgement.Original);
        Assert.Equal(Preference.First, judgement.Outcome);
        Assert.Single(judge.Failures);
    }

    [Fact]
    public async Task Cancelling_the_caller_is_not_swallowed()
    {
        _server.Respond((_, _) => (200, "SLOW"));
        using var endpoint = Endpoint();
        var judge = new GenerativeJudge(endpoint);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => judge.JudgeAsync("q", "a", "b", cancel.Token));
        Assert.Empty(judge.Failures);
    }

    [Fact]
    public async Task Grades_go_through_the_grading_protocol_and_failures_leave_no_grade()
    {
        // Calls: 7, 8, then a malformed reply; the median of the parsed grades 7 and 8 is 7.5 (2 of 3 parsed: a majority).
        _server.Respond((call, body) => call switch
        {
            0 => (200, Completion("Accurate and complete. Rating: [[7]]")),
            1 => (200, Completion("Rating: [[8]]")),
            _ => (200, "not json"),
        });
        using var endpoint = Endpoint();
        var judge = new GenerativeJudge(endpoint, gradingTemplate: "Rubric: name the town.\nQ: {question}\nA: {answer}\nRating:");
        var graded = await new GradingProtocol().JudgeAsync(Pair.Question, "Dunmere", judge.GradeAsync);
        Assert.Equal(7.5, graded.Score);
        Assert.Equal(1.0, graded.Spread);
        Assert.Single(judge.Failures);
        Assert.Equal("Rubric: name the town.\nQ: Where does Fusur Badrum live?\nA: Dunmere\nRating:", PromptOf(_server.Bodies.First()));
        Assert.Contains("{answer}", Assert.Throws<ArgumentException>(() => new GenerativeJudge(endpoint, gradingTemplate: "Q: {question}")).Message);
    }

    [Fact]
    public async Task Reference_guided_grading_shows_the_reference_and_grades_each_answer_against_its_own()
    {
        // The scripted judge gives 9 when the answer matches the reference in the prompt, else 2.
        _server.Respond((call, body) =>
        {
            string prompt = PromptOf(body);
            string reference = Between(prompt, "[The Start of Reference Answer]\n", "\n[The End of Reference Answer]");
            string answer = Between(prompt, "[The Start of Assistant's Answer]\n", "\n[The End of Assistant's Answer]");
            return (200, Completion(answer.Contains(reference, StringComparison.Ordinal) ? "Matches the reference. Rating: [[9]]" : "Wrong town. Rating: [[2]]"));
        });
        using var endpoint = Endpoint();
        var judge = new GenerativeJudge(endpoint);
        var protocol = new GradingProtocol();
        var right = await protocol.JudgeAsync(Pair.Question, "Fusur Badrum lives in Dunmere.", judge.AgainstReference("Dunmere"));
        var wrong = await protocol.JudgeAsync(Pair.Question, "Fusur Badrum lives in Oromar.", judge.AgainstReference("Dunmere"));
        // A placeholder typed inside an answer stays text: the template is filled in one pass.
        var literal = await protocol.JudgeAsync("Which town is {reference}?", "{reference}", judge.AgainstReference("Dunmere"));

        Assert.Equal(9, right.Score);
        Assert.Equal(2, wrong.Score);
        Assert.Equal(2, literal.Score);
        string first = PromptOf(_server.Bodies.First());
        Assert.StartsWith("Please act as an impartial judge", first);
        Assert.Contains("You will be given a reference answer and the assistant's answer.", first);
        Assert.Contains("[Question]\nWhere does Fusur Badrum live?\n\n[The Start of Reference Answer]\nDunmere\n[The End of Reference Answer]", first);
        Assert.Contains("[Question]\nWhich town is {reference}?\n", PromptOf(_server.Bodies.Last()));
        Assert.Empty(judge.Failures);
        var e = Assert.Throws<ArgumentException>(() => new GenerativeJudge(endpoint, referenceGradingTemplate: "Q: {question}\nA: {answer}"));
        Assert.Contains("missing {reference}", e.Message);
    }

    private static string Between(string text, string start, string end)
    {
        int from = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)];
    }
}
