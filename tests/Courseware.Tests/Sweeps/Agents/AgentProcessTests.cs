using System.Diagnostics;
using Courseware.Sweeps;
using Courseware.Tests.Runner;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Sweeps.Agents;

/// <summary>
/// Real `courseware agent` processes (build/cli/Courseware.Cli.dll) sharing one SQLite store: four at once on a grid,
/// and one killed mid-trial whose configuration another agent takes over. The training program is a shell script
/// that reads its --name=value arguments and prints a `metric:` line.
/// </summary>
public sealed class AgentProcessTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private const string Yaml = """
        method: grid
        metric: {name: loss}
        parameters:
          a: {values: [1, 2, 3, 4]}
          b: {values: [1, 2, 3, 4, 5]}
        """;

    private string Store => Path.Combine(_folder.Path, "store");

    private string Script(string name, string body)
    {
        var path = Path.Combine(_folder.Path, name);
        File.WriteAllText(path, "for arg in \"$@\"; do case $arg in --a=*) a=${arg#--a=};; --b=*) b=${arg#--b=};; esac; done\n" + body);
        return path;
    }

    private Process StartAgent(string sweepId, string script, params string[] extra)
    {
        var cli = Path.Combine(RunnerTestEnvironment.RepoRoot, "build", "cli", "Courseware.Cli.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder.Path };
        foreach (var a in new[] { cli, "agent", sweepId, "--store", Store, "--heartbeat", "0.3", "--stale-after", "2" }.Concat(extra).Concat(["--", "/bin/sh", script]))
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info)!;
    }

    private static async Task<string> WaitSuccessAsync(Process p)
    {
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        var text = await output + await error;
        Assert.True(p.ExitCode == 0, $"agent exited {p.ExitCode}:\n{text}");
        return text;
    }

    private async Task<(Tracker Tracker, Sweep Sweep)> CreateAsync()
    {
        var tracker = Tracker.Open(Store);
        return (tracker, await Sweep.CreateAsync(tracker, Yaml, "processes"));
    }

    private static async Task AssertCompleteGridAsync(Sweep sweep)
    {
        var trials = await sweep.GetTrialsAsync();
        var expected = sweep.Config.Space.Grid().Select(g => g.Key).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 20), trials.Select(t => t.Number));
        Assert.Equal(expected, trials.Select(t => t.Config.Key).Order()); // exhaustive and duplicate-free
        foreach (var t in trials)
        {
            Assert.Equal(RunState.Finished, t.State);
            Assert.Equal([t.Config.Get<double>("a") * 10 + t.Config.Get<double>("b")], t.History); // logged once
        }
        Assert.Equal(SweepState.Finished, await sweep.GetStateAsync());
    }

    [Fact]
    public async Task Four_agent_processes_cover_the_grid_exactly_once()
    {
        var (tracker, sweep) = await CreateAsync();
        await using var owned = tracker;
        var script = Script("train.sh", "echo \"training a=$a b=$b\"\necho \"metric: loss=$((a*10+b)) step=0\"\n");
        var agents = Enumerable.Range(0, 4).Select(_ => StartAgent(sweep.Id, script)).ToList();
        var outputs = new List<string>();
        foreach (var agent in agents) outputs.Add(await WaitSuccessAsync(agent));

        await AssertCompleteGridAsync(sweep);
        Assert.Equal(20, (await sweep.GetAllRunsAsync()).Count); // losing claims leave no visible run
        Assert.Contains("training a=", string.Concat(outputs));  // the program's own output passes through
        Assert.Equal(20, string.Concat(outputs).Split('\n').Count(l => l.StartsWith("trial ", StringComparison.Ordinal) && l.Contains(" finished, best ")));
    }

    [Fact]
    public async Task A_killed_agents_trial_is_taken_over_and_nothing_is_counted_twice()
    {
        var (tracker, sweep) = await CreateAsync();
        await using var owned = tracker;
        var slow = Script("slow.sh", "echo \"metric: loss=1000 step=0\"\nsleep 120\n");
        var doomed = StartAgent(sweep.Id, slow);
        _ = doomed.StandardOutput.ReadToEndAsync();
        _ = doomed.StandardError.ReadToEndAsync();

        // Wait until the doomed agent is mid-trial (it has logged its first metric), then kill it and its program.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            while ((await sweep.GetTrialsAsync(timeout.Token)) is not [{ State: RunState.Running, History.Count: 1 }])
            {
                Assert.False(doomed.HasExited, "the agent exited before it was killed");
                await Task.Delay(100, timeout.Token);
            }
        var deadRun = (await sweep.GetTrialsAsync())[0].RunId;
        doomed.Kill(entireProcessTree: true);
        await doomed.WaitForExitAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // longer than --stale-after

        var fast = Script("train.sh", "echo \"metric: loss=$((a*10+b)) step=0\"\n");
        await WaitSuccessAsync(StartAgent(sweep.Id, fast));

        await AssertCompleteGridAsync(sweep);
        var trials = await sweep.GetTrialsAsync();
        Assert.Equal(1, trials[0].Attempt);
        var dead = await tracker.GetRunAsync(deadRun);
        Assert.Equal("crashed", dead.Data.Tags[SweepTags.State]);
        Assert.Equal(RunStatus.Failed, dead.Info.Status);
        Assert.Equal(21, (await sweep.GetAllRunsAsync()).Count); // 20 trials + the crashed one, which no trial list counts
        Assert.DoesNotContain(trials, t => t.RunId == deadRun);
    }

    [Fact]
    public async Task Hyperband_kills_the_program_of_a_stopped_trial()
    {
        await using var tracker = Tracker.Open(Store);
        var sweep = await Sweep.CreateAsync(tracker, """
            method: grid
            metric: {name: loss}
            early_terminate: {type: hyperband, min_iter: 1, eta: 2}
            parameters:
              a: {values: [1, 2, 9]}
            """, "hyperband");
        // Three epochs, loss = a - epoch; trial a=9 is worse than the threshold at band 1 ([1 2 9] → [int(3/2)] = 2).
        // A stopped program would print "epoch 2 done" only if it survived being killed.
        var script = Script("curve.sh", "for s in 0 1 2; do echo \"metric: loss=$((a - s)) step=$s\"; sleep 0.3; done\necho \"epoch 2 done a=$a\"\n");
        var output = await WaitSuccessAsync(StartAgent(sweep.Id, script));

        var trials = (await sweep.GetTrialsAsync()).ToDictionary(t => t.Config.Get<long>("a"));
        Assert.Equal([RunState.Finished, RunState.Finished, RunState.Stopped], trials.OrderBy(t => t.Key).Select(t => t.Value.State));
        Assert.Equal([9.0], trials[9].History);
        Assert.Contains("band 1", trials[9].StopReason);
        Assert.Contains("epoch 2 done a=1", output);
        Assert.DoesNotContain("epoch 2 done a=9", output);
    }

    [Fact]
    public void Sweep_create_prints_an_id_and_rejects_a_bad_file_with_its_line()
    {
        var cli = Path.Combine(RunnerTestEnvironment.RepoRoot, "build", "cli", "Courseware.Cli.dll");
        var good = Path.Combine(_folder.Path, "sweep.yaml");
        File.WriteAllText(good, Yaml);
        var (code, output) = RunnerTestEnvironment.Run("dotnet", [cli, "sweep", "create", good, "--store", Store], _folder.Path, TimeSpan.FromMinutes(2));
        Assert.Equal(0, code);
        Assert.Matches("^[0-9a-f]{32}$", output.Trim());
        var id = output.Trim();
        (code, output) = RunnerTestEnvironment.Run("dotnet", [cli, "sweep", "stop", id, "--store", Store], _folder.Path, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, output);
        using (var tracker = Tracker.Open(Store))
            Assert.Equal(SweepState.Stopped, Sweep.Open(tracker, id).GetState());

        var bad = Path.Combine(_folder.Path, "bad.yaml");
        File.WriteAllText(bad, "method: grid\nparameters:\n  lr: {distribution: uniform, min: 0.0, max: 1.0}\n");
        (code, output) = RunnerTestEnvironment.Run("dotnet", [cli, "sweep", "create", bad, "--store", Store], _folder.Path, TimeSpan.FromMinutes(2));
        Assert.Equal(2, code);
        Assert.Contains("bad.yaml", output);
        Assert.Contains("grid search", output);
    }
}
