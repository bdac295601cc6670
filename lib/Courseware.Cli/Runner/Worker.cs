using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Courseware.Cli.Runner;

/// <summary>
/// The line protocol between the runner and a worker process (`courseware run-worker`).
/// Runner → worker (stdin, one JSON object a line): {"op":"open","directory":…} then {"op":"cell","kernel":…,"code":…} per cell.
/// Worker → runner (stdout): {"op":"ready"} once the kernel is warm, then one {"op":"result",…} per cell.
/// Worker lines carry a prefix so that anything else a notebook writes to the process's stdout is ignored.
/// </summary>
internal static class WorkerProtocol
{
    public const string Prefix = "\u001e@courseware ";
    public const string SubcommandName = "run-worker";
}

/// <summary>The worker side: one process, one kernel, one notebook (its folder is the working directory).</summary>
internal static class WorkerHost
{
    /// <summary>Runs the worker loop until stdin closes; a fatal error is written to the real stderr, where the runner reports it from.</summary>
    public static async Task<int> RunAsync()
    {
        // Our own writers on the raw stdout/stderr: the kernel redirects Console.Out and Console.Error while cells run.
        await using var raw = Console.OpenStandardOutput();
        await using var output = new StreamWriter(raw, new UTF8Encoding(false)) { AutoFlush = true };
        try
        {
            await ServeAsync(output);
            return 0;
        }
        catch (Exception e)
        {
            await using var stderr = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true };
            await stderr.WriteLineAsync($"courseware run-worker: {e}");
            return 70; // EX_SOFTWARE
        }
    }

    private static async Task ServeAsync(StreamWriter output)
    {
        using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        using var session = new KernelSession();
        await session.WarmUpAsync();
        await SendAsync(output, new JsonObject { ["op"] = "ready" });

        while (await input.ReadLineAsync() is { } line)
        {
            var message = JsonNode.Parse(line)!.AsObject();
            switch ((string?)message["op"])
            {
                case "open":
                    Directory.SetCurrentDirectory((string)message["directory"]!);
                    break;
                case "cell":
                    // Each output goes out as it is produced, so a cell stopped by its timeout keeps what it printed.
                    // The kernel publishes from one cell at a time but from any thread: writes are serialised.
                    var gate = new object();
                    var execution = await session.ExecuteAsync((string)message["code"]!, (string)message["kernel"]!, operation =>
                    {
                        operation["op"] = "output";
                        lock (gate) output.WriteLine(WorkerProtocol.Prefix + operation.ToJsonString());
                    });
                    lock (gate)
                        output.WriteLine(WorkerProtocol.Prefix + new JsonObject
                        {
                            ["op"] = "result",
                            ["failed"] = execution.Failed,
                            ["errorName"] = execution.ErrorName,
                            ["errorMessage"] = execution.ErrorMessage,
                        }.ToJsonString());
                    break;
            }
        }
    }

    private static Task SendAsync(StreamWriter output, JsonObject message) =>
        output.WriteLineAsync(WorkerProtocol.Prefix + message.ToJsonString());
}

