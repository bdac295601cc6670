using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Courseware.Cli.Runner;

/// <summary>How notebooks are run.</summary>
public sealed record RunOptions
{
    /// <summary>Values for the papermill-style injected-parameters cell.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>A cell that runs longer is stopped (its worker is killed) and reported as timed out; <see cref="Timeout.InfiniteTimeSpan"/> sets no limit.</summary>
    public TimeSpan CellTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Keep running the cells after a failed one (a timed-out cell still ends the notebook: its kernel is gone).</summary>
    public bool ContinueOnError { get; init; }

    /// <summary>How many notebooks run at once, each in its own worker process.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>
    /// The most managed memory a worker's kernel may hold (the runtime's <c>DOTNET_GCHeapHardLimit</c>); a cell that
    /// allocates past it fails with OutOfMemoryException instead of taking the machine's memory. Null: no limit.
    /// </summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Runs each worker inside this file-system sandbox (grading); null runs it as the user, seeing everything.</summary>
    public Sandbox? Sandbox { get; init; }

    /// <summary>Starts a worker process (tests count them); by default one with <see cref="MemoryLimitBytes"/> and <see cref="Sandbox"/>.</summary>
    internal Func<WorkerClient>? StartWorker { get; init; }
}

/// <summary>One notebook to run: from <paramref name="Path"/>, or an in-memory <paramref name="Document"/> whose folder is Path's.</summary>
/// <param name="Path">The notebook file; its folder is the working directory while it runs.</param>
/// <param name="OutputPath">Where to write the executed notebook; null writes nothing.</param>
/// <param name="Document">A notebook already in memory (e.g. a learner's lab with the hidden checks put back).</param>
/// <param name="InPlace">The output is the source itself, on purpose (`--inplace`); any other output that is an input notebook is refused.</param>
public sealed record NotebookJob(string Path, string? OutputPath, NotebookDocument? Document = null, bool InPlace = false);

/// <summary>Progress of a run, for a console display.</summary>
/// <param name="Path">The notebook.</param>
/// <param name="CellsDone">Code cells finished so far.</param>
/// <param name="CellsTotal">Code cells in the notebook (0 until it is loaded).</param>
/// <param name="Result">Set once the notebook is finished.</param>
public sealed record RunProgress(string Path, int CellsDone, int CellsTotal, NotebookResult? Result = null);

/// <summary>
/// Runs notebooks headlessly on the real .NET Interactive kernel, each in its own pre-started (warm) worker process
/// with the notebook's folder as working directory, and writes the executed notebooks (nbformat 4.5, VS Code's shape).
/// </summary>
/// <example><code>var results = await NotebookRunner.RunAsync([new NotebookJob("solutions/01.ipynb", "out/01.ipynb")], new RunOptions());</code></example>
public static class NotebookRunner
{
    /// <summary>Tag (and id) of the banner cell that names the failed cell at the top of an executed notebook.</summary>
    public const string BannerTag = "courseware-run-error";

    /// <summary>Metadata key on a failed cell: <c>{"status": "failed"|"timedout", "error": name}</c>.</summary>
    public const string RunMetadataKey = "courseware_run";

