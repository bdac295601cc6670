using System.Threading.Channels;

namespace Courseware.Tracking;

/// <summary>
/// Queues metric points and writes them to the store in the background, in batches of up to 10,000 points per run
/// and transaction for a SQL store (<see cref="TrackingLimits.MaxMetricsPerBatch"/> per request to a server) — per-call logging is what makes MLflow's
/// <c>log_metric</c> slow (MLflow issue #5269). <see cref="FlushAsync"/> returns once everything queued before it is
/// committed. A failed background write is reported by the next Add or Flush, never swallowed.
/// </summary>
internal sealed class MetricBuffer : IAsyncDisposable
{
    private const int Capacity = 100_000;
    private const int MaxDrain = 10 * TrackingLimits.MaxMetricsPerBatch;

    private readonly ITrackingStore _store;
    private readonly Channel<Item> _channel = Channel.CreateBounded<Item>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _writer;
    private Exception? _error;

    private readonly record struct Item(string? RunId, Metric? Metric, TaskCompletionSource? Barrier);

    public MetricBuffer(ITrackingStore store)
    {
        _store = store;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Queues a validated point; blocks only while <see cref="Capacity"/> points are already waiting.</summary>
    public void Add(string runId, Metric metric)
    {
        ThrowIfFailed();
        var item = new Item(runId, metric, null);
        if (!_channel.Writer.TryWrite(item))
            _channel.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Waits until every point queued so far is committed (or throws the write error that lost some).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _channel.Writer.WriteAsync(new Item(null, null, barrier), cancellationToken).ConfigureAwait(false);
        await barrier.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfFailed();
    }

    private void ThrowIfFailed()
    {
        if (Interlocked.Exchange(ref _error, null) is { } e)
            throw new TrackingException(e is TrackingException te ? te.Code : TrackingErrorCode.InternalError,
                $"Writing queued metrics failed; the points of that batch were not stored: {e.Message}", (e as TrackingException)?.Field, e);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _channel.Reader;
        var pending = new List<(string RunId, Metric Metric)>();
        var barriers = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Drain what is there, stopping at a barrier so it completes right after the points queued before it.
            while (pending.Count < MaxDrain && reader.TryRead(out var item))
            {
                if (item.Barrier is not null) { barriers.Add(item.Barrier); break; }
                pending.Add((item.RunId!, item.Metric!));
            }
            await WriteAsync(pending).ConfigureAwait(false);
            pending.Clear();
            foreach (var b in barriers) b.TrySetResult();
            barriers.Clear();
        }
    }

    private async Task WriteAsync(List<(string RunId, Metric Metric)> points)
    {
        // A SQL store takes everything drained for a run in one transaction; other stores (a server) get MLflow-sized batches.
        var sql = _store as SqlTrackingStore;
        foreach (var run in points.GroupBy(p => p.RunId))
            foreach (var chunk in run.Select(p => p.Metric).Chunk(sql is null ? TrackingLimits.MaxMetricsPerBatch : MaxDrain))
            {
                try
                {
                    if (sql is not null) await sql.LogMetricsAsync(run.Key, chunk).ConfigureAwait(false);
                    else await _store.LogBatchAsync(run.Key, chunk, [], []).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _error = e;
                }
            }
    }

    /// <summary>Writes what is queued, then stops the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        ThrowIfFailed();
    }
}
