using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Courseware.Models;

namespace Courseware.Tests.Models;

/// <summary>The HTTP backend against a scripted OpenAI-compatible server on 127.0.0.1.</summary>
public sealed class OpenAICompatibleModelTests : IDisposable
{
    private readonly ScriptedServer _server = new();

    public void Dispose() => _server.Dispose();

    private OpenAICompatibleModel Model(int retries = 3, double timeoutSeconds = 5) => new(new OpenAICompatibleOptions
    {
        Endpoint = _server.Endpoint, Model = "tiny", ApiKey = "secret", MaxRetries = retries,
        RetryDelay = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        Tokenizer = TinyModels.Tokenizer, MaxContextLength = 40,
    }) { Log = TextWriter.Null };

    /// <summary>An echo response as vLLM writes it: one token per character of "Answer: Paris" plus one generated token.</summary>
    internal static string EchoResponse(string prompt, Func<int, double> logprob, bool withTop = true)
    {
        var tokens = prompt.Select(c => c.ToString()).Append("!").ToArray();
        var logprobs = new JsonObject
        {
            ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode)t).ToArray()),
            ["token_logprobs"] = new JsonArray(tokens.Select((_, i) => (JsonNode)(i == 0 ? null! : logprob(i))).ToArray()),
            ["text_offset"] = new JsonArray(tokens.Select((_, i) => (JsonNode)i).ToArray()),
        };
        if (withTop)
            logprobs["top_logprobs"] = new JsonArray(tokens.Select((t, i) => (JsonNode)new JsonObject { [i == 9 ? "X" : t] = logprob(i) }).ToArray());
        return new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["text"] = prompt + "!", ["logprobs"] = logprobs }) }.ToJsonString();
    }

    [Fact]
    public async Task Log_likelihood_sums_the_continuation_tokens_of_the_echoed_prompt()
    {
        _server.Respond((_, _) => (200, EchoResponse("Answer: Paris", i => -0.1 * i)));
        using var model = Model();
        var result = (await model.LogLikelihoodAsync([new("Answer:", " Paris")]))[0];

        // " Paris" covers characters 7..12: log-probs -0.7 ... -1.2.
        Assert.Equal([-0.7, -0.8, -0.9, -1.0, -1.1, -1.2], result.TokenLogProbs.Select(x => Math.Round(x, 10)));
        Assert.Equal(-5.7, result.Sum, 10);
        Assert.False(result.IsGreedy); // the top token at index 9 ('r') was "X"
        var request = JsonNode.Parse(_server.Bodies.Single())!;
        Assert.Equal("Answer: Paris", request["prompt"]!.GetValue<string>());
        Assert.True(request["echo"]!.GetValue<bool>());
        Assert.Equal("Bearer secret", _server.Authorizations.Single());
    }

    [Fact]
    public async Task Servers_without_prompt_logprobs_are_reported_as_unable_to_score()
    {
        _server.Respond((_, _) => (200, """{"choices":[{"text":"!","logprobs":null}]}"""));
        using var model = Model();
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => model.LogLikelihoodAsync([new("Answer:", " Paris")]));
        Assert.Contains("cannot score log-likelihoods", error.Message);
    }

    [Fact]
    public async Task Rate_limits_and_server_errors_are_retried_with_backoff()
    {
        _server.Respond((call, _) => call switch
        {
            0 => (429, """{"error":"slow down"}"""),
            1 => (503, "busy"),
            _ => (200, """{"choices":[{"text":"Paris\nmore","finish_reason":"stop"}],"usage":{"completion_tokens":5}}"""),
        });
        using var model = Model();
        var generation = (await model.GenerateAsync([new("Answer:", GenerationOptions.Greedy(8, "\n"))]))[0];
        Assert.Equal("Paris", generation.Text);
        Assert.Equal(FinishReason.Stop, generation.FinishReason);
        Assert.Equal(3, _server.Calls);
        var body = JsonNode.Parse(_server.Bodies.Last())!;
        Assert.Equal(8, body["max_tokens"]!.GetValue<int>());
        Assert.Equal("\n", body["stop"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Giving_up_names_the_url_the_attempts_and_the_last_failure()
    {
        _server.Respond((_, _) => (429, "rate limited"));
        using var model = Model(retries: 2);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => model.GenerateAsync([new("Hi", GenerationOptions.Greedy(4))]));
        Assert.Contains(_server.Endpoint + "completions", error.Message);
        Assert.Contains("gave up after 3 attempt(s)", error.Message);
        Assert.Contains("HTTP 429", error.Message);
        Assert.Equal(3, _server.Calls);
    }

    [Fact]
    public async Task Slow_responses_time_out_and_are_retried()
    {
        _server.Respond((call, _) => call == 0 ? (200, "SLOW") : (200, """{"choices":[{"text":"ok","finish_reason":"length"}]}"""));
        using var model = Model(timeoutSeconds: 0.3);
        var generation = (await model.GenerateAsync([new("Hi", GenerationOptions.Greedy(2))]))[0];
        Assert.Equal("ok", generation.Text);
        Assert.Equal(FinishReason.Length, generation.FinishReason);
        Assert.Equal(2, _server.Calls);
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        _server.Respond((_, _) => (400, """{"error":"unknown model"}"""));
        using var model = Model();
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => model.GenerateAsync([new("Hi", GenerationOptions.Greedy(2))]));
        Assert.Contains("HTTP 400", error.Message);
        Assert.Contains("unknown model", error.Message);
        Assert.Equal(1, _server.Calls);
    }

    [Theory]
    [InlineData("not json at all", "malformed response (line 1")]
    [InlineData("""{"choices":[]}""", "missing or invalid choices[0]")]
    [InlineData("""{"choices":[{"text":5}]}""", "missing or invalid choices[0].text")]
    public async Task Malformed_responses_name_what_is_wrong(string response, string expected)
    {
        _server.Respond((_, _) => (200, response));
        using var model = Model();
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => model.GenerateAsync([new("Hi", GenerationOptions.Greedy(2))]));
        Assert.Contains(expected, error.Message);
        Assert.Contains("requests[0]", error.Message);
    }

    [Fact]
    public async Task Batches_keep_request_order_and_long_prompts_are_truncated_from_the_left()
    {
        _server.Respond((_, body) => (200, new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["text"] = "Got " + JsonNode.Parse(body)!["prompt"]!.GetValue<string>() }) }.ToJsonString()));
        using var model = Model();
        string longPrompt = new string('a', 50) + "END";
        var results = await model.GenerateAsync([new("one", GenerationOptions.Greedy(4)), new(longPrompt, GenerationOptions.Greedy(4)), new("three", GenerationOptions.Greedy(4))]);
        Assert.Equal("Got one", results[0].Text);
        Assert.Equal("Got three", results[2].Text);
        // Context 40 − 4 new tokens = 36 characters kept, from the end.
        Assert.Equal("Got " + longPrompt[^36..], results[1].Text);
        Assert.Equal(17, results[1].TruncatedTokens);
    }

    /// <summary>A minimal HTTP server on a free loopback port; each call is answered by the script (status, body); "SLOW" waits 2 s.</summary>
    internal sealed class ScriptedServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _stop = new();
        private Func<int, string, (int Status, string Body)> _script = (_, _) => (500, "no script");
        private int _calls;

        public ScriptedServer()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Endpoint = new Uri($"http://127.0.0.1:{port}/v1/");
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public Uri Endpoint { get; }
        public int Calls => _calls;
        public ConcurrentQueue<string> Bodies { get; } = new();
        public ConcurrentQueue<string?> Authorizations { get; } = new();

        public void Respond(Func<int, string, (int Status, string Body)> script) => _script = script;

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) { return; } // listener stopped
                _ = Task.Run(async () =>
                {
                    using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                    string body = await reader.ReadToEndAsync();
                    Bodies.Enqueue(body);
                    Authorizations.Enqueue(context.Request.Headers["Authorization"]);
                    int call = Interlocked.Increment(ref _calls) - 1;
                    // A script that throws answers 500 with the exception, rather than leaving the client waiting for its timeout.
                    (int status, string text) = (500, "");
                    try { (status, text) = _script(call, body); }
                    catch (Exception e) { text = e.ToString(); }
                    if (text == "SLOW")
                    {
                        try { await Task.Delay(2000, _stop.Token); } catch (OperationCanceledException) { }
                        text = "{}";
                    }
                    context.Response.StatusCode = status;
                    if (status == 429) context.Response.Headers["Retry-After"] = "0";
                    byte[] bytes = Encoding.UTF8.GetBytes(text);
                    try
                    {
                        await context.Response.OutputStream.WriteAsync(bytes);
                        context.Response.Close();
                    }
                    catch (Exception) { } // the client gave up (timeout test)
                });
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Close();
        }
    }
}
