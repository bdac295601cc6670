using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Registry;
using Courseware.Tracking;

namespace Courseware.Serving;

/// <summary>How a <see cref="ModelService"/> serves: the challenger and its share, alias watching, outcome logging.</summary>
public sealed record ServingOptions
{
    /// <summary>A second model URI (e.g. <c>models:/name@challenger</c>) that receives <see cref="ChallengerShare"/> of the traffic.</summary>
    public string? Challenger { get; init; }

    /// <summary>Share of requests routed to the challenger (0 to 1).</summary>
    public double ChallengerShare { get; init; } = 0.1;

    /// <summary>Seed of the traffic split (and of its key hash).</summary>
    public int Seed { get; init; }

    /// <summary>How often the URIs are re-resolved, so that moving an alias (a promotion, a rollback) swaps the model in; null = only on <see cref="ModelService.RefreshAsync"/>.</summary>
    public TimeSpan? WatchInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Tracking experiment of the serving run that logs latencies and outcomes; null logs nothing to the store.</summary>
    public string? Experiment { get; init; }

    /// <summary>Significance level of the A/B report.</summary>
    public double Alpha { get; init; } = 0.05;
}

/// <summary>A prediction and who made it.</summary>
/// <param name="RequestId">Id to report the outcome under (<see cref="ModelService.RecordOutcome"/>).</param>
/// <param name="Arm">The arm that answered.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="Body">The answer: <c>{"model", "outputs"}</c> plus <c>request_id</c> and <c>arm</c>.</param>
public sealed record ServedPrediction(string RequestId, Arm Arm, ModelVersion Version, JsonObject Body);

/// <summary>
/// Serves a registry model, with an optional challenger on a share of the traffic: every request is routed
/// (<see cref="TrafficSplit"/>, sticky by key), checked against the answering version's signature and answered with the
/// version's URI; latency and outcomes are recorded per version (<see cref="ServingLog"/>) and compared by
/// <see cref="Report"/>. The URIs are re-resolved every <see cref="ServingOptions.WatchInterval"/>: when an alias
/// moves, the new version is loaded and swapped in without dropping a request — requests hold a lease on the predictor
/// they started with, and the old one is disposed when its last lease ends. The HTTP server of <c>courseware serve</c>
/// is a thin layer over this class.
/// </summary>
/// <example><code>
/// await using var service = await ModelService.StartAsync(registry, "models:/penguins@champion",
///     new ServingOptions { Challenger = "models:/penguins@challenger", ChallengerShare = 0.5 });
/// var answer = await service.PredictAsync(JsonDocument.Parse(body).RootElement, routingKey: "user-17");
/// service.RecordOutcome(answer.RequestId, 1);
/// </code></example>
public sealed class ModelService : IAsyncDisposable
{
    private readonly ModelRegistry _registry;
    private readonly Slot _champion;
    private readonly Slot? _challenger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private readonly Tracker? _tracker;
    private readonly ActiveRun? _run;

    private ModelService(ModelRegistry registry, ServingOptions options, Slot champion, Slot? challenger, Tracker? tracker, ActiveRun? run)
    {
        _registry = registry;
        Options = options;
        _champion = champion;
        _challenger = challenger;
        _tracker = tracker;
        _run = run;
        Log = new ServingLog(run);
        Split = challenger is null ? null : new TrafficSplit(options.ChallengerShare, options.Seed);
        Log.SetVersion(Arm.Champion, Champion);
        if (challenger is not null) Log.SetVersion(Arm.Challenger, challenger.Current.Predictor.Version);
        _watch = options.WatchInterval is { } interval ? WatchAsync(interval, _stop.Token) : Task.CompletedTask;
    }

    /// <summary>The options it was started with.</summary>
    public ServingOptions Options { get; }

    /// <summary>The champion URI as given (an alias URI follows its alias).</summary>
    public string ChampionUri => _champion.Uri;

    /// <summary>The challenger URI, or null without a split.</summary>
    public string? ChallengerUri => _challenger?.Uri;

    /// <summary>The version serving as champion now.</summary>
    public ModelVersion Champion => _champion.Current.Predictor.Version;

    /// <summary>The version serving as challenger now, or null.</summary>
    public ModelVersion? Challenger => _challenger?.Current.Predictor.Version;

    /// <summary>The router (null without a challenger).</summary>
    public TrafficSplit? Split { get; }

    /// <summary>Per-version traffic and outcomes.</summary>
    public ServingLog Log { get; }

    /// <summary>The last error of an automatic refresh (e.g. the alias was deleted; serving goes on with the loaded version), or null.</summary>
    public string? RefreshError { get; private set; }

    /// <summary>JSON Schema of the champion's request body (the challenger's is the same when the signatures match).</summary>
    public JsonObject RequestSchema => _champion.Current.Predictor.RequestSchema;

