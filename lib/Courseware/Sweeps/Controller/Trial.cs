using System.Globalization;
using Courseware.Tracking;

namespace Courseware.Sweeps;

/// <summary>
/// One trial of a sweep as the training function sees it: the configuration to train with, a place to log metrics
/// per epoch, and whether to stop early (Optuna's <c>trial.report</c> / <c>trial.should_prune</c>).
/// <code>
/// sweep.RunAgent(10, trial =>
/// {
///     for (var epoch = 1; epoch &lt;= 20 &amp;&amp; !trial.ShouldStop; epoch++)
///         trial.Log(epoch, new { val_loss = TrainOneEpoch(trial.Get&lt;double&gt;("lr")) });
/// });
/// </code>
/// </summary>
public sealed class Trial
{
    private readonly Sweep _sweep;
    private readonly TimeSpan _checkInterval;
    private readonly List<double> _history = [];
    private readonly CancellationTokenSource _stop = new();
    private DateTimeOffset _lastCheck = DateTimeOffset.UtcNow;

    internal Trial(Sweep sweep, Sweep.Claim claim, ActiveRun run, TimeSpan checkInterval)
    {
        _sweep = sweep;
        _checkInterval = checkInterval;
        Number = claim.Slot;
        Config = claim.Config;
        Run = run;
    }

    /// <summary>The trial's position in the sweep (0, 1, …).</summary>
    public int Number { get; }

    /// <summary>The parameter values to train with.</summary>
    public ParameterValues Config { get; }

    /// <summary>The tracking run of this trial (log more params, tags or artifacts through it).</summary>
    public ActiveRun Run { get; }

    /// <summary>The run id.</summary>
    public string RunId => Run.RunId;

    /// <summary>The sweep's id.</summary>
    public string SweepId => _sweep.Id;

    /// <summary>A parameter value: <c>trial.Get&lt;double&gt;("learning_rate")</c>.</summary>
    public T Get<T>(string name) => Config.Get<T>(name);

    /// <summary>True once early termination (or another agent taking over this configuration) says the trial should end.</summary>
    public bool ShouldStop => StopReason is not null;

    /// <summary>Why the trial should stop, or null.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Cancelled when <see cref="ShouldStop"/> becomes true, for training code that takes a token.</summary>
    public CancellationToken StopToken => _stop.Token;

    /// <summary>The sweep metric as logged so far, one value per <see cref="Log(long, object)"/> that included it.</summary>
    public IReadOnlyList<double> History => _history;

    internal bool Superseded { get; private set; }

    /// <summary>
    /// Logs metrics at a step (an anonymous object or a dictionary of numbers). When they include the sweep's metric,
    /// early termination is checked right away; <see cref="ShouldStop"/> then says whether to go on.
    /// </summary>
    /// <example><code>trial.Log(epoch, new { val_loss = 0.31, val_acc = 0.9 });</code></example>
    public void Log(long step, object metrics) => Tracker.Wait(LogAsync(step, metrics));

    /// <summary>Logs one metric at a step (names such as <c>val/loss</c> that are no C# identifier).</summary>
    public void Log(long step, string name, double value) => Log(step, new Dictionary<string, double> { [name] = value });

    /// <inheritdoc cref="Log(long, object)"/>
    public async Task LogAsync(long step, object metrics, CancellationToken cancellationToken = default)
    {
        var values = KeyValues.Raw(metrics).Select(kv => (kv.Key, Value: ToDouble(kv.Key, kv.Value))).ToList();
        Run.LogMetrics(values.ToDictionary(v => v.Key, v => (object)v.Value), step);
        var metric = _sweep.Config.Metric?.Name;
        var reported = false;
        foreach (var (key, value) in values)
            if (key == metric)
            {
                _history.Add(value);
                reported = true;
            }
        if (ShouldStop) return;
        var due = DateTimeOffset.UtcNow - _lastCheck >= _checkInterval;
        if (!(reported && _sweep.Config.EarlyTerminate is not null) && !due) return;
        _lastCheck = DateTimeOffset.UtcNow;
        if (await _sweep.StopReasonAsync(RunId, Number, _history, cancellationToken).ConfigureAwait(false) is { } reason)
            await RequestStopAsync(reason, cancellationToken).ConfigureAwait(false);
    }

    private async Task RequestStopAsync(string reason, CancellationToken ct)
    {
        StopReason = reason;
        Superseded = reason.StartsWith("superseded", StringComparison.Ordinal);
        await _sweep.Tracker.Store.LogBatchAsync(RunId, [], [], [new RunTag(SweepTags.StopReason, reason)], ct).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
    }

    private static double ToDouble(string key, object? value) => value switch
    {
        double d => d,
        float f => f,
        IConvertible c and not string and not bool => c.ToDouble(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"Metric '{key}' has the value {value ?? "null"}; metrics must be numbers.", nameof(value)),
    };

    /// <summary>
    /// Ends the trial's run: metrics flushed first, then the state tag (other agents cache an ended trial's history
    /// once they see its state, so the history must be complete by then), then the MLflow status.
    /// </summary>
    internal void End(RunState state, Exception? failure)
    {
        Run.Flush();
        Tracker.Wait(_sweep.Tracker.Store.LogBatchAsync(RunId, [], [], [new RunTag(SweepTags.State, SweepTags.ToWire(state))]));
        if (failure is not null) Run.Fail(failure);
        else Run.End(state == RunState.Finished ? RunStatus.Finished : RunStatus.Killed);
        _stop.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"Trial {Number} ({RunId}) {Config}";
}
