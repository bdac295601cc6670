using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Courseware.Models;

namespace Courseware.Evaluation;

/// <summary>
/// A judge that asks a model to write its verdict (pairwise, <see cref="JudgeAsync"/>) or grade (single answer, <see cref="GradeAsync"/>) — an OpenAI-compatible endpoint
/// (<see cref="OpenAICompatibleModel"/>) or any other <see cref="ILanguageModel"/> — at temperature 0, for
/// <see cref="PairwiseProtocol"/> to parse with <see cref="VerdictParser.ParsePairwise"/> and repeat. A call that fails
/// (a timeout after the model's retries, an HTTP error such as a content-filter refusal, a malformed response) gives an
/// empty reply, which the protocol counts as <see cref="Verdict.Unparseable"/>; the reason is kept in
/// <see cref="Failures"/>. A written refusal ("I can't judge this") is unparseable by the parser's own rules.
/// </summary>
/// <example><code>
/// using var endpoint = new OpenAICompatibleModel(new() { Endpoint = new("http://127.0.0.1:8000/v1/"), Model = "Qwen2.5-7B-Instruct" });
/// var report = await new PairwiseProtocol().JudgeAllAsync(pairs, new GenerativeJudge(endpoint).JudgeAsync);
/// </code></example>
public sealed partial class GenerativeJudge
{
    /// <summary>MT-Bench's pairwise judge prompt (Zheng et al. 2023), written as a completion prompt.</summary>
    public const string DefaultTemplate =
        "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question " +
        "displayed below. You should choose the assistant that follows the user's instructions and answers the user's question better. " +
        "Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of " +
        "their responses. Begin your evaluation by comparing the two responses and provide a short explanation. Avoid any position biases " +
        "and ensure that the order in which the responses were presented does not influence your decision. Do not allow the length of the " +
        "responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. After providing " +
        "your explanation, output your final verdict by strictly following this format: \"[[A]]\" if assistant A is better, \"[[B]]\" if " +
        "assistant B is better, and \"[[C]]\" for a tie.\n\n" +
        "[User Question]\n{question}\n\n" +
        "[The Start of Assistant A's Answer]\n{answer_a}\n[The End of Assistant A's Answer]\n\n" +
        "[The Start of Assistant B's Answer]\n{answer_b}\n[The End of Assistant B's Answer]\n\n" +
        "Explanation:";

    /// <summary>MT-Bench's single-answer grading prompt, with the placeholders {question} and {answer}.</summary>
    public const string DefaultGradingTemplate =
        "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question " +
        "displayed below. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and " +
        "level of detail of the response. Begin your evaluation by providing a short explanation. Be as objective as possible. After " +
        "providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: \"[[rating]]\", " +
        "for example: \"Rating: [[5]]\".\n\n" +
        "[Question]\n{question}\n\n[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]\n\nExplanation:";

    /// <summary>
    /// MT-Bench's reference-guided grading prompt (its "single-math-v1", for questions with one right answer), with the
    /// placeholders {question}, {reference} and {answer}.
    /// </summary>
    public const string DefaultReferenceGradingTemplate =
        "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question " +
        "displayed below. Your evaluation should consider correctness and helpfulness. You will be given a reference answer and the " +
        "assistant's answer. Begin your evaluation by comparing the assistant's answer with the reference answer. Identify and correct " +
        "any mistakes. Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 " +
        "by strictly following this format: \"[[rating]]\", for example: \"Rating: [[5]]\".\n\n" +
        "[Question]\n{question}\n\n[The Start of Reference Answer]\n{reference}\n[The End of Reference Answer]\n\n" +
        "[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]\n\nExplanation:";

    private readonly ConcurrentQueue<string> _failures = new();

