using Courseware.Reproducibility;

namespace Courseware.Tests.Reproducibility;

public enum Activation { Relu, Gelu }

public sealed record TrainConfig(int Seed, int Epochs, DataConfig Data, ModelConfig Model, OptimizerConfig Optimizer)
{
    public IReadOnlyList<string> Tags { get; init; } = [];
    public Dictionary<string, string> Extra { get; init; } = [];
}

public sealed record DataConfig(string Path, int BatchSize = 16);

public sealed class ModelConfig
{
    public int Layers { get; set; } = 1;
    public int Hidden { get; set; }
    public double Dropout { get; set; }
    public Activation Activation { get; set; } = Activation.Gelu;
}

public sealed record OptimizerConfig
{
    public required string Name { get; init; }
    public double Lr { get; init; }
    public double[]? Betas { get; init; }
    public double? Momentum { get; init; }
}

public class ConfigComposerTests
{
    private const string Primary = """
        defaults:
          - model: small
          - optimizer: adam
          - _self_

        seed: 42
        epochs: 3
        data:
          path: datasets/penguins
          batch_size: 32
        tags: [baseline]
        """;

    private static TempFolder Configs(string primary = Primary)
    {
        var t = new TempFolder();
        t.Write("conf/config.yaml", primary);
        t.Write("conf/model/small.yaml", "layers: 2\nhidden: 64\ndropout: 0.1\n");
        t.Write("conf/model/large.yaml", "layers: 6\nhidden: 256\ndropout: 0.2\nactivation: relu\n");
        t.Write("conf/optimizer/adam.yaml", "name: adam\nlr: 0.001\nbetas: [0.9, 0.999]\n");
        t.Write("conf/optimizer/sgd.yaml", "name: sgd\nlr: 0.1\nmomentum: 0.9\n");
        return t;
    }

    private static ResolvedConfig<TrainConfig> Compose(TempFolder t, params string[] overrides) =>
        ConfigComposer.Compose<TrainConfig>(Path.Combine(t.Path, "conf"), overrides, command: "courseware train " + string.Join(' ', overrides));

    [Fact]
    public void Defaults_list_merges_group_options_then_self()
    {
        using var t = Configs();
        var cfg = Compose(t);
        var v = cfg.Value;
        Assert.Equal((42, 3), (v.Seed, v.Epochs));
        Assert.Equal(new DataConfig("datasets/penguins", 32), v.Data);
        Assert.Equal((2, 64, 0.1, Activation.Gelu), (v.Model.Layers, v.Model.Hidden, v.Model.Dropout, v.Model.Activation));
        Assert.Equal(("adam", 0.001), (v.Optimizer.Name, v.Optimizer.Lr));
        Assert.Equal([0.9, 0.999], v.Optimizer.Betas!);
        Assert.Null(v.Optimizer.Momentum);
        Assert.Equal(["baseline"], v.Tags);
        Assert.Equal(["model/small.yaml", "optimizer/adam.yaml", "config.yaml"],
            cfg.Sources.Select(s => Path.GetRelativePath(Path.Combine(t.Path, "conf"), s)));
    }

    [Fact]
    public void Overrides_pick_options_change_add_and_delete_keys()
    {
        using var t = Configs();
        var v = Compose(t, "model=large", "optimizer=sgd", "optimizer.lr=0.05", "+extra.owner=ada", "epochs=5", "~tags", "++seed=7").Value;
        Assert.Equal((6, Activation.Relu), (v.Model.Layers, v.Model.Activation));
        Assert.Equal(("sgd", 0.05, 0.9), (v.Optimizer.Name, v.Optimizer.Lr, v.Optimizer.Momentum!.Value));
        Assert.Null(v.Optimizer.Betas);
        Assert.Equal("ada", v.Extra["owner"]);
        Assert.Equal((5, 7), (v.Epochs, v.Seed));
        Assert.Empty(v.Tags);
    }

    [Fact]
    public void Misspelt_key_in_a_file_names_key_file_line_and_suggestion()
    {
        using var t = Configs(Primary.Replace("batch_size: 32", "batch_szie: 32"));
        var e = Assert.Throws<ConfigException>(() => Compose(t));
        Assert.Equal("data.batch_szie", e.Key);
        Assert.Equal(Path.Combine(t.Path, "conf", "config.yaml"), e.Location.File);
        Assert.Equal((10, 3), (e.Location.Line, e.Location.Column));
        Assert.Equal("data.batch_size", e.Suggestion);
        Assert.StartsWith($"{Path.Combine(t.Path, "conf", "config.yaml")}:10:3: unknown key 'data.batch_szie'", e.Message);
        Assert.EndsWith("Did you mean 'data.batch_size'?", e.Message);
    }