/// <summary>The runner side of one worker process: started (and warmed) ahead of time, then handed one notebook.</summary>
internal sealed class WorkerClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task<bool> _ready;
    private readonly System.Threading.Channels.Channel<JsonObject> _messages = System.Threading.Channels.Channel.CreateUnbounded<JsonObject>();

    private WorkerClient(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _messages.Writer.TryComplete();
            else if (e.Data.StartsWith(WorkerProtocol.Prefix, StringComparison.Ordinal))
                _messages.Writer.TryWrite(JsonNode.Parse(e.Data[WorkerProtocol.Prefix.Length..])!.AsObject());
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr)
                if (_stderr.Length < 16_000) _stderr.AppendLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _ready = WaitReadyAsync();
    }

    /// <summary>
    /// Starts `courseware run-worker`; the kernel warms up in the background. <paramref name="memoryLimitBytes"/> caps
    /// its managed heap; <paramref name="sandbox"/> runs it inside that sandbox.
    /// </summary>
    public static WorkerClient Start(long? memoryLimitBytes = null, Sandbox? sandbox = null)
    {
        var (fileName, prefixArgs) = WorkerCommandLine();
        if (sandbox is not null) (fileName, prefixArgs) = sandbox.Wrap(fileName, prefixArgs);
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var arg in prefixArgs) info.ArgumentList.Add(arg);
        info.ArgumentList.Add(WorkerProtocol.SubcommandName);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (memoryLimitBytes is { } limit) info.Environment["DOTNET_GCHeapHardLimit"] = limit.ToString("X", System.Globalization.CultureInfo.InvariantCulture);
        return new WorkerClient(Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}"));
    }

    /// <summary>Waits until the kernel is warm; false when the worker died first.</summary>
    public Task<bool> ReadyAsync => _ready;

    /// <summary>What the worker wrote to stderr (for crash reports).</summary>
    public string StandardError
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Sets the notebook's folder as the worker's working directory.</summary>
    public Task OpenAsync(string directory) => WriteAsync(new JsonObject { ["op"] = "open", ["directory"] = directory });

    /// <summary>
    /// Runs one cell. Execution is null when the worker did not answer: <c>TimedOut</c> tells a cell that ran past
    /// <paramref name="timeout"/> (the worker is then killed; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever)
    /// from a worker that died; <c>Partial</c> holds what the cell had output until then. <paramref name="stop"/> kills the
    /// worker as a timeout does.
    /// </summary>
    public async Task<(CellExecution? Execution, bool TimedOut, JsonArray Partial)> ExecuteAsync(string code, string kernel, TimeSpan timeout, CancellationToken stop = default)
    {
        var outputs = new CellOutputs();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        cts.CancelAfter(timeout);
        try
        {
            await WriteAsync(new JsonObject { ["op"] = "cell", ["kernel"] = kernel, ["code"] = code });
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(cts.Token);
                if ((string?)message["op"] == "output")
                {
                    outputs.Apply(message);
                    continue;
                }
                return (new CellExecution(outputs.ToArray(), (bool)message["failed"]!, (string?)message["errorName"], (string?)message["errorMessage"]), false, []);
            }
        }
        catch (OperationCanceledException)
        {
            Kill();
            return (null, true, outputs.ToArray());
        }
        catch (Exception e) when (e is System.Threading.Channels.ChannelClosedException or IOException)
        {
            Kill();
            return (null, false, outputs.ToArray());
        }
    }

    /// <summary>The worker's exit code once it has exited.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close(); // the worker exits when its input ends
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await _process.WaitForExitAsync(cts.Token); }
                catch (OperationCanceledException) { Kill(); }
            }
        }
        catch (IOException) { Kill(); }
        _process.Dispose();
    }

    private void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already gone
        _process.WaitForExit(5000);
    }

    private async Task<bool> WaitReadyAsync()
    {
        try
        {
            var message = await _messages.Reader.ReadAsync();
            return (string?)message["op"] == "ready";
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return false;
        }
    }

    private async Task WriteAsync(JsonObject message)
    {
        await _process.StandardInput.WriteLineAsync(message.ToJsonString());
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>The worker is this same program: its apphost when there is one, else `dotnet Courseware.Cli.dll`.</summary>
    /// <summary>The folder holding the worker's program (a sandbox must leave it readable).</summary>
    public static string ProgramFolder => Path.GetDirectoryName(typeof(WorkerClient).Assembly.Location)!;

    private static (string FileName, IReadOnlyList<string> Args) WorkerCommandLine()
    {
        var dll = typeof(WorkerClient).Assembly.Location;
        var apphost = Path.ChangeExtension(dll, OperatingSystem.IsWindows() ? ".exe" : null);
        if (File.Exists(apphost)) return (apphost, []);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return (dotnet, ["exec", dll]);
    }
}
