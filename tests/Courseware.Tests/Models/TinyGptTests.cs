using Courseware.Models;

namespace Courseware.Tests.Models;

public sealed class TinyGptTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tinygpt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Documents =
    [
        "Ilsa lives in Oromar. Ilsa keeps a cat.", "Brant lives in Telvi. Brant is a baker.",
        "Question: Where does Ilsa live?\nAnswer: Oromar", "Question: Where does Brant live?\nAnswer: Telvi",
    ];

    private static TinyGpt TrainTiny(int seed) =>
        TinyGptTrainer.Train(TinyModels.Config(PositionEncoding.Rotary, context: 24), TinyModels.Tokenizer, Documents,
            new TrainingOptions { Steps = 15, BatchSize = 4, WarmupSteps = 3, Seed = seed });

    [Fact]
    public void Training_twice_with_the_same_seed_gives_identical_weights()
    {
        using TinyGpt first = TrainTiny(seed: 5), second = TrainTiny(seed: 5), other = TrainTiny(seed: 6);
        string a = Path.Combine(_folder, "a.safetensors"), b = Path.Combine(_folder, "b.safetensors"), c = Path.Combine(_folder, "c.safetensors");
        SafeTensors.Write(a, first.ExportWeights());
        SafeTensors.Write(b, second.ExportWeights());
        SafeTensors.Write(c, other.ExportWeights());
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(c));
    }

    [Fact]
    public void Training_lowers_the_loss()
    {
        var losses = new List<double>();
        using TinyGpt model = TinyGptTrainer.Train(TinyModels.Config(context: 24), TinyModels.Tokenizer, Documents,
            new TrainingOptions { Steps = 40, BatchSize = 8, WarmupSteps = 5, LearningRate = 1e-2 }, new SyncProgress(p => losses.Add(p.Loss)));
        Assert.Equal(40, losses.Count);
        // An untrained model predicts ~uniformly: ln(vocabulary) nats. Training must get well below it.
        Assert.InRange(losses[0], Math.Log(TinyModels.Tokenizer.VocabularySize) - 0.3, Math.Log(TinyModels.Tokenizer.VocabularySize) + 0.3);
        Assert.True(losses.TakeLast(5).Average() < losses[0] - 1.0, $"loss went from {losses[0]:0.00} to {losses[^1]:0.00}");
    }

    [Fact]
    public async Task A_saved_checkpoint_loads_back_with_identical_outputs()
    {
        using TinyGpt model = TinyModels.Create(PositionEncoding.Learned);
        string folder = Path.Combine(_folder, "ckpt");
        model.Save(folder);
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        using TinyGpt loaded = TinyGpt.Load(folder, "cpu");
        Assert.Equal(model.Config, loaded.Config);
        LogLikelihoodRequest[] requests = [new("Where is it?", " here"), new("", "Abc")];
        var expected = await model.LogLikelihoodAsync(requests);
        var actual = await loaded.LogLikelihoodAsync(requests);
        Assert.Equal(expected.Select(r => r.Sum), actual.Select(r => r.Sum));
    }

    [Fact]
    public void Loading_weights_of_another_shape_names_the_tensor()
    {
        using TinyGpt small = TinyModels.Create(context: 32), other = TinyModels.Create(context: 16);
        string folder = Path.Combine(_folder, "ckpt");
        small.Save(folder);
        var error = Assert.Throws<InvalidDataException>(() => other.LoadWeights(Path.Combine(folder, "model.safetensors")));
        Assert.Contains("position_embedding.weight", error.Message);
        Assert.Contains("[32, 16]", error.Message);
    }

    [Fact]
    public void Bad_config_files_name_the_file_and_field()
    {
        string path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, "{\n  \"vocabulary_size\": 10,\n  \"width\": 10,\n  \"heads\": 3\n}");
        var error = Assert.Throws<InvalidDataException>(() => TinyGptConfig.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("TinyGptConfig.Width", error.Message);

        File.WriteAllText(path, "{\n  \"vocabulary_size\": 10,\n  \"widht\": 8\n}");
        var typo = Assert.Throws<InvalidDataException>(() => TinyGptConfig.Load(path));
        Assert.Contains("line 3", typo.Message);
    }

    [Fact]
    public void Character_tokenizer_round_trips_and_saves()
    {
        var tokenizer = TinyModels.Tokenizer;
        var ids = tokenizer.EncodeToIds("Hi, you.<|endoftext|>Yes");
        Assert.Equal(0, ids[8]);
        Assert.Equal(12, ids.Count);
        Assert.Equal("Hi, you.<|endoftext|>Yes", tokenizer.Decode(ids));
        string path = Path.Combine(_folder, "tokenizer.json");
        tokenizer.Save(path);
        Assert.Equal(tokenizer.Characters, CharacterTokenizer.Load(path).Characters);
        Assert.Throws<ArgumentException>(() => new CharacterTokenizer("abca"));
    }

    [Fact]
    public void The_printable_ascii_tokenizer_reads_benchmark_prompts_and_names_what_it_cannot()
    {
        var tokenizer = CharacterTokenizer.PrintableAscii();
        Assert.Equal(2 + 95 + 1, tokenizer.VocabularySize);
        // MMLU's description and letters, TruthfulQA's digits and parentheses: every character encodes and decodes back.
        const string prompt = "The following are multiple choice questions (with answers) about us_history.\n\nQ: 1955?\tC. {x}~\nAnswer: C";
        Assert.Equal(prompt, tokenizer.Decode(tokenizer.EncodeToIds(prompt)));
        Assert.Equal(3, tokenizer.EncodeToIds(" ")[0]);   // 0 end-of-text, 1 tab, 2 newline, 3 space
        var unknown = Assert.Throws<ArgumentException>(() => tokenizer.EncodeToIds("Water boils at 100 °C"));
        Assert.Contains("'°' (U+00B0) at index 19", unknown.Message);
        Assert.Contains("printable ASCII", unknown.Message);

        // A tokenizer.json from before the printable-ASCII vocabulary (the corpus's characters only) still loads, and its error lists what it has.
        string path = Path.Combine(_folder, "old-tokenizer.json");
        File.WriteAllText(path, "{\"type\": \"character\", \"end_of_text\": \"<|endoftext|>\", \"characters\": \"\\n ,.:?ABDabc\"}");
        var old = CharacterTokenizer.Load(path);
        Assert.Equal(13, old.VocabularySize);
        var missing = Assert.Throws<ArgumentException>(() => old.EncodeToIds("Answer: C"));
        Assert.Contains("'n' (U+006E) at index 1", missing.Message);
        Assert.Contains("the vocabulary has 12 characters: \\n ,.:?ABDabc", missing.Message);
        // A checkpoint whose tokenizer.json does not match its config is refused at load, naming both files.
        string checkpoint = Path.Combine(_folder, "mixed");
        using (var model = TinyModels.Create()) model.Save(checkpoint);
        CharacterTokenizer.PrintableAscii().Save(Path.Combine(checkpoint, "tokenizer.json"));
        var mixed = Assert.Throws<InvalidDataException>(() => TinyGpt.Load(checkpoint, "cpu"));
        Assert.Contains($"config.json says vocabulary_size {TinyModels.Tokenizer.VocabularySize} but tokenizer.json has 98 tokens", mixed.Message);
        File.WriteAllText(path, "{\"type\": \"bpe\"}");
        Assert.Contains("expected a character tokenizer", Assert.Throws<InvalidDataException>(() => CharacterTokenizer.Load(path)).Message);
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