    /// <summary>Runs every job (up to <see cref="RunOptions.Parallel"/> at once); one notebook's failure never stops the others.</summary>
    public static async Task<IReadOnlyList<NotebookResult>> RunAsync(
        IReadOnlyList<NotebookJob> jobs, RunOptions options, IProgress<RunProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new NotebookResult?[jobs.Count];
        var inputs = RunPaths.Inputs(jobs.Select(j => j.Path));
        var prepared = new List<(int Index, Prepared Notebook)>();
        for (var i = 0; i < jobs.Count; i++)
        {
            // Notebooks that cannot run are settled before any worker starts: they need none.
            switch (Prepare(jobs[i], options, inputs))
            {
                case NotebookResult failed:
                    results[i] = failed;
                    progress?.Report(new RunProgress(jobs[i].Path, 0, 0, failed));
                    break;
                case Prepared ready:
                    prepared.Add((i, ready));
                    break;
            }
        }

        var parallel = Math.Clamp(options.Parallel, 1, Math.Max(1, prepared.Count));
        await using (var pool = new WorkerPool(parallel, prepared.Count, options.StartWorker ?? (() => WorkerClient.Start(options.MemoryLimitBytes, options.Sandbox))))
        {
            var next = -1;
            var lanes = Enumerable.Range(0, parallel).Select(async _ =>
            {
                int k;
                while ((k = Interlocked.Increment(ref next)) < prepared.Count)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (i, notebook) = prepared[k];
                    var result = await RunOneAsync(jobs[i], notebook, options, pool, progress, cancellationToken);
                    results[i] = result;
                    progress?.Report(new RunProgress(jobs[i].Path, result.Cells.Count, result.Cells.Count, result));
                }
            });
            await Task.WhenAll(lanes);
        }
        return results!;
    }

    /// <summary>A notebook loaded, cleared of an earlier run and given its parameters; ready for a worker.</summary>
    private sealed record Prepared(NotebookDocument Notebook, IReadOnlyList<string> Warnings);

    private static object Prepare(NotebookJob job, RunOptions options, IReadOnlyDictionary<string, string> inputs)
    {
        var clock = Stopwatch.StartNew();
        var path = Path.GetFullPath(job.Path);
        if (job.OutputPath is { } output && !(job.InPlace && RunPaths.Comparer.Equals(RunPaths.Canonical(output), RunPaths.Canonical(path)))
            && RunPaths.OverwrittenInput(output, inputs) is { } refused)
            return new NotebookResult(path, null, [], refused, clock.Elapsed);
        try
        {
            var notebook = (job.Document ?? NotebookDocument.Load(path)).Clone();
            ClearPreviousRun(notebook);
            var warning = Parameters.Inject(notebook, options.Parameters);
            return new Prepared(notebook, warning is null ? [] : [warning]);
        }
        catch (Exception e) when (e is NotebookException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            RemoveStaleOutput(job);
            var message = e is NotebookException ne ? ne.Message : $"{path}: {e.Message}";
            return new NotebookResult(path, null, [], message, clock.Elapsed);
        }
    }

    /// <summary>An executed copy left by an earlier run would contradict this run's summary: it goes (never a source: see InPlace).</summary>
    private static void RemoveStaleOutput(NotebookJob job)
    {
        if (job.OutputPath is { } output && !job.InPlace && File.Exists(output))
            File.Delete(output);
    }

    // Cancelling stops the notebook where it is: the running cell's worker is killed and the cell reported as stopped.
    private static async Task<NotebookResult> RunOneAsync(NotebookJob job, Prepared prepared, RunOptions options, WorkerPool pool, IProgress<RunProgress>? progress,
        CancellationToken cancellationToken)
    {
        // The notebook's time starts when a lane takes it up, not while it waits for one.
        var clock = Stopwatch.StartNew();
        var (notebook, warnings) = prepared;
        var path = Path.GetFullPath(job.Path);
        var codeCells = notebook.Cells.Select((c, i) => (Cell: (JsonObject)c!, Index: i))
            .Where(c => (string?)c.Cell["cell_type"] == "code").ToList();
        progress?.Report(new RunProgress(path, 0, codeCells.Count));

        await using var worker = await pool.TakeAsync();
        var cells = new List<CellResult>();
        string? notebookError = null;
        if (!await worker.ReadyAsync)
        {
            notebookError = $"{path}: the worker process failed to start (exit code {worker.ExitCode}): {Tail(worker.StandardError)}";
        }
        else
        {
            await worker.OpenAsync(Path.GetDirectoryName(path)!);
        }

        var executionCount = 0;
        var stopped = notebookError is not null;
        foreach (var (cell, index) in codeCells)
        {
            var id = (string)cell["id"]!;
            var kernel = notebook.KernelOf(cell);
            if (stopped)
            {
                cell["outputs"] = new JsonArray();
                cell["execution_count"] = null;
                cells.Add(new CellResult(index, id, kernel, CellStatus.NotRun, [], null, null, TimeSpan.Zero));
                continue;
            }

            var cellClock = Stopwatch.StartNew();
            var source = NotebookDocument.SourceOf(cell);
            var (execution, timedOut, partial) = await worker.ExecuteAsync(source, kernel, options.CellTimeout, cancellationToken);
            CellResult result;
            if (execution is not null)
            {
                result = new CellResult(index, id, kernel, execution.Failed ? CellStatus.Failed : CellStatus.Succeeded,
                    execution.Outputs, execution.ErrorName, execution.ErrorMessage, cellClock.Elapsed);
                stopped = execution.Failed && !options.ContinueOnError;
            }
            else
            {
                var message = cancellationToken.IsCancellationRequested
                    ? "the run was stopped while this cell ran (its kernel process was killed; later cells did not run)"
                    : timedOut
                    ? $"cell timed out after {options.CellTimeout.TotalSeconds:0.#} s and was stopped (its kernel process was killed; later cells did not run)"
                    : $"the kernel process exited unexpectedly (exit code {worker.ExitCode}) while running cell {index} (id {id}) at `{RunningLine(source)}`; " +
                      $"its stderr: {(Tail(worker.StandardError) is { Length: > 0 } tail ? tail : "(empty)")}";
                // What the cell printed before it was stopped stays, followed by the error (as papermill keeps it).
                partial.Add(KernelSession.ErrorOutput(message));
                result = new CellResult(index, id, kernel, timedOut ? CellStatus.TimedOut : CellStatus.Failed,
                    partial, timedOut ? "Timeout" : "KernelCrashed", message, cellClock.Elapsed);
                stopped = true;
            }
            cell["outputs"] = result.Outputs.DeepClone();
            cell["execution_count"] = ++executionCount;
            if (!result.Succeeded)
                cell["metadata"]![RunMetadataKey] = new JsonObject { ["status"] = result.Status.ToString().ToLowerInvariant(), ["error"] = result.ErrorName };
            cells.Add(result);
            progress?.Report(new RunProgress(path, cells.Count, codeCells.Count));
        }

        var notebookResult = new NotebookResult(path, null, cells, notebookError, clock.Elapsed) { Warnings = warnings };
        if (job.OutputPath is null) return notebookResult;
        if (notebookError is not null && cells.All(c => c.Status == CellStatus.NotRun))
        {
            RemoveStaleOutput(job);
            return notebookResult;
        }
        MarkFailure(notebook, notebookResult);
        notebook.Save(job.OutputPath);
        return notebookResult with { OutputPath = Path.GetFullPath(job.OutputPath), Duration = clock.Elapsed };
    }

    /// <summary>A notebook written by an earlier run (--inplace) loses that run's banner, markers and injected parameters.</summary>
    private static void ClearPreviousRun(NotebookDocument notebook)
    {
        var cells = notebook.Cells;
        for (var i = cells.Count - 1; i >= 0; i--)
        {
            var cell = (JsonObject)cells[i]!;
            var tags = NotebookDocument.TagsOf(cell).ToList();
            if (tags.Contains(BannerTag) || tags.Contains(Parameters.InjectedTag)) cells.RemoveAt(i);
            else (cell["metadata"] as JsonObject)?.Remove(RunMetadataKey);
        }
    }

    /// <summary>Like papermill: a red banner cell first, naming the failed cell, so a reader sees it at once.</summary>
    private static void MarkFailure(NotebookDocument notebook, NotebookResult result)
    {
        var failure = result.Failures.FirstOrDefault();
        if (failure is null) return;
        var text = $"<span style=\"color:red\"><b>courseware run: cell {failure.Index} (id {System.Net.WebUtility.HtmlEncode(failure.Id)}) failed</b> — " +
                   $"{System.Net.WebUtility.HtmlEncode(failure.ErrorLine)}</span>";
        var banner = new JsonObject
        {
            ["cell_type"] = "markdown",
            ["id"] = BannerTag,
            ["metadata"] = new JsonObject { ["tags"] = new JsonArray(BannerTag) },
            ["source"] = NotebookDocument.SourceLines(text),
        };
        notebook.Cells.Insert(0, banner);
    }

    /// <summary>The line a crash most likely came from: the cell's first directive (they run first), else its first code line.</summary>
    private static string RunningLine(string source)
    {
        var lines = source.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal)).ToList();
        return lines.FirstOrDefault(l => l.StartsWith("#r ", StringComparison.Ordinal) || l.StartsWith("#i ", StringComparison.Ordinal) || l.StartsWith("#!", StringComparison.Ordinal))
               ?? lines.FirstOrDefault() ?? "";
    }

    private static string Tail(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length <= 2000 ? trimmed : "…" + trimmed[^2000..];
    }
}

