using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Courseware.Sweeps;

/// <summary>
/// Runs a training program for each trial, as <c>wandb agent</c> does: the command is started with the configuration
/// appended as <c>--name=value</c> arguments and also given in environment variables, and the program reports
/// metrics by printing lines to standard output:
/// <code>metric: val_loss=0.31 val_acc=0.9 step=3</code>
/// (several <c>name=value</c> pairs; <c>step</c> optional, default the count of earlier metric lines). Other output
/// passes through. When early termination stops the trial the program is killed, as wandb does.
/// <para>Environment: <see cref="SweepIdVariable"/>, <see cref="RunIdVariable"/>, <see cref="ConfigVariable"/> (the
/// configuration as JSON) and <c>COURSEWARE_PARAM_&lt;NAME&gt;</c> per parameter (dots and dashes become underscores).</para>
/// </summary>
/// <example><code>await sweep.RunAgentAsync(5, trial => SweepProgram.RunAsync(trial, ["python3", "train.py"]));</code></example>
public static partial class SweepProgram
{
    /// <summary>The sweep id.</summary>
    public const string SweepIdVariable = "COURSEWARE_SWEEP_ID";
    /// <summary>The trial's run id.</summary>
    public const string RunIdVariable = "COURSEWARE_RUN_ID";
    /// <summary>The configuration as a JSON object.</summary>
    public const string ConfigVariable = "COURSEWARE_SWEEP_CONFIG";

    [GeneratedRegex(@"^\s*metric:\s*(?<pairs>.*)$")]
    private static partial Regex MetricLine();

    [GeneratedRegex(@"(?<key>[^\s=]+)=(?<value>\S+)")]
    private static partial Regex Pair();

    /// <summary>The arguments appended to the command: <c>--learning_rate=0.01 --optimizer=adam</c>.</summary>
    public static IReadOnlyList<string> Arguments(ParameterValues config) =>
        config.Select(kv => $"--{kv.Key}={ConfigJson.Format(kv.Value)}").ToList();

    /// <summary>
    /// Parses a <c>metric:</c> line into its values and step; null for any other line. Throws
    /// <see cref="FormatException"/> naming the line when a value is not a number.
    /// </summary>
    public static (IReadOnlyDictionary<string, double> Values, long? Step)? ParseMetricLine(string line)
    {
        var m = MetricLine().Match(line);
        if (!m.Success) return null;
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        long? step = null;
        foreach (Match p in Pair().Matches(m.Groups["pairs"].Value))
        {
            var (key, text) = (p.Groups["key"].Value, p.Groups["value"].Value);
            if (key == "step")
            {
                step = long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s
                    : throw new FormatException($"metric line '{line}': step={text} is not an integer");
                continue;
            }
            values[key] = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                : text.Equals("nan", StringComparison.OrdinalIgnoreCase) ? double.NaN
                : throw new FormatException($"metric line '{line}': {key}={text} is not a number (expected e.g. {key}=0.25)");
        }
        if (values.Count == 0) throw new FormatException($"metric line '{line}': expected name=value pairs, e.g. metric: val_loss=0.31 step=3");
        return (values, step);
    }

    /// <summary>
    /// Runs <paramref name="command"/> (program then arguments) for <paramref name="trial"/> and returns when it exits;
    /// throws when it exits non-zero (the trial is then recorded failed). <paramref name="output"/> receives the
    /// program's other output lines (default: this process's standard output).
    /// </summary>
    public static async Task RunAsync(Trial trial, IReadOnlyList<string> command, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trial);
        if (command.Count == 0) throw new ArgumentException("Give the program to run, e.g. -- python3 train.py", nameof(command));
        output ??= Console.Out;
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command.Skip(1).Concat(Arguments(trial.Config))) start.ArgumentList.Add(a);
        start.Environment[RunIdVariable] = trial.RunId;
        start.Environment[SweepIdVariable] = trial.SweepId;
        start.Environment[ConfigVariable] = ConfigJson.Write(trial.Config);
        foreach (var (name, value) in trial.Config)
            start.Environment["COURSEWARE_PARAM_" + name.Replace('.', '_').Replace('-', '_').ToUpperInvariant()] = ConfigJson.Format(value);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{command[0]}'.");
        var killed = false;
        try
        {
            long lines = 0;
            while (await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (ParseMetricLine(line) is not { } metric)
                {
                    await output.WriteLineAsync(line).ConfigureAwait(false);
                    continue;
                }
                await trial.LogAsync(metric.Step ?? lines, metric.Values, cancellationToken).ConfigureAwait(false);
                lines++;
                if (trial.ShouldStop)
                {
                    killed = true;
                    process.Kill(entireProcessTree: true);
                    break;
                }
            }
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw;
        }
        if (!killed && process.ExitCode != 0)
            throw new InvalidOperationException($"'{string.Join(' ', command)}' exited with code {process.ExitCode}.");
    }
}