    /// <summary>
    /// Loads the champion (and the challenger, if any) and starts watching their aliases. With
    /// <see cref="ServingOptions.Experiment"/> a run is started in that experiment of the registry's store, ended when the service is disposed.
    /// </summary>
    public static async Task<ModelService> StartAsync(ModelRegistry registry, string championUri, ServingOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        options ??= new ServingOptions();
        if (options.Challenger is not null && !(options.ChallengerShare >= 0 && options.ChallengerShare <= 1))
            throw new RegistryException(RegistryError.InvalidParameter, "split", $"split: expected a challenger share from 0 to 1, got {options.ChallengerShare}.");
        var champion = new Slot(championUri, new Lease(await Predictor.LoadAsync(registry, championUri, cancellationToken).ConfigureAwait(false)));
        Slot? challenger = null;
        Tracker? tracker = null;
        ActiveRun? run = null;
        try
        {
            if (options.Challenger is not null)
                challenger = new Slot(options.Challenger, new Lease(await Predictor.LoadAsync(registry, options.Challenger, cancellationToken).ConfigureAwait(false)));
            if (options.Experiment is not null)
            {
                // Failing other processes' stale runs is not the server's business.
                tracker = Tracker.Open(registry.Store, options: new TrackerOptions { FailStaleRunsOnOpen = false });
                run = tracker.StartRun(options.Experiment);
                run.LogParams(options.Challenger is null
                    ? new { champion_uri = championUri }
                    : new { champion_uri = championUri, challenger_uri = options.Challenger, challenger_share = options.ChallengerShare, seed = options.Seed });
            }
            return new ModelService(registry, options, champion, challenger, tracker, run);
        }
        catch
        {
            champion.Current.Retire();
            challenger?.Current.Retire();
            if (tracker is not null) await tracker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Routes the request (by <paramref name="routingKey"/> when given), runs it on that arm's current version and
    /// records the outcome. A bad body throws <see cref="RegistryException"/> (400, naming the field), counted against
    /// the version that rejected it.
    /// </summary>
    public async Task<ServedPrediction> PredictAsync(JsonElement body, string? routingKey = null, CancellationToken cancellationToken = default)
    {
        var arm = Split?.Route(routingKey) ?? Arm.Champion;
        var lease = (arm == Arm.Champion ? _champion : _challenger!).Acquire();
        var started = Stopwatch.GetTimestamp();
        var version = lease.Predictor.Version;
        try
        {
            var answer = await lease.Predictor.PredictAsync(body, cancellationToken).ConfigureAwait(false);
            var id = Log.Answered(version, arm, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            answer["request_id"] = id;
            answer["arm"] = AbReport.ArmName(arm);
            return new ServedPrediction(id, arm, version, answer);
        }
        catch (RegistryException e) when (e.Error == RegistryError.InvalidParameter)
        {
            Log.Failed(version, arm, 400);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Failed(version, arm, 500);
            throw;
        }
        finally
        {
            lease.Release();
        }
    }

    /// <summary>Records the outcome of an answered request (1/0, or a number) against the version that answered it.</summary>
    public void RecordOutcome(string requestId, double outcome) => Log.RecordOutcome(requestId, outcome);

    /// <summary>The A/B report: traffic per version and the significance test of challenger against champion.</summary>
    public AbReport Report() => new(Champion.Uri, Challenger?.Uri, Log.Traffic, Options.Alpha);

    /// <summary>
    /// Re-resolves the URIs and swaps in any version that changed (in-flight requests finish on the old one).
    /// Returns the arms that changed. Throws when a URI no longer resolves; the loaded versions keep serving.
    /// </summary>
    public async Task<IReadOnlyList<Arm>> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changed = new List<Arm>();
            foreach (var (arm, slot) in new[] { (Arm.Champion, _champion), (Arm.Challenger, _challenger) })
            {
                if (slot is null) continue;
                var version = await _registry.ResolveAsync(slot.Uri, cancellationToken).ConfigureAwait(false);
                if (version.Uri == slot.Current.Predictor.Version.Uri) continue;
                var next = new Lease(await Predictor.LoadAsync(_registry, version.Uri, cancellationToken).ConfigureAwait(false));
                Interlocked.Exchange(ref slot.Current, next).Retire();
                Log.SetVersion(arm, version);
                changed.Add(arm);
            }
            RefreshError = null;
            return changed;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private async Task WatchAsync(TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    RefreshError = e.Message; // keep serving what is loaded; /health shows why it did not follow
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops watching, ends the serving run and frees the models once in-flight requests are done.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        _champion.Current.Retire();
        _challenger?.Current.Retire();
        if (_run is not null) await _run.DisposeAsync().ConfigureAwait(false);
        if (_tracker is not null) await _tracker.DisposeAsync().ConfigureAwait(false);
        _refreshGate.Dispose();
        _stop.Dispose();
    }

    /// <summary>One arm: its URI and the lease on the predictor now serving it.</summary>
    private sealed class Slot(string uri, Lease current)
    {
        public readonly string Uri = uri;
        public Lease Current = current;

        public Lease Acquire()
        {
            while (true)
            {
                var lease = Volatile.Read(ref Current);
                if (lease.TryAcquire()) return lease;
            }
        }
    }

    /// <summary>A reference count on one predictor: disposed once retired and no request holds it.</summary>
    private sealed class Lease(IPredictor predictor)
    {
        // Count of holders plus one for "still current"; 0 means disposed.
        private int _count = 1;

        public IPredictor Predictor { get; } = predictor;

        public bool TryAcquire()
        {
            while (true)
            {
                var c = Volatile.Read(ref _count);
                if (c == 0) return false;
                if (Interlocked.CompareExchange(ref _count, c + 1, c) == c) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _count) == 0) Predictor.Dispose();
        }

        public void Retire() => Release();
    }
}
