using Courseware.Models;

namespace Courseware.Tests.Models;

/// <summary>Small untrained models for fast tests (random weights are enough to test plumbing against references).</summary>
internal static class TinyModels
{
    public static readonly CharacterTokenizer Tokenizer = new(" .,:?\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public static TinyGptConfig Config(PositionEncoding positions = PositionEncoding.Learned, int context = 32) =>
        new(Tokenizer.VocabularySize, ContextLength: context, Layers: 2, Heads: 2, Width: 16, Positions: positions);

    public static TinyGpt Create(PositionEncoding positions = PositionEncoding.Learned, int context = 32, int seed = 3)
    {
        var model = TinyGpt.Create(Config(positions, context), Tokenizer, seed);
        model.Log = TextWriter.Null;
        return model;
    }
}
