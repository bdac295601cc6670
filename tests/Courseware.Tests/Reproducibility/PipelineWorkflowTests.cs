using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using Courseware.Cli;
using Courseware.Drift;
using Courseware.Registry;
using Courseware.Reproducibility;
using Courseware.Sweeps;
using YamlDotNet.RepresentationModel;

namespace Courseware.Tests.Reproducibility;

/// <summary>
/// The copyable CI pipeline (docs/ci/mlops-pipeline.yml) and the WORKFLOWS.md walk-through must keep working as the
/// CLI changes: the workflow is valid YAML of GitHub Actions' shape, every `courseware` command in it and in the
/// walk-through parses against the real command tree, and the files they use load with the library's own readers.
/// </summary>
public partial class PipelineWorkflowTests
{
    private static readonly string Repo = FindRepo();
    private static readonly string Ci = Path.Combine(Repo, "docs", "ci");

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) return dir.FullName;
        throw new InvalidOperationException("Courseware.sln not found above " + AppContext.BaseDirectory);
    }

    private static YamlMappingNode Workflow()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Ci, "mlops-pipeline.yml"))));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static IReadOnlyList<YamlMappingNode> Steps() =>
        ((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)Workflow()["jobs"])["pipeline"])["steps"]).Children.Cast<YamlMappingNode>().ToList();

    [Fact]
    public void The_workflow_is_github_actions_yaml_with_a_gate_per_concern()
    {
        var workflow = Workflow();
        Assert.Equal("mlops-pipeline", workflow["name"].ToString());
        var on = (YamlMappingNode)workflow["on"];
        Assert.Contains(on.Children.Keys, k => k.ToString() == "pull_request");
        var job = (YamlMappingNode)((YamlMappingNode)workflow["jobs"])["pipeline"];
        Assert.Equal("ubuntu-24.04", job["runs-on"].ToString());
        foreach (var step in Steps())
            Assert.True(step.Children.ContainsKey("run") ^ step.Children.ContainsKey("uses"), $"step '{step}' needs exactly one of run / uses");
        var runs = string.Join("\n", Steps().Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString()));
        foreach (var gate in new[] { "courseware audit packages", "courseware audit data", "cmp ", "courseware registry promote", "courseware drift", "courseware audit report", "courseware check" })
            Assert.Contains(gate, runs);
    }

    [Fact]
    public void Every_courseware_command_in_the_workflow_and_the_walk_through_parses()
    {
        var runs = Steps().Where(s => s.Children.ContainsKey("run")).Select(s => s["run"].ToString());
        var walkThrough = File.ReadAllText(Path.Combine(Repo, "WORKFLOWS.md")).Split("## End to end")[1];
        var commands = CommandLines(string.Join("\n", runs)).Concat(CommandLines(walkThrough)).ToList();
        Assert.True(commands.Count >= 20, $"found only {commands.Count} courseware commands");
        var root = new RootCommand();
        foreach (var command in CliCommands.All()) root.Subcommands.Add(command);
        foreach (var line in commands)
        {
            var parse = root.Parse(Words(line)[1..]);
            Assert.True(parse.Errors.Count == 0, $"`{line}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }
    }

    [Fact]
    public async Task The_files_the_pipeline_uses_load_with_the_library()
    {
        var sweep = SweepConfig.Load(Path.Combine(Ci, "sweep.yaml"));
        Assert.Equal("val_accuracy", sweep.Metric!.Name);
        Assert.Single(PromotionPolicy.Load(Path.Combine(Ci, "gate.yaml")).Metrics);
        Assert.NotNull(TestSuite.Load(Path.Combine(Ci, "drift-tests.yaml")));
        // The committed manifest is the data gate's reference: it must describe datasets/vega as it is in the repository.
        var verification = await (await DataManifest.LoadAsync(Path.Combine(Ci, "vega.manifest.json"))).VerifyAsync(Path.Combine(Repo, "datasets", "vega"));
        Assert.True(verification.Matches, verification.ToString());
    }

    /// <summary>Each `courseware …` command: at a line start, or inside $( … ); a trailing comment, `; …` or `&amp;` is dropped.</summary>
    internal static IEnumerable<string> CommandLines(string script) =>
        script.Split('\n').Select(l => Regex.Replace(l, @"\s+#.*$", "").Trim()).SelectMany(l => CommandStart().Matches(l).Select(m => l[m.Groups[1].Index..]))
            .Select(l => l.Split("; ")[0].TrimEnd('&', ' ', ')'));

    [GeneratedRegex(@"(?:^|\$\()(courseware )")]
    private static partial Regex CommandStart();

    /// <summary>Shell words: quotes grouped and removed, $variables replaced by a placeholder.</summary>
    internal static string[] Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quote = '\0';
        var started = false;
        foreach (var c in Regex.Replace(line, @"\$\{?\w+\}?", "value"))
        {
            if (quote != '\0') { if (c == quote) quote = '\0'; else word.Append(c); }
            else if (c is '"' or '\'') { quote = c; started = true; }
            else if (c == ' ') { if (started || word.Length > 0) words.Add(word.ToString()); word.Clear(); started = false; }
            else word.Append(c);
        }
        if (started || word.Length > 0) words.Add(word.ToString());
        return words.ToArray();
    }
}
