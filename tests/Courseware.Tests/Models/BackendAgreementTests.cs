using System.Text.Json.Nodes;
using Courseware.Models;
using Courseware.Models.Onnx;

namespace Courseware.Tests.Models;

/// <summary>
/// The same weights through every backend give the same log-likelihoods: TorchSharp, ONNX Runtime, and the
/// OpenAI-compatible client talking to a server whose echo logprobs are TinyGpt's own (computed independently
/// here with a plain log-softmax over <see cref="LocalLanguageModel.Logits"/>).
/// </summary>
public sealed class BackendAgreementTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agree-").FullName;
    private readonly OpenAICompatibleModelTests.ScriptedServer _server = new();

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static readonly LogLikelihoodRequest[] Requests =
    [
        new("Question: Where does Ilsa live?\nAnswer:", " Oromar"), new("Answer: ", "Paris"), new("A", " b c"),
        new("Mid length text, with commas", " no."), new("x", " y"),
    ];

    [Fact]
    public async Task TorchSharp_OnnxRuntime_and_the_http_backend_agree_on_every_request_and_batch_size()
    {
        using TinyGpt torch = TinyModels.Create(PositionEncoding.Rotary, context: 64, seed: 5);
        torch.Save(_folder);
        OnnxLanguageModel.Export(torch, _folder);
        using OnnxLanguageModel onnx = OnnxLanguageModel.Load(_folder);
        _server.Respond((_, body) => (200, Echo(torch, JsonNode.Parse(body)!["prompt"]!.GetValue<string>())));
        using var http = new OpenAICompatibleModel(new OpenAICompatibleOptions
        {
            Endpoint = _server.Endpoint, Model = "tinygpt", Tokenizer = TinyModels.Tokenizer, MaxContextLength = 64,
        }) { Log = TextWriter.Null };

        torch.BatchSize = 16;
        var expected = await torch.LogLikelihoodAsync(Requests);
        onnx.BatchSize = 2;
        torch.BatchSize = 1;
        var byOnnx = await onnx.LogLikelihoodAsync(Requests);
        var byTorchOneByOne = await torch.LogLikelihoodAsync(Requests);
        var byHttp = await http.LogLikelihoodAsync(Requests);
        // Every request fits the context: truncation legitimately differs (lm-eval keeps max_length + 1 tokens for
        // local models, max_length for API models, as the two backends do).
        for (int i = 0; i < Requests.Length; i++)
        {
            foreach (var (backend, actual) in new[] { ("onnx", byOnnx[i]), ("torch, batch 1", byTorchOneByOne[i]), ("http", byHttp[i]) })
            {
                Assert.Equal(0, actual.TruncatedTokens);
                Assert.Equal(expected[i].TokenCount, actual.TokenCount);
                Assert.True(Math.Abs(expected[i].Sum - actual.Sum) < 1e-4, $"{backend}, requests[{i}]: {actual.Sum} vs {expected[i].Sum}");
                Assert.Equal(expected[i].IsGreedy, actual.IsGreedy);
                for (int j = 0; j < expected[i].TokenCount; j++) Assert.Equal(expected[i].TokenLogProbs[j], actual.TokenLogProbs[j], 4);
            }
        }
        Assert.Contains(expected, r => r.TokenCount > 1 && r.Sum < -1); // real scores, not an empty agreement
    }

    /// <summary>What vLLM returns for echo=true, logprobs=1, max_tokens=1: one token per character, log P(token | before), the argmax.</summary>
    private static string Echo(TinyGpt model, string prompt)
    {
        int[] ids = model.Tokenizer.EncodeToIds(prompt).ToArray();
        float[] logits = model.Logits([ids])[0];
        int v = model.VocabularySize;
        var tokenLogprobs = new JsonArray { null };
        var top = new JsonArray { null };
        for (int i = 1; i < ids.Length; i++)
        {
            var row = logits.AsSpan((i - 1) * v, v);
            float max = float.NegativeInfinity;
            int best = 0;
            for (int k = 0; k < v; k++) if (row[k] > max) (max, best) = (row[k], k);
            double sum = 0;
            foreach (float x in row) sum += Math.Exp(x - max);
            double logZ = max + Math.Log(sum);
            tokenLogprobs.Add(row[ids[i]] - logZ);
            top.Add(new JsonObject { [model.Tokenizer.Decode([best])!] = row[best] - logZ });
        }
        var tokens = new JsonArray(prompt.Select(c => (JsonNode)c.ToString()).Append("!").ToArray());
        tokenLogprobs.Add(-1.0);
        top.Add(new JsonObject { ["!"] = -1.0 });
        var offsets = new JsonArray(Enumerable.Range(0, prompt.Length + 1).Select(i => (JsonNode)i).ToArray());
        var logprobs = new JsonObject { ["tokens"] = tokens, ["token_logprobs"] = tokenLogprobs, ["top_logprobs"] = top, ["text_offset"] = offsets };
        return new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["text"] = prompt + "!", ["logprobs"] = logprobs }) }.ToJsonString();
    }
}
