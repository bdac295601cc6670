using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Models;
using Courseware.Registry;

namespace Courseware.Serving;

/// <summary>
/// Serves a TinyGpt version (safetensors weights on TorchSharp, CPU) for the two things a language model does:
/// generation, <c>{"prompt": "Question: …\nAnswer:", "max_new_tokens": 16, "temperature": 0, "seed": 0, "stop": ["\n"]}</c>
/// → <c>{"outputs": {"text": …, "tokens": …, "finish_reason": "stop"}}</c>, and scoring,
/// <c>{"context": "Question: …\nAnswer:", "continuation": " Oromar"}</c> →
/// <c>{"outputs": {"log_likelihood": …, "is_greedy": …, "token_log_probs": [...]}}</c>. The context length and
/// vocabulary size come from the stored signature (<c>tokens: int64[-1, context]</c>, <c>logits: float32[…, vocabulary]</c>);
/// a character outside the vocabulary is a 400 naming it (<c>prompt[7]</c>), and so is a text longer than the context,
/// which the model would otherwise silently truncate.
/// </summary>
public sealed class TinyGptPredictor : IPredictor
{
    private static readonly string[] GenerationFields = ["prompt", "max_new_tokens", "temperature", "seed", "stop"];
    private static readonly string[] ScoringFields = ["context", "continuation"];
    private readonly TinyGpt _model;
    private readonly string _vocabulary;
    private readonly int _contextLength;

    private TinyGptPredictor(ModelVersion version, TinyGpt model)
    {
        Version = version;
        _model = model;
        _model.Log = TextWriter.Null; // over-long input is refused before it reaches the model
        _vocabulary = model.CharacterTokenizer.Characters;
        _contextLength = (int)version.Signature.Inputs.Single(i => i.Name == "tokens").Shape![1];
    }

    /// <inheritdoc />
    public ModelVersion Version { get; }

    /// <summary>Loads a TinyGpt version from the registry on the CPU (signature checked at load).</summary>
    public static async Task<TinyGptPredictor> LoadAsync(ModelRegistry registry, string modelUri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var loaded = await registry.LoadTinyGptAsync(modelUri, "cpu", cancellationToken).ConfigureAwait(false);
        return new TinyGptPredictor(loaded.Version, loaded.Model);
    }

    /// <inheritdoc />
    public JsonObject RequestSchema
    {
        get
        {
            var text = new JsonObject { ["type"] = "string", ["maxLength"] = _contextLength, ["description"] = $"characters from the model's vocabulary: {_vocabulary}" };
            return Requests.Schema($"{Version.Uri} (TinyGpt)", new JsonObject
            {
                ["oneOf"] = new JsonArray(
                    new JsonObject
                    {
                        ["title"] = "generation",
                        ["type"] = "object",
                        ["required"] = Requests.Strings(["prompt"]),
                        ["additionalProperties"] = false,
                        ["properties"] = new JsonObject
                        {
                            ["prompt"] = text.DeepClone(),
                            ["max_new_tokens"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = _contextLength, ["default"] = 32 },
                            ["temperature"] = new JsonObject { ["type"] = "number", ["minimum"] = 0, ["default"] = 0 },
                            ["seed"] = new JsonObject { ["type"] = "integer", ["default"] = 0 },
                            ["stop"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 } },
                        },
                    },
                    new JsonObject
                    {
                        ["title"] = "scoring",
                        ["type"] = "object",
                        ["required"] = Requests.Strings(ScoringFields),
                        ["additionalProperties"] = false,
                        ["properties"] = new JsonObject { ["context"] = text.DeepClone(), ["continuation"] = text.DeepClone() },
                    }),
            });
        }
    }

    /// <inheritdoc />
    public async Task<JsonObject> PredictAsync(JsonElement body, CancellationToken cancellationToken = default)
    {
        if (body.ValueKind == JsonValueKind.Object && (body.TryGetProperty("continuation", out _) || body.TryGetProperty("context", out _)))
            return await ScoreAsync(body, cancellationToken).ConfigureAwait(false);
        Requests.RequireObject(body, "{\"prompt\": …} (generation) or {\"context\": …, \"continuation\": …} (scoring)", GenerationFields);
        var prompt = Text(body, "prompt", 1);
        var stop = new List<string>();
        if (body.TryGetProperty("stop", out var stops))
        {
            if (stops.ValueKind != JsonValueKind.Array) throw Requests.Bad("stop", $"expected an array of strings, got {stops.ValueKind}");
            var i = 0;
            foreach (var s in stops.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.String || s.GetString()!.Length == 0) throw Requests.Bad($"stop[{i}]", "expected a non-empty string");
                stop.Add(s.GetString()!);
                i++;
            }
        }
        var options = new GenerationOptions
        {
            MaxNewTokens = Requests.Int(body, "max_new_tokens", 32, 1, _contextLength),
            Temperature = Requests.Number(body, "temperature", 0, 0),
            Seed = Requests.Int(body, "seed", 0, int.MinValue, int.MaxValue),
            Stop = stop,
        };
        var generation = (await _model.GenerateAsync([new GenerationRequest(prompt, options)], cancellationToken).ConfigureAwait(false))[0];
        return new JsonObject
        {
            ["model"] = Version.Uri,
            ["outputs"] = new JsonObject
            {
                ["text"] = generation.Text,
                ["tokens"] = generation.TokenCount,
                ["finish_reason"] = generation.FinishReason == FinishReason.Stop ? "stop" : "length",
            },
        };
    }

    private async Task<JsonObject> ScoreAsync(JsonElement body, CancellationToken cancellationToken)
    {
        Requests.RequireObject(body, "{\"context\": …, \"continuation\": …}", ScoringFields);
        var context = Text(body, "context", 0);
        var continuation = Text(body, "continuation", 1);
        if (context.Length + continuation.Length > _contextLength)
            throw Requests.Bad("continuation", $"context and continuation together are {context.Length + continuation.Length} characters; {Version.Uri} attends over at most {_contextLength}");
        var score = (await _model.LogLikelihoodAsync([new LogLikelihoodRequest(context, continuation)], cancellationToken).ConfigureAwait(false))[0];
        return new JsonObject
        {
            ["model"] = Version.Uri,
            ["outputs"] = new JsonObject
            {
                ["log_likelihood"] = score.Sum,
                ["is_greedy"] = score.IsGreedy,
                ["tokens"] = score.TokenCount,
                ["token_log_probs"] = new JsonArray(score.TokenLogProbs.Select(Requests.Number).ToArray()),
            },
        };
    }

    // One token per character: the vocabulary and the context length are all there is to check.
    private string Text(JsonElement body, string field, int minLength)
    {
        var text = Requests.String(body, field);
        if (text.Length < minLength) throw Requests.Bad(field, "expected a non-empty string");
        if (text.Length > _contextLength) throw Requests.Bad(field, $"{text.Length} characters; {Version.Uri} attends over at most {_contextLength}");
        for (var i = 0; i < text.Length; i++)
            if (_vocabulary.IndexOf(text[i], StringComparison.Ordinal) < 0)
                throw Requests.Bad($"{field}[{i}]", $"character '{text[i]}' (U+{(int)text[i]:X4}) is not in the vocabulary of {Version.Uri}");
        return text;
    }

    /// <inheritdoc />
    public void Dispose() => _model.Dispose();
}
