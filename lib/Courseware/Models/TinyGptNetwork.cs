using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Courseware.Models;

/// <summary>
/// The constant tables TinyGpt computes with, built once in C# so the TorchSharp module and the ONNX export use
/// the very same numbers.
/// </summary>
internal static class TinyGptTables
{
    /// <summary>Additive causal mask [n, n]: 0 where a position may attend (itself and earlier), -inf after.</summary>
    public static float[] CausalMask(int n)
    {
        var mask = new float[n * n];
        for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) mask[i * n + j] = float.NegativeInfinity;
        return mask;
    }

    /// <summary>Rotary cos and sin tables [n, headWidth]: angle(t, i) = t · base^(-2i/headWidth), each half repeated (rotate-half layout).</summary>
    public static (float[] Cos, float[] Sin) Rotary(int n, int headWidth, double rotaryBase)
    {
        int half = headWidth / 2;
        var cos = new float[n * headWidth];
        var sin = new float[n * headWidth];
        for (int t = 0; t < n; t++)
        for (int i = 0; i < half; i++)
        {
            double angle = t * Math.Pow(rotaryBase, -2.0 * i / headWidth);
            cos[t * headWidth + i] = cos[t * headWidth + half + i] = (float)Math.Cos(angle);
            sin[t * headWidth + i] = sin[t * headWidth + half + i] = (float)Math.Sin(angle);
        }
        return (cos, sin);
    }
}

/// <summary>TinyGpt's transformer as a TorchSharp module: token ids [batch, time] → logits [batch, time, vocabulary].</summary>
internal sealed class TinyGptNetwork : Module<Tensor, Tensor>
{
    // Field names become parameter names in model.safetensors (token_embedding.weight, blocks.0.qkv.weight, ...).
    private readonly Embedding token_embedding;
    private readonly Embedding? position_embedding;
    private readonly ModuleList<TinyGptBlock> blocks;
    private readonly LayerNorm final_norm;
    private readonly Linear lm_head;
    private readonly Tensor causal_mask;
    private readonly Tensor? rotary_cos;
    private readonly Tensor? rotary_sin;

    public TinyGptNetwork(TinyGptConfig config) : base("TinyGpt")
    {
        config.Validate();
        Config = config;
        token_embedding = Embedding(config.VocabularySize, config.Width);
        if (config.Positions == PositionEncoding.Learned) position_embedding = Embedding(config.ContextLength, config.Width);
        blocks = new ModuleList<TinyGptBlock>(Enumerable.Range(0, config.Layers).Select(_ => new TinyGptBlock(config)).ToArray());
        final_norm = LayerNorm(config.Width, config.LayerNormEpsilon);
        lm_head = Linear(config.Width, config.VocabularySize, hasBias: false);
        causal_mask = tensor(TinyGptTables.CausalMask(config.ContextLength), [config.ContextLength, config.ContextLength]);
        if (config.Positions == PositionEncoding.Rotary)
        {
            var (cos, sin) = TinyGptTables.Rotary(config.ContextLength, config.HeadWidth, config.RotaryBase);
            rotary_cos = tensor(cos, [config.ContextLength, config.HeadWidth]);
            rotary_sin = tensor(sin, [config.ContextLength, config.HeadWidth]);
        }
        RegisterComponents();
        InitializeWeights();
    }

    public TinyGptConfig Config { get; }

    /// <summary>GPT-2's initialisation: N(0, 0.02) weights, zero biases, unit LayerNorm gains.</summary>
    private void InitializeWeights()
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) init.ones_(parameter);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) init.zeros_(parameter);
            else init.normal_(parameter, 0, 0.02);
        }
    }

    public override Tensor forward(Tensor tokens)
    {
        long time = tokens.shape[1];
        if (time > Config.ContextLength)
            throw new ArgumentException($"Input has {time} positions; the model's context is {Config.ContextLength}.");
        Tensor h = token_embedding.forward(tokens);
        if (position_embedding != null)
        {
            using var positions = arange(time, dtype: int64, device: tokens.device);
            h = h + position_embedding.forward(positions);
        }
        Tensor mask = causal_mask.narrow(0, 0, time).narrow(1, 0, time);
        Tensor? cos = rotary_cos?.narrow(0, 0, time), sin = rotary_sin?.narrow(0, 0, time);
        foreach (TinyGptBlock block in blocks) h = block.Forward(h, mask, cos, sin);
        return lm_head.forward(final_norm.forward(h));
    }
}

/// <summary>One pre-norm transformer block: h + Attention(LN(h)), then h + MLP(LN(h)).</summary>
internal sealed class TinyGptBlock : Module
{
    private readonly LayerNorm attention_norm;
    private readonly Linear qkv;
    private readonly Linear attention_out;
    private readonly LayerNorm mlp_norm;
    private readonly Linear mlp_in;
    private readonly Linear mlp_out;
    private readonly int _heads;
    private readonly int _headWidth;

    public TinyGptBlock(TinyGptConfig config) : base("Block")
    {
        _heads = config.Heads;
        _headWidth = config.HeadWidth;
        attention_norm = LayerNorm(config.Width, config.LayerNormEpsilon);
        qkv = Linear(config.Width, 3 * config.Width);
        attention_out = Linear(config.Width, config.Width);
        mlp_norm = LayerNorm(config.Width, config.LayerNormEpsilon);
        mlp_in = Linear(config.Width, config.MlpRatio * config.Width);
        mlp_out = Linear(config.MlpRatio * config.Width, config.Width);
        RegisterComponents();
    }

    public Tensor Forward(Tensor h, Tensor mask, Tensor? cos, Tensor? sin)
    {
        long batch = h.shape[0], time = h.shape[1], width = h.shape[2];
        Tensor[] parts = qkv.forward(attention_norm.forward(h)).chunk(3, -1);
        Tensor Heads(Tensor x) => x.reshape(batch, time, _heads, _headWidth).transpose(1, 2); // [B, H, T, hd]
        Tensor q = Heads(parts[0]), k = Heads(parts[1]), v = Heads(parts[2]);
        if (cos is not null && sin is not null)
        {
            q = Rotate(q, cos, sin);
            k = Rotate(k, cos, sin);
        }
        Tensor scores = q.matmul(k.transpose(-2, -1)) * (1.0 / Math.Sqrt(_headWidth)) + mask;
        Tensor attended = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(batch, time, width);
        h = h + attention_out.forward(attended);
        return h + mlp_out.forward(functional.gelu(mlp_in.forward(mlp_norm.forward(h))));
    }

    /// <summary>x·cos + rotate_half(x)·sin, with rotate_half([x1, x2]) = [-x2, x1].</summary>
    private Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        int half = _headWidth / 2;
        Tensor rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return x * cos + rotated * sin;
    }
}
