using Courseware.Notebooks;
using Courseware.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Courseware.Tests.Models;

public sealed class LanguageModelTests : IDisposable
{
    private readonly TinyGpt _model = TinyModels.Create(PositionEncoding.Rotary);

    public void Dispose() => _model.Dispose();

    /// <summary>Reference: TorchSharp's own log_softmax over the network's logits for the whole sequence.</summary>
    private double[] ReferenceLogProbs(string context, string continuation)
    {
        long[] ids = _model.Tokenizer.EncodeToIds(context + continuation).Select(i => (long)i).ToArray();
        int n = _model.Tokenizer.EncodeToIds(continuation).Count;
        using var _ = no_grad();
        using Tensor logits = _model.Network.forward(tensor(ids, [1, ids.Length]));
        using Tensor logProbs = logits.log_softmax(-1);
        return Enumerable.Range(0, n).Select(j =>
        {
            int position = ids.Length - n - 1 + j;
            return (double)logProbs[0, position, ids[position + 1]].item<float>();
        }).ToArray();
    }

    [Fact]
    public async Task Log_likelihood_matches_log_softmax_token_by_token()
    {
        var result = (await _model.LogLikelihoodAsync([new("Question: where?\nAnswer:", " Oromar")]))[0];
        double[] expected = ReferenceLogProbs("Question: where?\nAnswer:", " Oromar");
        Assert.Equal(expected.Length, result.TokenCount);
        for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j], result.TokenLogProbs[j], 4);
        Assert.Equal(expected.Sum(), result.Sum, 4);
        Assert.True(result.Sum < 0);
        Assert.Equal(0, result.TruncatedTokens);
    }

    [Fact]
    public async Task Batching_and_padding_change_no_result()
    {
        LogLikelihoodRequest[] requests =
        [
            new("A", " b"), new("Some much longer context here", " yes"), new("Mid length text", " no."),
            new("", "Hello"), new("Answer:", " Telvi"), new("x", " y z"),
        ];
        _model.BatchSize = 1;
        var one = await _model.LogLikelihoodAsync(requests);
        _model.BatchSize = 4;
        var four = await _model.LogLikelihoodAsync(requests);
        _model.BatchSize = 16;
        var all = await _model.LogLikelihoodAsync(requests);
        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(one[i].Sum, four[i].Sum, 5);
            Assert.Equal(one[i].Sum, all[i].Sum, 5);
            Assert.Equal(one[i].IsGreedy, all[i].IsGreedy);
            Assert.Equal(one[i].TokenLogProbs.Count, all[i].TokenLogProbs.Count);
        }
    }

    [Fact]
    public async Task Trailing_context_spaces_move_to_the_continuation_like_lm_eval()
    {
        var results = await _model.LogLikelihoodAsync([new("Answer: ", "Paris"), new("Answer:", " Paris")]);
        Assert.Equal(results[1].Sum, results[0].Sum, 6);
        Assert.Equal(6, results[0].TokenCount);
    }

    [Fact]
    public async Task Empty_context_is_scored_after_end_of_text()
    {
        var result = (await _model.LogLikelihoodAsync([new("", "Hi")]))[0];
        long[] ids = [0, .. _model.Tokenizer.EncodeToIds("Hi").Select(i => (long)i)];
        using var _ = no_grad();
        using Tensor logProbs = _model.Network.forward(tensor(ids, [1, 3])).log_softmax(-1);
        double expected = logProbs[0, 0, ids[1]].item<float>() + logProbs[0, 1, ids[2]].item<float>();
        Assert.Equal(expected, result.Sum, 4);
    }

    [Fact]
    public async Task Over_long_contexts_are_truncated_from_the_left_with_a_warning()
    {
        var log = new StringWriter();
        _model.Log = log;
        string tail = "the end of it:";
        string context = new string('a', 40) + tail; // 54 characters; context window 32
        var result = (await _model.LogLikelihoodAsync([new(context, " ok")]))[0];

        // lm-eval keeps the last max_length + 1 tokens of context + continuation: 54 + 3 - 33 = 24 dropped.
        Assert.Equal(24, result.TruncatedTokens);
        Assert.Contains("requests[0]", log.ToString());
        Assert.Contains("dropped 24 context tokens from the left", log.ToString());
        var explicitTail = (await _model.LogLikelihoodAsync([new(context[24..], " ok")]))[0];
        Assert.Equal(explicitTail.Sum, result.Sum, 5);
    }

    [Fact]
    public async Task Over_long_generation_prompts_keep_their_end_with_a_warning()
    {
        var log = new StringWriter();
        _model.Log = log;
        string prompt = new string('b', 30) + "tail:"; // 35 characters; context 32 − 8 new tokens leaves room for 24
        var generation = (await _model.GenerateAsync([new(prompt, GenerationOptions.Greedy(8))]))[0];

        Assert.Equal(11, generation.TruncatedTokens);
        Assert.Contains("requests[0] prompt has 35 tokens; kept the last 24 to leave room for 8 new tokens", log.ToString());
        var explicitTail = (await _model.GenerateAsync([new(prompt[11..], GenerationOptions.Greedy(8))]))[0];
        Assert.Equal(0, explicitTail.TruncatedTokens);
        Assert.Equal(explicitTail.Text, generation.Text);
        Assert.Equal(8, generation.TokenCount);
    }

    [Fact]
    public async Task Greedy_generation_is_greedy_by_the_log_likelihood_flag()
    {
        var generation = (await _model.GenerateAsync([new("Hello", GenerationOptions.Greedy(8))]))[0];
        Assert.Equal(FinishReason.Length, generation.FinishReason);
        Assert.Equal(8, generation.TokenCount);
        var score = (await _model.LogLikelihoodAsync([new("Hello", generation.Text)]))[0];
        Assert.True(score.IsGreedy);
        var other = (await _model.LogLikelihoodAsync([new("Hello", generation.Text[..^1] + (generation.Text[^1] == 'q' ? "r" : "q"))]))[0];
        Assert.False(other.IsGreedy);
    }

    [Fact]
    public async Task Stop_sequences_end_generation_and_are_not_returned()
    {
        var free = (await _model.GenerateAsync([new("Hello", GenerationOptions.Greedy(12))]))[0];
        string stop = free.Text.Substring(3, 2);
        int first = free.Text.IndexOf(stop, StringComparison.Ordinal);
        var stopped = (await _model.GenerateAsync([new("Hello", GenerationOptions.Greedy(12, stop))]))[0];
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free.Text[..first], stopped.Text);
    }

    [Fact]
    public async Task Sampling_is_reproducible_per_seed_and_batch_independent()
    {
        GenerationRequest Sampled(int seed) => new("Hello", new GenerationOptions { MaxNewTokens = 16, Temperature = 1.5, Seed = seed });
        var alone = await _model.GenerateAsync([Sampled(1)]);
        var batched = await _model.GenerateAsync([Sampled(2), Sampled(1), new("Other prompt", GenerationOptions.Greedy(8))]);
        Assert.Equal(alone[0].Text, batched[1].Text);
        Assert.NotEqual(batched[0].Text, batched[1].Text); // 16 samples from ~60 tokens at T=1.5
    }

    [Fact]
    public async Task Unknown_characters_name_the_request_and_the_character()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _model.LogLikelihoodAsync([new("fine", " ok"), new("caf\u00e9", " ok")]));
        Assert.Contains("requests[1]", error.Message);
        Assert.Contains("U+00E9", error.Message);
    }

    [Fact]
    public async Task Bad_generation_options_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _model.GenerateAsync([new("Hi", new GenerationOptions { MaxNewTokens = 0 })]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _model.GenerateAsync([new("Hi", new GenerationOptions { Temperature = -1 })]));
        await Assert.ThrowsAsync<ArgumentException>(() => _model.LogLikelihoodAsync([new("Hi", "")]));
    }

    [Fact]
    public async Task Cancellation_stops_the_work()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _model.LogLikelihoodAsync([new("a", " b")], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _model.GenerateAsync([new("a")], cancelled.Token));
    }

    [Fact]
    public void Wrong_token_ids_and_lengths_are_refused_with_the_limits()
    {
        var outside = Assert.Throws<ArgumentException>(() => _model.Logits([[1, 2, _model.VocabularySize]]));
        Assert.Contains($"Token id {_model.VocabularySize} is outside the vocabulary (0..{_model.VocabularySize - 1})", outside.Message);
        var tooLong = Assert.Throws<ArgumentException>(() => _model.Logits([new int[33]]));
        Assert.Contains("1 to 32 tokens; got 33", tooLong.Message);
        Assert.Throws<ArgumentException>(() => _model.Logits([[]]));
    }

    [Fact]
    public void Asking_the_cpu_build_of_TorchSharp_for_cuda_fails_naming_the_build_and_the_fix()
    {
        // This test project builds against the default (CPU) build: TorchSharp-cpu's libtorch has no CUDA.
        var error = Assert.Throws<InvalidOperationException>(() => DeviceChoice.Select("cuda"));
        Assert.Contains("cuda was requested but TorchSharp cannot use CUDA", error.Message);
        Assert.Contains("CPU-only libtorch", error.Message);
        Assert.Contains("-p:Accelerator=cuda", error.Message);
        Assert.Contains("LD_LIBRARY_PATH", error.Message);
        DeviceChoice auto = DeviceChoice.Select("auto");
        Assert.Equal("cpu", auto.Name);
        Assert.Contains("CPU-only libtorch", auto.Reason);
        Assert.False(TorchRuntime.IsCudaAvailable());
    }

    [Fact]
    public void Device_selection_says_what_it_picked_and_why()
    {
        const string why = "no NVIDIA driver: libcuda.so.1 is not on this machine";
        DeviceChoice auto = DeviceChoice.Select("auto", () => why, "Backend");
        Assert.Equal("cpu", auto.Name);
        Assert.Equal($"auto: Backend cannot use CUDA ({why}), so the CPU.", auto.Reason);
        Assert.Equal("cuda", DeviceChoice.Select("auto", () => null, "Backend").Name);
        Assert.Contains("Backend's CUDA backend loaded", DeviceChoice.Select(" AUTO ", () => null, "Backend").Reason);
        Assert.Equal("cpu", DeviceChoice.Select("cpu", () => null, "Backend").Name);
        var missing = Assert.Throws<InvalidOperationException>(() => DeviceChoice.Select("cuda", () => why, "Backend"));
        Assert.Equal($"cuda was requested but Backend cannot use CUDA: {why}.", missing.Message);
        var unknown = Assert.Throws<ArgumentException>(() => DeviceChoice.Select("tpu", () => null, "Backend"));
        Assert.Contains("Unknown device 'tpu': expected auto, cpu or cuda", unknown.Message);
    }
}

public class ModelDisplayTests
{
    [Fact]
    public void A_model_renders_as_an_escaped_html_table()
    {
        using TinyGpt model = TinyGpt.Create(TinyModels.Config(), TinyModels.Tokenizer, name: "<b>evil</b>");
        string html = HtmlRenderers.Render(model);
        Assert.Contains("<table", html);
        Assert.Contains("&lt;b&gt;evil&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>evil", html);
        Assert.Contains(">32<", html); // context length cell
    }
}
