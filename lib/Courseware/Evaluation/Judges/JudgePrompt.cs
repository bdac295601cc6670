using System.Text.RegularExpressions;

namespace Courseware.Evaluation;

/// <summary>
/// A pairwise judge prompt with the placeholders <c>{question}</c>, <c>{answer_a}</c> and <c>{answer_b}</c>, filled in
/// one pass (so an answer that happens to contain "{answer_b}" is shown as written, never substituted).
/// </summary>
public sealed partial class JudgePrompt
{
    /// <summary>Checks that <paramref name="template"/> names all three placeholders.</summary>
    public JudgePrompt(string template)
    {
        ArgumentException.ThrowIfNullOrEmpty(template);
        foreach (string name in (string[])["{question}", "{answer_a}", "{answer_b}"])
        {
            if (!template.Contains(name, StringComparison.Ordinal))
                throw new ArgumentException($"The judge template has no {name} placeholder; it needs {{question}}, {{answer_a}} and {{answer_b}}.", nameof(template));
        }
        Template = template;
    }

    /// <summary>The template text.</summary>
    public string Template { get; }

    /// <summary>The prompt for one question with answer A shown first.</summary>
    public string Render(string question, string answerA, string answerB) =>
        Placeholder().Replace(Template, m => m.Value switch
        {
            "{question}" => question,
            "{answer_a}" => answerA,
            _ => answerB,
        });

    [GeneratedRegex(@"\{question\}|\{answer_a\}|\{answer_b\}")]
    private static partial Regex Placeholder();
}
