using Courseware.Sweeps;

namespace Courseware.Tests.Sweeps;

public class SweepConfigReaderTests
{
    // The example of shared/notes/sweeps.md, as a W&B user writes it.
    private const string NoteExample = """
        program: train.py
        method: bayes
        metric: {name: val/loss, goal: minimize, target: 0.1}
        early_terminate: {type: hyperband, min_iter: 3, eta: 3}
        run_cap: 50
        parameters:
          learning_rate: {distribution: log_uniform_values, min: 1.0e-5, max: 0.1}
          batch_size: {values: [16, 32, 64]}
          dropout: {min: 0.0, max: 0.5}
          optimizer: {value: adam}
          head: {parameters: {width: {values: [64, 128]}}}
        """;

    [Fact]
    public void ReadsTheNoteExample()
    {
        var config = SweepConfig.Parse(NoteExample, "sweep.yaml");
        Assert.Equal(SearchMethod.Bayes, config.Method);
        Assert.Equal("train.py", config.Program);
        Assert.Equal(new SweepMetric("val/loss", MetricGoal.Minimize, 0.1), config.Metric);
        var hyperband = Assert.IsType<HyperbandTermination>(config.EarlyTerminate);
        Assert.Equal(3, hyperband.MinIter);
        Assert.Equal(3, hyperband.Eta);
        Assert.True(hyperband.Strict);
        Assert.Equal(50, config.RunCap);
        Assert.Empty(config.Warnings);

        var lr = config.Parameters["learning_rate"];
        Assert.Equal(Distribution.LogUniformValues, lr.Distribution);
        Assert.Equal(1e-5, lr.Min);
        Assert.Equal(0.1, lr.Max);
        Assert.Equal(Distribution.Categorical, config.Parameters["batch_size"].Distribution);
        Assert.Equal(new object?[] { 16L, 32L, 64L }, config.Parameters["batch_size"].Choices);
        Assert.Equal(Distribution.Uniform, config.Parameters["dropout"].Distribution);
        Assert.Equal(Distribution.Constant, config.Parameters["optimizer"].Distribution);
        Assert.Equal("adam", config.Parameters["optimizer"].Value);
        var head = config.Parameters["head"];
        Assert.True(head.IsNested);
        Assert.Equal(new object?[] { 64L, 128L }, head.Parameters!["width"].Choices);

        // Flattened with dotted names in W&B's sorted order.
        Assert.Equal(["batch_size", "dropout", "head.width", "learning_rate", "optimizer"], config.Space.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void BuildsTheSameConfigurationFromCSharpObjects()
    {
        var built = new SweepConfig
        {
            Method = SearchMethod.Bayes,
            Program = "train.py",
            Metric = new SweepMetric("val/loss", MetricGoal.Minimize, 0.1),
            EarlyTerminate = new HyperbandTermination { MinIter = 3, Eta = 3 },
            RunCap = 50,
            Parameters =
            {
                ["learning_rate"] = Parameter.LogUniformValues(1e-5, 0.1),
                ["batch_size"] = Parameter.Values(16L, 32L, 64L),
                ["dropout"] = Parameter.Uniform(0.0, 0.5),
                ["optimizer"] = Parameter.Constant("adam"),
                ["head"] = Parameter.Nested(new Dictionary<string, Parameter> { ["width"] = Parameter.Values(64L, 128L) }),
            },
        };
        var read = SweepConfig.Parse(NoteExample);
        Assert.Equal(Describe(read), Describe(built));
        Assert.Equal(read.Metric, built.Metric);
        Assert.Equal(read.EarlyTerminate, built.EarlyTerminate);

        static string[] Describe(SweepConfig c) => c.Space.Parameters.Select(p => $"{p.Name} {p.Parameter}").ToArray();
    }

    [Theory]
    [InlineData("{min: 1, max: 10}", Distribution.IntUniform)]
    [InlineData("{min: 1.0, max: 10}", Distribution.Uniform)]       // 1.0 counts as a float
    [InlineData("{min: 0, max: 0.5}", Distribution.Uniform)]
    [InlineData("{values: [a, b]}", Distribution.Categorical)]
    [InlineData("{values: [a, b], probabilities: [0.3, 0.7]}", Distribution.CategoricalWithProbabilities)]
    [InlineData("{value: 3}", Distribution.Constant)]
    [InlineData("{distribution: uniform, min: 1, max: 10}", Distribution.Uniform)]
    public void InfersTheDistributionAsWandbDoes(string yaml, Distribution expected)
    {
        var config = SweepConfig.Parse($"method: random\nparameters:\n  x: {yaml}\n");
        Assert.Equal(expected, config.Parameters["x"].Distribution);
    }

    [Fact]
    public void ReadsEveryDistributionWithItsDefaults()
    {
        var config = SweepConfig.Parse("""
            method: random
            parameters:
              c: {distribution: constant, value: [1, 2]}
              cat: {distribution: categorical, values: [relu, tanh, {kind: gelu}]}
              cwp: {distribution: categorical_w_probabilities, values: [1, 2, 3], probabilities: [0.5, 0.25, 0.25]}
              iu: {distribution: int_uniform, min: -3, max: 7}
              u: {distribution: uniform, min: -1.5, max: 2}
              qu: {distribution: q_uniform, min: 0, max: 10}
              quq: {distribution: q_uniform, min: 0, max: 10, q: 2}
              lu: {distribution: log_uniform, min: -9.2, max: -2.3}
              qlu: {distribution: q_log_uniform, min: 0, max: 6.9, q: 4}
              ilu: {distribution: inv_log_uniform, min: 0, max: 4}
              luv: {distribution: log_uniform_values, min: 1.0e-6, max: 1.0e-1}
              qluv: {distribution: q_log_uniform_values, min: 1, max: 1024, q: 8}
              iluv: {distribution: inv_log_uniform_values, min: 0.01, max: 10}
              n: {distribution: normal}
              n2: {distribution: normal, mu: 3, sigma: 0.5}
              qn: {distribution: q_normal, mu: 10, sigma: 3, q: 2}
              ln: {distribution: log_normal, mu: -1}
              qln: {distribution: q_log_normal}
              b: {distribution: beta}
              b2: {distribution: beta, a: 2, b: 5}
              qb: {distribution: q_beta, a: 2, b: 2, q: 0.1}
            """);
        var p = config.Parameters;
        Assert.Equal(new object?[] { 1L, 2L }, (IEnumerable<object?>)p["c"].Value!);
        Assert.Equal(3, p["cat"].Choices.Count);
        Assert.Equal([0.5, 0.25, 0.25], p["cwp"].Probabilities);
        Assert.Equal((-3.0, 7.0), (p["iu"].Min, p["iu"].Max));
        Assert.Equal(1.0, p["qu"].Q);
        Assert.False(p["qu"].IsInteger);           // W&B's default q is the float 1.0
        Assert.True(p["quq"].IsInteger);           // an integer q gives integers (W&B: isinstance(q, int))
        Assert.Equal(Distribution.LogUniform, p["lu"].Distribution);
        Assert.Equal((0.0, 1.0), (p["n"].Mu, p["n"].Sigma));
        Assert.Equal((3.0, 0.5), (p["n2"].Mu, p["n2"].Sigma));
        Assert.Equal((10.0, 3.0, 2.0), (p["qn"].Mu, p["qn"].Sigma, p["qn"].Q));
        Assert.Equal((-1.0, 1.0), (p["ln"].Mu, p["ln"].Sigma));
        Assert.Equal((0.0, 1.0, 1.0), (p["qln"].Mu, p["qln"].Sigma, p["qln"].Q));
        Assert.Equal((1.0, 1.0), (p["b"].A, p["b"].B));
        Assert.Equal((2.0, 5.0), (p["b2"].A, p["b2"].B));
        Assert.Equal((2.0, 2.0, 0.1), (p["qb"].A, p["qb"].B, p["qb"].Q));

        // The three exponent forms are deprecated at W&B: one warning each, with line and column.
        var deprecated = config.Warnings.Where(w => w.Message.Contains("deprecated")).ToList();
        Assert.Equal(["parameters.lu.distribution", "parameters.qlu.distribution", "parameters.ilu.distribution"], deprecated.Select(w => w.Path));
        Assert.Equal((10, 22), (deprecated[0].Line, deprecated[0].Column));
        Assert.Contains("log_uniform_values", deprecated[0].Message);
    }

    [Fact]
    public void ReadsProgramCommandAndNestedGroups()
    {
        var config = SweepConfig.Parse("""
            program: train.py
            method: grid
            name: lr-sweep
            command:
              - ${env}
              - python
              - ${program}
              - ${args}
            parameters:
              model:
                parameters:
                  encoder:
                    parameters:
                      layers: {values: [2, 4]}
                  act: {value: relu}
            """);
        Assert.Equal(["${env}", "python", "${program}", "${args}"], config.Command!);
        Assert.Equal("lr-sweep", config.Name);
        Assert.Equal(["model.act", "model.encoder.layers"], config.Space.Parameters.Select(p => p.Name));
        var first = config.Space.Grid().First();
        var nested = (IReadOnlyDictionary<string, object?>)first.ToNested()["model"]!;
        Assert.Equal("relu", nested["act"]);
        Assert.Equal(2L, ((IReadOnlyDictionary<string, object?>)nested["encoder"]!)["layers"]);
    }

    // Reference: tests/Courseware.Tests/Sweeps/reference/yaml11_scalars.py (PyYAML 6.0 safe_load).
    [Theory]
    [InlineData("1e-5", "str", "'1e-5'")]
    [InlineData("1.0e-5", "float", "1e-05")]
    [InlineData("1.0e5", "str", "'1.0e5'")]
    [InlineData("1.0e+5", "float", "100000.0")]
    [InlineData("!!float 1e-5", "float", "1e-05")]
    [InlineData("1", "int", "1")]
    [InlineData("1.0", "float", "1.0")]
    [InlineData("-3", "int", "-3")]
    [InlineData("0x1F", "int", "31")]
    [InlineData("017", "int", "15")]
    [InlineData("0b101", "int", "5")]
    [InlineData("yes", "bool", "True")]
    [InlineData("No", "bool", "False")]
    [InlineData("on", "bool", "True")]
    [InlineData("OFF", "bool", "False")]
    [InlineData("true", "bool", "True")]
    [InlineData("~", "NoneType", "None")]
    [InlineData("null", "NoneType", "None")]
    [InlineData("'yes'", "str", "'yes'")]
    [InlineData(".5", "float", "0.5")]
    [InlineData("1_000", "int", "1000")]
    [InlineData(".inf", "float", "inf")]
    [InlineData("3.", "float", "3.0")]
    public void TypesScalarsLikePyYaml(string scalar, string pythonType, string pythonRepr)
    {
        var config = SweepConfig.Parse($"method: grid\nparameters:\n  x: {{value: {scalar}}}\n");
        var value = config.Parameters["x"].Value;
        var trapped = config.Warnings.Any(w => w.Message.Contains("PyYAML"));
        switch (pythonType)
        {
            case "str" when trapped:
                // The trap: PyYAML keeps a string, we read the number it looks like and warn.
                Assert.Equal(double.Parse(pythonRepr.Trim('\''), System.Globalization.CultureInfo.InvariantCulture), Assert.IsType<double>(value));
                break;
            case "str": Assert.Equal(pythonRepr.Trim('\''), Assert.IsType<string>(value)); break;
            case "int": Assert.Equal(long.Parse(pythonRepr), Assert.IsType<long>(value)); break;
            case "bool": Assert.Equal(pythonRepr == "True", Assert.IsType<bool>(value)); break;
            case "NoneType": Assert.Null(value); break;
            case "float":
                var expected = pythonRepr switch { "inf" => double.PositiveInfinity, _ => double.Parse(pythonRepr, System.Globalization.CultureInfo.InvariantCulture) };
                Assert.Equal(expected, Assert.IsType<double>(value));
                break;
        }
        Assert.Equal(pythonType == "str" && scalar is "1e-5" or "1.0e5", trapped);
    }

    // W&B's schema rejects a string where it needs a number (min); where any value goes (values) the run gets the string.
    [Theory]
    [InlineData("{distribution: log_uniform_values, min: 1e-5, max: 1e-1}", 2, "min", 47, "signed exponent): W&B would reject this file", "Write 1.0e-5")]
    [InlineData("{values: [1e-3, 1.0e-2]}", 1, "values", 17, "signed exponent): W&B reads the string \"1e-3\", so the run gets a string, not a number", "Write 1.0e-3")]
    public void TheYaml11TrapIsReadAsANumberWithAWarningNamingLineAndColumn(string lr, int count, string field, int column, string atWandb, string write)
    {
        var config = SweepConfig.Parse($"method: random\nparameters:\n  lr: {lr}\n", "trap.yaml");
        Assert.Equal(count, config.Warnings.Count);
        var w = config.Warnings[0];
        Assert.Equal(("parameters.lr." + field, 3, column, "trap.yaml"), (w.Path, w.Line, w.Column, w.File));
        Assert.Contains(atWandb, w.Message);
        Assert.Contains(write, w.Message);
        Assert.StartsWith($"trap.yaml(3,{column}): parameter 'lr', field '{field}':", w.ToString());
    }

    [Fact]
    public void TheYaml11TrapIsReadAsTheNumberItLooksLike()
    {
        var config = SweepConfig.Parse("method: random\nparameters:\n  a: {min: 1e-5, max: 1e-1}\n  b: {values: [1e-3, 1.0e-2]}\n");
        Assert.Equal((1e-5, 0.1), (config.Parameters["a"].Min, config.Parameters["a"].Max));
        Assert.Equal(new object?[] { 1e-3, 1e-2 }, config.Parameters["b"].Choices);
    }

    [Fact]
    public void ConditionalParametersAreReadWithWhen()
    {
        var config = SweepConfig.Parse("""
            method: random
            parameters:
              optimizer: {values: [sgd, adam, rmsprop]}
              momentum: {min: 0.0, max: 0.99, when: {optimizer: [sgd, rmsprop]}}
              beta1: {min: 0.8, max: 0.99, when: {optimizer: adam}}
            """);
        Assert.Equal(["sgd", "rmsprop"], config.Parameters["momentum"].Conditions["optimizer"]);
        Assert.Equal(["adam"], config.Parameters["beta1"].Conditions["optimizer"]);
        // parents come first in search order
        Assert.Equal(["optimizer", "beta1", "momentum"], config.Space.Parameters.Select(p => p.Name));
    }

    // ---- bad files: every error names line, column, field and what was expected ------------------------------

    private static SweepConfigError SingleError(string yaml)
    {
        var e = Assert.Throws<SweepConfigException>(() => SweepConfig.Parse(yaml, "bad.yaml"));
        return Assert.Single(e.Errors);
    }

    [Fact]
    public void UnknownDistribution()
    {
        var e = SingleError("method: random\nparameters:\n  lr: {distribution: log_uniformm, min: 1, max: 2}\n");
        Assert.Equal(("parameters.lr.distribution", 3, 22), (e.Path, e.Line, e.Column));
        Assert.Contains("unknown distribution 'log_uniformm'", e.Message);
        Assert.Contains("log_uniform_values", e.Message); // lists what is expected
    }

    [Fact]
    public void MinAboveMax()
    {
        var e = SingleError("method: random\nparameters:\n  dropout:\n    min: 0.9\n    max: 0.1\n");
        Assert.Equal(("parameters.dropout.min", 4, 10), (e.Path, e.Line, e.Column));
        Assert.Contains("expected min < max", e.Message);
    }

    [Fact]
    public void GridOverAContinuousParameter()
    {
        var e = SingleError("method: grid\nparameters:\n  a: {values: [1, 2]}\n  lr: {distribution: uniform, min: 0.1, max: 1}\n");
        Assert.Equal(("parameters.lr.distribution", 4, 22), (e.Path, e.Line, e.Column));
        Assert.Contains("grid search", e.Message);
        Assert.Contains("uniform cannot be enumerated", e.Message);
    }

    [Fact]
    public void GridRejectsProbabilities()
    {
        var e = SingleError("method: grid\nparameters:\n  a: {values: [1, 2], probabilities: [0.5, 0.5]}\n");
        Assert.Contains("categorical_w_probabilities cannot be enumerated", e.Message);
        Assert.Equal(3, e.Line);
    }

    [Theory]
    [InlineData("{values: [1, 2], probabilities: [0.5, 0.6]}", "parameters.x.probabilities", "sum to 1.1")]
    [InlineData("{values: [1, 2], probabilities: [1.0]}", "parameters.x.probabilities", "expected 2 probabilities")]
    [InlineData("{distribution: categorical, values: [1, 2], probabilities: [0.5, 0.5]}", "parameters.x.probabilities", "categorical_w_probabilities")]
    [InlineData("{distribution: int_uniform, min: 1.0, max: 4}", "parameters.x.min", "integer min and max")]
    [InlineData("{distribution: log_uniform_values, min: 0, max: 1}", "parameters.x.min", "min > 0")]
    [InlineData("{distribution: uniform, min: 0, max: 1, q: 2}", "parameters.x.q", "uniform does not take 'q'")]
    [InlineData("{distribution: q_uniform, min: 0, max: 1, q: 0}", "parameters.x.q", "q > 0")]
    [InlineData("{distribution: q_uniform, min: 0.1, max: 0.2, q: 1}", "parameters.x.q", "at least one multiple of q")]
    [InlineData("{distribution: normal, sigma: -1}", "parameters.x.sigma", "sigma ≥ 0")]
    [InlineData("{distribution: beta, a: 0}", "parameters.x.a", "a > 0")]
    [InlineData("{distribution: uniform, min: 0}", "parameters.x.max", "uniform needs max")]
    [InlineData("{values: []}", "parameters.x.values", "at least one value")]
    [InlineData("{values: 3}", "parameters.x.values", "expected a list")]
    [InlineData("{min: low, max: 1}", "parameters.x.min", "expected a number, but found the text 'low'")]
    [InlineData("{mean: 1}", "parameters.x.mean", "unknown key 'mean'")]
    [InlineData("{}", "parameters.x", "expected values: [...], value: ..., min and max")]
    [InlineData("[1, 2]", "parameters.x", "expected a mapping")]
    [InlineData("{parameters: {}}", "parameters.x.parameters", "at least one child")]
    [InlineData("{min: 0.0, max: 1.0, when: {nope: 1}}", "parameters.x.when.nope", "there is no parameter nope")]
    public void ParameterErrors(string yaml, string path, string expected)
    {
        var e = SingleError($"method: random\nparameters:\n  x: {yaml}\n");
        Assert.Equal(path, e.Path);
        Assert.Contains(expected, e.Message);
        Assert.Equal(3, e.Line);
        Assert.NotNull(e.Column);
    }

    [Theory]
    [InlineData("method: bayes\nparameters:\n  x: {values: [1, 2]}\n", "metric", "needs a metric")]
    [InlineData("parameters:\n  x: {values: [1, 2]}\n", "method", "expected method")]
    [InlineData("method: custom\nparameters:\n  x: {values: [1, 2]}\n", "method", "custom")]
    [InlineData("method: hyperopt\nparameters:\n  x: {values: [1, 2]}\n", "method", "unknown method 'hyperopt'")]
    [InlineData("method: grid\nparameter:\n  x: {values: [1, 2]}\n", "parameter", "unknown key 'parameter'")]
    [InlineData("method: grid\nmetric: {name: loss, goal: minimise}\nparameters:\n  x: {values: [1, 2]}\n", "metric.goal", "expected minimize or maximize")]
    [InlineData("method: grid\nrun_cap: 0\nparameters:\n  x: {values: [1, 2]}\n", "run_cap", "run_cap > 0")]
    [InlineData("method: grid\nmetric: {name: loss}\nearly_terminate: {type: hyperband, eta: 3}\nparameters:\n  x: {values: [1, 2]}\n", "early_terminate", "min_iter")]
    [InlineData("method: grid\nmetric: {name: loss}\nearly_terminate: {type: asha}\nparameters:\n  x: {values: [1, 2]}\n", "early_terminate.type", "hyperband or median")]
    [InlineData("method: grid\nmetric: {name: loss}\nearly_terminate: {type: hyperband, min_iter: 2, eta: 1}\nparameters:\n  x: {values: [1, 2]}\n", "early_terminate.eta", "eta > 1")]
    public void TopLevelErrors(string yaml, string path, string expected)
    {
        var e = Assert.Throws<SweepConfigException>(() => SweepConfig.Parse(yaml, "bad.yaml")).Errors[0];
        Assert.Equal(path, e.Path);
        Assert.Contains(expected, e.Message);
        Assert.NotNull(e.Line);
    }

    [Fact]
    public void ReportsEveryProblemAtOnce()
    {
        var e = Assert.Throws<SweepConfigException>(() => SweepConfig.Parse("""
            method: grid
            parameters:
              a: {min: 5, max: 1}
              b: {distribution: gaussian}
              c: {distribution: normal}
            """, "many.yaml"));
        Assert.Equal(["parameters.b.distribution", "parameters.a.min", "parameters.c.distribution"], e.Errors.Select(x => x.Path));
        Assert.Contains("many.yaml(3,", e.Message);
        Assert.Contains("many.yaml(4,", e.Message);
        Assert.Contains("many.yaml(5,", e.Message);
    }

    [Fact]
    public void ErrorsInsideNestedGroupsNameTheFullPath()
    {
        var e = SingleError("""
            method: random
            parameters:
              head:
                parameters:
                  width: {values: [64, 128], probabilities: [0.5]}
            """);
        Assert.Equal(("parameters.head.parameters.width.probabilities", 5, 49), (e.Path, e.Line, e.Column));
        Assert.Contains("expected 2 probabilities", e.Message);
    }

    [Fact]
    public void InvalidYamlSyntaxNamesItsPosition()
    {
        var e = SingleError("method: grid\nparameters:\n  x: {values: [1, 2}\n");
        Assert.Contains("not valid YAML", e.Message);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void ConditionCyclesAreRejected()
    {
        var e = SingleError("""
            method: random
            parameters:
              a: {values: [1, 2], when: {b: x}}
              b: {values: [x, y], when: {a: 1}}
            """);
        Assert.Contains("cycle", e.Message);
    }

    [Fact]
    public void ConditionOnAContinuousParentIsRejected()
    {
        var e = SingleError("method: random\nparameters:\n  a: {min: 0.0, max: 1.0}\n  b: {values: [1], when: {a: 0.5}}\n");
        Assert.Equal(("parameters.b.when.a", 4), (e.Path, e.Line));
        Assert.Contains("categorical or constant parent", e.Message);
    }

    [Fact]
    public void CSharpConfigurationsAreValidatedToo()
    {
        Assert.Throws<ArgumentException>(() => Parameter.Uniform(1, 0));
        Assert.Throws<ArgumentException>(() => Parameter.Categorical(["a", "b"], [0.9, 0.3]));
        Assert.Throws<ArgumentException>(() => Parameter.LogUniformValues(0, 1));
        var config = new SweepConfig { Method = SearchMethod.Grid, Parameters = { ["x"] = Parameter.Normal() } };
        var e = Assert.Throws<SweepConfigException>(() => new Sweeper(config));
        Assert.Equal("parameters.x.distribution", Assert.Single(e.Errors).Path);
        Assert.Null(e.Errors[0].Line);
    }

    [Fact]
    public void LoadsFromAFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sweep-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, NoteExample);
        try
        {
            var config = SweepConfig.Load(path);
            Assert.Equal(path, config.File);
            Assert.Equal(5, config.Space.Parameters.Count);
        }
        finally { File.Delete(path); }
    }

    // ---- issue #16: positions and names a newcomer can act on ------------------------------------------------

    [Fact]
    public void ATabInTheIndentationIsReportedWhereItIs()
    {
        var e = SingleError("method: random\nparameters:\n  lr:\n    min: 0.1\n\tmax: 0.2\n");
        Assert.Equal((5, 1), (e.Line, e.Column));
        Assert.Contains("tab characters are not allowed for indentation in YAML; use spaces", e.Message);
        Assert.StartsWith("bad.yaml(5,1):", e.ToString());
    }

    [Fact]
    public void ATabAfterAKeyIsReportedWhereItIs()
    {
        var e = SingleError("method: random\nparameters:\n  lr:\n    min:\t0.1\n    max: 0.2\n  b: {values: [1]}\n\t\n  c:\t{values: [2]}\n");
        Assert.Equal(7, e.Line);
        Assert.Contains("tab characters are not allowed for indentation", e.Message);
    }

    [Theory]
    [InlineData("""
        method: random
        parameters:
          batch: {values: [16, 32]}
          training:
            parameters:
              lr: {min: 0.9, max: 0.1}
        """, 6, 17)]
    [InlineData("""
        method: random
        parameters:
          batch: {values: [16, 32]}
          training.lr: {min: 0.9, max: 0.1}
        """, 4, 22)]
    public void ErrorsOnNestedAndDottedParametersPointAtTheFieldAndNameItAsWandbDoes(string yaml, int line, int column)
    {
        var e = SingleError(yaml);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Equal(("training.lr", "min"), (e.Parameter, e.Field));
        Assert.Contains("expected min < max", e.Message);
        Assert.StartsWith($"bad.yaml({line},{column}): parameter 'training.lr', field 'min': expected min < max", e.ToString());
    }

    [Fact]
    public void ReaderErrorsInsideNestedGroupsNameTheParameterAndField()
    {
        var e = SingleError("method: random\nparameters:\n  training:\n    parameters:\n      lr: {min: low, max: 1}\n");
        Assert.Equal((5, 17), (e.Line, e.Column));
        Assert.Equal(("parameters.training.parameters.lr.min", "training.lr", "min"), (e.Path, e.Parameter, e.Field));
        Assert.Contains("parameter 'training.lr', field 'min': expected a number, but found the text 'low'", e.ToString());
    }

    // ---- hostile input: each is reported (or read) with its position, never a crash ---------------------------

    [Fact]
    public void HostileInputIsReportedWithItsPosition()
    {
        // A control character in a parameter name.
        var control = SingleError("method: random\nparameters:\n  \"l\\u0007r\": {values: [1]}\n");
        Assert.Equal((3, 3), (control.Line, control.Column));
        Assert.Contains("expected a parameter name", control.Message);

        // Groups nested 40 deep: the error names the whole dotted parameter at its own line.
        const int depth = 40;
        var yaml = new System.Text.StringBuilder("method: random\nparameters:\n");
        for (var i = 0; i < depth; i++) yaml.Append(new string(' ', 2 + 4 * i)).Append($"g{i}:\n").Append(new string(' ', 4 + 4 * i)).Append("parameters:\n");
        yaml.Append(new string(' ', 2 + 4 * depth)).Append("lr: {min: 2, max: 1}\n");
        var deep = SingleError(yaml.ToString());
        Assert.Equal(string.Join(".", Enumerable.Range(0, depth).Select(i => $"g{i}")) + ".lr", deep.Parameter);
        Assert.Equal(("min", 3 + 2 * depth), (deep.Field, deep.Line));

        // A one-megabyte value is read as it is.
        var big = new string('x', 1 << 20);
        Assert.Equal(big, SweepConfig.Parse($"method: random\nparameters:\n  s: {{values: [{big}]}}\n").Parameters["s"].Choices[0]);

        // A tab after other indentation is found at its own column.
        var tab = SingleError("method: random\nparameters:\n  lr:\n  \tmin: 0.1\n");
        Assert.Equal((4, 3), (tab.Line, tab.Column));
    }
}
