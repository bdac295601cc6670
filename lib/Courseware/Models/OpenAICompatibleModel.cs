using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace Courseware.Models;

/// <summary>Where and how to reach an OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, a hosted API).</summary>
public sealed record OpenAICompatibleOptions
{
    /// <summary>Base URL of the API, ending in /v1/ (e.g. http://127.0.0.1:8000/v1/).</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The served model's name.</summary>
    public required string Model { get; init; }

    /// <summary>Bearer token, when the server wants one.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Limit per HTTP attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after a timeout, a connection error, 429 or a 5xx.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First retry delay; it doubles on each retry. A Retry-After header from the server takes precedence.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests in flight at once (the batch is sent concurrently up to this many).</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>The served model's context, in tokens of <see cref="Tokenizer"/>.</summary>
    public int MaxContextLength { get; init; } = 2048;

    /// <summary>Tokenizer used to count and truncate tokens locally; GPT-2's BPE when not given.</summary>
    public Tokenizer? Tokenizer { get; init; }
}

/// <summary>
/// A model behind an OpenAI-compatible HTTP API. Generation uses /v1/completions; log-likelihood uses
/// /v1/completions with <c>echo: true, logprobs: 1</c> (as lm-evaluation-harness's local-completions model does),
/// which vLLM and llama.cpp's server support and many chat-only servers (Ollama's OpenAI API, hosted chat models) do
/// not — those get a <see cref="NotSupportedException"/> that says so. Talks HTTP directly because the OpenAI SDKs
/// do not expose echoed prompt log-probabilities.
/// </summary>
/// <example><code>using var model = new OpenAICompatibleModel(new() { Endpoint = new("http://127.0.0.1:8000/v1/"), Model = "Qwen2.5-0.5B" });</code></example>
public sealed class OpenAICompatibleModel : ILanguageModel
{
    private readonly OpenAICompatibleOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="options">Endpoint, model and policies.</param>
    /// <param name="httpClient">An HttpClient to use (not disposed by this model); a new one when null.</param>
    public OpenAICompatibleModel(OpenAICompatibleOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxRetries must be 0 or more.");
        if (options.MaxConcurrency < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxConcurrency must be at least 1.");
        _options = options with { Endpoint = options.Endpoint.AbsoluteUri.EndsWith('/') ? options.Endpoint : new Uri(options.Endpoint.AbsoluteUri + "/") };
        _ownsHttp = httpClient == null;
        _http = httpClient ?? new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        Tokenizer = options.Tokenizer ?? TiktokenTokenizer.CreateForModel("gpt2");
    }

    /// <inheritdoc />
    public string Name => $"{_options.Model} ({_options.Endpoint.Authority})";

    /// <inheritdoc />
    public Tokenizer Tokenizer { get; }

    /// <inheritdoc />
    public int MaxContextLength => _options.MaxContextLength;

    /// <summary>Where warnings go (truncation, retries); standard error by default.</summary>
    public TextWriter Log { get; set; } = Console.Error;

    /// <inheritdoc />
    public Task<IReadOnlyList<LogLikelihood>> LogLikelihoodAsync(IReadOnlyList<LogLikelihoodRequest> requests, CancellationToken cancellationToken = default) =>
        ForEachAsync(requests, (request, index, ct) => ScoreAsync(request, index, ct), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<Generation>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default) =>
        ForEachAsync(requests, (request, index, ct) => CompleteAsync(request, index, ct), cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private async Task<IReadOnlyList<TResult>> ForEachAsync<TRequest, TResult>(IReadOnlyList<TRequest> requests,
        Func<TRequest, int, CancellationToken, Task<TResult>> run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        using var gate = new SemaphoreSlim(_options.MaxConcurrency);
        var tasks = requests.Select(async (request, index) =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await run(request, index, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task<LogLikelihood> ScoreAsync(LogLikelihoodRequest request, int index, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Continuation))
            throw new ArgumentException($"requests[{index}]: the continuation is empty; there is nothing to score.", nameof(request));
        // lm-eval: trailing context spaces belong to the continuation.
        string context = request.Context, continuation = request.Continuation;
        int spaces = context.Length - context.TrimEnd(' ').Length;
        if (spaces > 0)
        {
            continuation = context[^spaces..] + continuation;
            context = context[..^spaces];
        }
        int continuationTokens = Tokenizer.CountTokens(continuation);
        (context, int truncated) = KeepEnd(context, MaxContextLength - continuationTokens, index);

        string prompt = context + continuation;
        var body = new JsonObject
        {
            ["model"] = _options.Model, ["prompt"] = prompt, ["max_tokens"] = 1, ["temperature"] = 0, ["echo"] = true, ["logprobs"] = 1,
        };
        JsonNode response = await PostAsync("completions", body, index, cancellationToken).ConfigureAwait(false);
        JsonNode? logprobs = FirstChoice(response)?["logprobs"];
        if (logprobs is null || logprobs["token_logprobs"] is null)
            throw new NotSupportedException($"{Url("completions")} returned no logprobs for the echoed prompt, so this server cannot score log-likelihoods " +
                                            "(it needs /v1/completions with echo and logprobs, as vLLM and llama.cpp's server provide).");
        JsonArray tokens = Array(logprobs, "tokens", index), values = Array(logprobs, "token_logprobs", index), offsets = Array(logprobs, "text_offset", index);
        JsonArray? top = logprobs["top_logprobs"] as JsonArray;

        var logProbs = new List<double>();
        bool greedy = true;
        for (int i = 0; i < tokens.Count; i++)
        {
            int offset = Number<int>(offsets[i], $"choices[0].logprobs.text_offset[{i}]", index);
            // Continuation tokens start at or after the context; tokens past the prompt are the one generated token.
            if (offset < context.Length || offset >= prompt.Length) continue;
            logProbs.Add(Number<double>(values[i], $"choices[0].logprobs.token_logprobs[{i}]", index));
            if (top?[i] is JsonObject alternatives && alternatives.Count > 0)
            {
                string best = alternatives.MaxBy(p => p.Value?.GetValue<double>() ?? double.NegativeInfinity).Key;
                greedy &= best == tokens[i]?.GetValue<string>();
            }
        }
        if (logProbs.Count == 0)
            throw new InvalidDataException($"{Url("completions")}: requests[{index}]: the response holds no token at or after character {context.Length} (the continuation).");
        return new LogLikelihood(logProbs.Sum(), greedy, logProbs, truncated);
    }

    private async Task<Generation> CompleteAsync(GenerationRequest request, int index, CancellationToken cancellationToken)
    {
        GenerationOptions options = request.Options;
        if (options.MaxNewTokens < 1 || options.MaxNewTokens >= MaxContextLength)
            throw new ArgumentOutOfRangeException(nameof(request), $"requests[{index}]: MaxNewTokens must be 1 to {MaxContextLength - 1}; got {options.MaxNewTokens}.");
        (string prompt, int truncated) = KeepEnd(request.Prompt, MaxContextLength - options.MaxNewTokens, index);
        var body = new JsonObject
        {
            ["model"] = _options.Model, ["prompt"] = prompt, ["max_tokens"] = options.MaxNewTokens,
            ["temperature"] = options.Temperature, ["seed"] = options.Seed,
        };
        if (options.Stop.Count > 0) body["stop"] = new JsonArray(options.Stop.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());
        JsonNode response = await PostAsync("completions", body, index, cancellationToken).ConfigureAwait(false);
        JsonNode choice = FirstChoice(response) ?? throw Malformed(index, "choices[0]");
        string text = choice["text"] is JsonValue t && t.TryGetValue(out string? s) ? s : throw Malformed(index, "choices[0].text");
        // Servers differ on whether the stop string is included: cut it, as the local backends do.
        int cut = options.Stop.Where(x => x.Length > 0).Select(x => text.IndexOf(x, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        if (cut >= 0) text = text[..cut];
        string? finish = choice["finish_reason"]?.GetValue<string>();
        var reason = finish == "length" ? FinishReason.Length : FinishReason.Stop;
        int count = response["usage"]?["completion_tokens"] is JsonValue used && used.TryGetValue(out int n) ? n : Tokenizer.CountTokens(text);
        return new Generation(text, count, reason, truncated);
    }

    private (string Text, int TruncatedTokens) KeepEnd(string text, int maxTokens, int index)
    {
        int total = Tokenizer.CountTokens(text);
        if (total <= maxTokens) return (text, 0);
        int start = Tokenizer.GetIndexByTokenCountFromEnd(text, Math.Max(0, maxTokens), out _, out _);
        Log.WriteLine($"warning: {Name}: requests[{index}] has {total} tokens where {maxTokens} fit; dropped {total - maxTokens} from the left.");
        return (text[start..], total - maxTokens);
    }

    /// <summary>POST with a per-attempt timeout; retries timeouts, connection errors, 429 and 5xx with exponential backoff.</summary>
    private async Task<JsonNode> PostAsync(string path, JsonObject body, int index, CancellationToken cancellationToken)
    {
        string url = Url(path);
        string json = body.ToJsonString();
        for (int attempt = 0; ; attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            using (var attemptCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptCancellation.CancelAfter(_options.Timeout);
                using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
                if (_options.ApiKey != null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
                try
                {
                    using HttpResponseMessage response = await _http.SendAsync(message, attemptCancellation.Token).ConfigureAwait(false);
                    string text = await response.Content.ReadAsStringAsync(attemptCancellation.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode) return Parse(text, url, index);
                    failure = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(text)}";
                    bool transient = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
                    if (!transient) throw new HttpRequestException($"{url}: requests[{index}]: {failure}", null, response.StatusCode);
                    retryAfter = response.Headers.RetryAfter?.Delta;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = $"no response within {_options.Timeout.TotalSeconds:0.###} s";
                }
                catch (HttpRequestException e) when (e.StatusCode == null)
                {
                    failure = $"connection failed: {e.Message}";
                }
            }
            if (attempt >= _options.MaxRetries)
                throw new HttpRequestException($"{url}: requests[{index}]: gave up after {attempt + 1} attempt(s); last: {failure}");
            TimeSpan delay = retryAfter ?? _options.RetryDelay * Math.Pow(2, attempt);
            Log.WriteLine($"warning: {Name}: requests[{index}]: {failure}; retry {attempt + 1}/{_options.MaxRetries} in {delay.TotalSeconds:0.###} s.");
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static JsonNode Parse(string text, string url, int index)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{url}: requests[{index}]: malformed response: expected a JSON object, got {Shorten(text)}");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{url}: requests[{index}]: malformed response (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {Shorten(text)}", e);
        }
    }

    private static JsonNode? FirstChoice(JsonNode response) => response["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;

    private JsonArray Array(JsonNode logprobs, string field, int index) =>
        logprobs[field] as JsonArray ?? throw Malformed(index, $"choices[0].logprobs.{field}");

    private T Number<T>(JsonNode? node, string path, int index) =>
        node is JsonValue value && value.TryGetValue(out T? number) ? number : throw Malformed(index, path);

    private InvalidDataException Malformed(int index, string path) =>
        new($"{Url("completions")}: requests[{index}]: malformed response: missing or invalid {path}.");

    private string Url(string path) => new Uri(_options.Endpoint, path).AbsoluteUri;

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