    [Fact]
    public void Misspelt_key_in_a_group_file_is_located_there()
    {
        using var t = Configs();
        t.Write("conf/model/small.yaml", "layers: 2\nhiden: 64\n");
        var e = Assert.Throws<ConfigException>(() => Compose(t));
        Assert.Equal(Path.Combine(t.Path, "conf", "model", "small.yaml"), e.Location.File);
        Assert.Equal(2, e.Location.Line);
        Assert.Equal("model.hidden", e.Suggestion);
    }

    [Theory]
    [InlineData("optimizer.lrr=0.1", "cannot override 'optimizer.lrr'", "optimizer.lr")]
    [InlineData("model=huge", "option 'huge' of group 'model' not found", null)]
    [InlineData("model=smal", "option 'smal' of group 'model' not found", "small")]
    [InlineData("epochs=abc", "'epochs' must be a whole number, but is 'abc'", null)]
    [InlineData("epochs=2.5", "'epochs' must be a whole number", null)]
    [InlineData("+epochs=3", "'epochs' already exists", null)]
    [InlineData("++model.activation=tanh", "'tanh' is not one of Activation's values", null)]
    [InlineData("~data.path", "missing key 'data.path'", null)]
    [InlineData("+modle.layers=3", "unknown key 'modle'", "model")]
    [InlineData("epochs", "missing '=value'", null)]
    public void Bad_overrides_are_rejected_with_the_override_named(string bad, string expected, string? suggestion)
    {
        using var t = Configs();
        var e = Assert.Throws<ConfigException>(() => Compose(t, bad));
        Assert.Contains(expected, e.Message);
        Assert.Equal(suggestion, e.Suggestion);
        if (!bad.StartsWith('~') && !bad.StartsWith("+modle")) Assert.StartsWith($"override '{bad}'", e.Message);
    }

    [Fact]
    public void Groups_can_be_added_and_removed_and_strict_binding_still_applies()
    {
        using var t = Configs();
        t.Write("conf/scheduler/cosine.yaml", "warmup: 100\n");
        var added = Assert.Throws<ConfigException>(() => Compose(t, "+scheduler=cosine"));
        Assert.Equal("scheduler", added.Key);
        Assert.Equal("override '+scheduler=cosine'", added.Location.File);
        Assert.Contains("missing key 'optimizer'", Assert.Throws<ConfigException>(() => Compose(t, "~optimizer")).Message);
        Assert.Contains("add it with '+scheduler=cosine'", Assert.Throws<ConfigException>(() => Compose(t, "scheduler=cosine")).Message);
    }

    [Fact]
    public void Quoted_numbers_are_strings_and_nulls_need_nullable_types()
    {
        using var t = Configs();
        Assert.Contains("the quoted string '5'", Assert.Throws<ConfigException>(() => Compose(t, "epochs='5'")).Message);
        Assert.Contains("'epochs' is null", Assert.Throws<ConfigException>(() => Compose(t, "epochs=null")).Message);
        Assert.Null(Compose(t, "optimizer.betas=null").Value.Optimizer.Betas);
    }

    [Fact]
    public void Yaml_syntax_error_is_located()
    {
        using var t = Configs(Primary + "\nbroken: [1, 2\n");
        var e = Assert.Throws<ConfigException>(() => Compose(t));
        Assert.Contains("config.yaml:", e.Message);
        Assert.Contains("not valid YAML", e.Message);
    }

    [Fact]
    public void Resolved_config_and_command_are_saved_and_bind_again()
    {
        using var t = Configs();
        var cfg = Compose(t, "model=large", "optimizer.lr=0.05");
        var run = Path.Combine(t.Path, "runs", "1");
        cfg.SaveTo(run);
        var yaml = File.ReadAllText(Path.Combine(run, "config.yaml"));
        Assert.Contains("lr: 0.05", yaml);
        Assert.DoesNotContain("defaults", yaml);
        var command = File.ReadAllText(Path.Combine(run, "command.yaml"));
        Assert.Contains("command: \"courseware train model=large optimizer.lr=0.05\"", command);
        Assert.Contains("- \"model=large\"", command);

        var back = ResolvedConfig<TrainConfig>.Load(run);
        Assert.Equal(cfg.ToYaml(), back.ToYaml());
        Assert.Equal(cfg.Command, back.Command);
        Assert.Equal(cfg.Overrides, back.Overrides);
        Assert.Equal((6, 0.05), (back.Value.Model.Layers, back.Value.Optimizer.Lr));

        var p = cfg.ToParameters();
        Assert.Equal("0.05", p["optimizer.lr"]);
        Assert.Equal("[0.9, 0.999]", p["optimizer.betas"]);
        Assert.Equal("6", p["model.layers"]);
    }

    [Fact]
    public void Shell_quoting_round_trips_awkward_arguments()
    {
        Assert.Equal("optimizer.lr=0.1", ConfigComposer.ShellQuote("optimizer.lr=0.1"));
        Assert.Equal("'name=it'\\''s here'", ConfigComposer.ShellQuote("name=it's here"));
    }
}