    /// <param name="model">The judging model.</param>
    /// <param name="template">Judge prompt with {question}, {answer_a} and {answer_b}; <see cref="DefaultTemplate"/> when null.</param>
    /// <param name="maxNewTokens">Room for the explanation and the verdict.</param>
    /// <param name="gradingTemplate">Grading prompt with {question} and {answer} (a rubric goes here); <see cref="DefaultGradingTemplate"/> when null.</param>
    /// <param name="referenceGradingTemplate">Reference-guided grading prompt with {question}, {reference} and {answer}; <see cref="DefaultReferenceGradingTemplate"/> when null.</param>
    public GenerativeJudge(ILanguageModel model, string? template = null, int maxNewTokens = 256, string? gradingTemplate = null, string? referenceGradingTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNewTokens, 1);
        Model = model;
        Prompt = new JudgePrompt(template ?? DefaultTemplate);
        MaxNewTokens = maxNewTokens;
        GradingTemplate = RequirePlaceholders(gradingTemplate ?? DefaultGradingTemplate, nameof(gradingTemplate), "{question}", "{answer}");
        ReferenceGradingTemplate = RequirePlaceholders(referenceGradingTemplate ?? DefaultReferenceGradingTemplate, nameof(referenceGradingTemplate), "{question}", "{reference}", "{answer}");
    }

    /// <summary>The single-answer grading prompt.</summary>
    public string GradingTemplate { get; }

    /// <summary>The reference-guided grading prompt.</summary>
    public string ReferenceGradingTemplate { get; }

    /// <summary>The judging model.</summary>
    public ILanguageModel Model { get; }

    /// <summary>The judge prompt.</summary>
    public JudgePrompt Prompt { get; }

    /// <summary>Most tokens the judge may write.</summary>
    public int MaxNewTokens { get; }

    /// <summary>Why calls gave no reply (timeouts, HTTP errors, malformed responses), one line per call.</summary>
    public IReadOnlyList<string> Failures => [.. _failures];

    /// <summary>The <see cref="PairwiseJudge"/> for <see cref="PairwiseProtocol"/>: the judge's text, or "" when the call failed.</summary>
    public Task<string> JudgeAsync(string question, string answerA, string answerB, CancellationToken cancellationToken) =>
        CompleteAsync(Prompt.Render(question, answerA, answerB), question, cancellationToken);

    /// <summary>The <see cref="GradingJudge"/> for <see cref="GradingProtocol"/>: the judge's text with its grade, or "" when the call failed.</summary>
    public Task<string> GradeAsync(string question, string answer, CancellationToken cancellationToken) =>
        CompleteAsync(Fill(GradingTemplate, question, answer, reference: null), question, cancellationToken);

    /// <summary>
    /// A <see cref="GradingJudge"/> that grades against <paramref name="reference"/>, the right answer to the question
    /// it will be given (MT-Bench's reference-guided grading: the judge compares instead of solving the question itself).
    /// </summary>
    /// <example><code>await new GradingProtocol().JudgeAsync(question, answer, judge.AgainstReference("Dunmere"))</code></example>
    public GradingJudge AgainstReference(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return (question, answer, cancellationToken) => CompleteAsync(Fill(ReferenceGradingTemplate, question, answer, reference), question, cancellationToken);
    }

    // One pass over the template, so placeholder-like text inside an answer is never substituted again.
    private static string Fill(string template, string question, string answer, string? reference) =>
        GradingPlaceholder().Replace(template, m => m.Value switch { "{question}" => question, "{answer}" => answer, _ => reference ?? m.Value });

    private static string RequirePlaceholders(string template, string name, params string[] placeholders)
    {
        var missing = placeholders.Where(p => !template.Contains(p, StringComparison.Ordinal)).ToList();
        return missing.Count == 0 ? template
            : throw new ArgumentException($"The {name} needs the placeholders {string.Join(", ", placeholders)}; missing {string.Join(", ", missing)}.", name);
    }

    private async Task<string> CompleteAsync(string prompt, string question, CancellationToken cancellationToken)
    {
        var request = new GenerationRequest(prompt, new GenerationOptions { MaxNewTokens = MaxNewTokens, Temperature = 0 });
        try
        {
            return (await Model.GenerateAsync([request], cancellationToken).ConfigureAwait(false))[0].Text;
        }
        catch (Exception e) when (e is HttpRequestException or InvalidDataException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _failures.Enqueue($"{Model.Name}: \"{question}\": {e.Message}");
            return "";
        }
    }

    [GeneratedRegex(@"\{question\}|\{answer\}|\{reference\}")]
    private static partial Regex GradingPlaceholder();
}