/// <summary>
/// Worker processes started ahead of need: the kernel is created and Roslyn warmed while the previous notebook
/// still runs, so handing a notebook over costs no start-up time.
/// </summary>
internal sealed class WorkerPool : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Queue<WorkerClient> _warm = new();
    private int _remaining;
    private int _pendingSpares;
    private bool _disposed;

    private readonly Func<WorkerClient> _start;

    /// <summary>Starts <paramref name="parallel"/> workers at once (never more than there are notebooks).</summary>
    public WorkerPool(int parallel, int jobs, Func<WorkerClient> start)
    {
        _start = start;
        _remaining = jobs;
        for (var i = 0; i < Math.Min(parallel, jobs); i++) _warm.Enqueue(_start());
    }

    /// <summary>A warm (or warming) worker for the next notebook; a spare for a later notebook starts once this one is warm.</summary>
    public Task<WorkerClient> TakeAsync()
    {
        lock (_gate)
        {
            _remaining--;
            var worker = _warm.Count > 0 ? _warm.Dequeue() : _start();
            if (_remaining > _warm.Count + _pendingSpares)
            {
                // Warming waits for this worker: kernels warming all at once would only slow each other down.
                _pendingSpares++;
                _ = worker.ReadyAsync.ContinueWith(_ =>
                {
                    lock (_gate)
                    {
                        _pendingSpares--;
                        if (!_disposed) _warm.Enqueue(_start());
                    }
                }, TaskScheduler.Default);
            }
            return Task.FromResult(worker);
        }
    }

    public async ValueTask DisposeAsync()
    {
        WorkerClient[] idle;
        lock (_gate) { _disposed = true; idle = [.. _warm]; _warm.Clear(); }
        foreach (var worker in idle) await worker.DisposeAsync();
    }
}
