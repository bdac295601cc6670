using Courseware.Sweeps;
using Courseware.Tests.Runner;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Sweeps.Agents;

/// <summary>
/// The same claim protocol on PostgreSQL: four agents, each with its own connection (as on four machines), racing
/// for the slots of one grid sweep.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class PostgresAgentTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>, IDisposable
{
    private readonly TempFolder _artifacts = new();

    public void Dispose() => _artifacts.Dispose();

    [Fact]
    public async Task Four_agents_on_separate_connections_cover_the_grid_exactly_once()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var store = PostgresTrackingStore.Open(database, _artifacts.Path);
        await using var tracker = Tracker.Open(store);
        var sweep = await Sweep.CreateAsync(tracker, """
            method: grid
            metric: {name: loss}
            parameters:
              a: {values: [1, 2, 3, 4]}
              b: {values: [1, 2, 3, 4, 5]}
            """);

        var agents = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            await using var own = PostgresTrackingStore.Open(database, _artifacts.Path);
            await using var agentTracker = Tracker.Open(own);
            var mine = await Sweep.OpenAsync(agentTracker, sweep.Id);
            return await mine.RunAgentAsync(null, trial => trial.LogAsync(0, new { loss = trial.Get<double>("a") * 10 + trial.Get<double>("b") }),
                new AgentOptions { Name = $"agent-{i}" });
        })).ToList();
        var reports = await Task.WhenAll(agents);

        Assert.Equal(20, reports.Sum(r => r.Trials.Count));
        var trials = await sweep.GetTrialsAsync();
        Assert.Equal(Enumerable.Range(0, 20), trials.Select(t => t.Number));
        Assert.Equal(sweep.Config.Space.Grid().Select(g => g.Key).Order(), trials.Select(t => t.Config.Key).Order());
        Assert.All(trials, t => Assert.Equal(RunState.Finished, t.State));
        Assert.Equal(20, (await sweep.GetAllRunsAsync()).Count);
        Assert.Equal(SweepState.Finished, await sweep.GetStateAsync());
    }

    [Fact]
    public async Task Agent_processes_share_a_postgres_sweep_through_the_cli()
    {
        var database = await cluster.CreateDatabaseAsync();
        var cli = Path.Combine(RunnerTestEnvironment.RepoRoot, "build", "cli", "Courseware.Cli.dll");
        var yaml = Path.Combine(_artifacts.Path, "sweep.yaml");
        File.WriteAllText(yaml, "method: grid\nmetric: {name: loss}\nparameters:\n  a: {values: [1, 2, 3, 4, 5, 6]}\n");
        var script = Path.Combine(_artifacts.Path, "train.sh");
        File.WriteAllText(script, "for arg in \"$@\"; do case $arg in --a=*) a=${arg#--a=};; esac; done\necho \"metric: loss=$a\"\n");
        string[] store = ["--store", database, "--artifacts", _artifacts.Path];
        var (code, output) = RunnerTestEnvironment.Run("dotnet", [cli, "sweep", "create", yaml, .. store], _artifacts.Path, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, output);
        var id = output.Trim();

        var agents = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            RunnerTestEnvironment.Run("dotnet", [cli, "agent", id, .. store, "--", "/bin/sh", script], _artifacts.Path, TimeSpan.FromMinutes(3)))).ToList();
        foreach (var (agentCode, agentOutput) in await Task.WhenAll(agents)) Assert.True(agentCode == 0, agentOutput);

        await using var pg = PostgresTrackingStore.Open(database, _artifacts.Path);
        await using var tracker = Tracker.Open(pg);
        var trials = await Sweep.Open(tracker, id).GetTrialsAsync();
        Assert.Equal([1.0, 2, 3, 4, 5, 6], trials.Select(t => t.History.Single()).Order());
        Assert.All(trials, t => Assert.Equal(RunState.Finished, t.State));
    }
}
