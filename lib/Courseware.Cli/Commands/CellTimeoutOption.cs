using System.CommandLine;

namespace Courseware.Cli.Commands;

/// <summary>The per-cell `--timeout` of run, check and grade: seconds, 0 for no limit (as papermill's --execution-timeout).</summary>
internal static class CellTimeoutOption
{
    public static Option<double> Create()
    {
        var option = new Option<double>("--timeout")
        {
            Description = "Per-cell timeout in seconds; a cell running longer is stopped (0 = no limit)",
            DefaultValueFactory = _ => 600,
        };
        option.Validators.Add(result =>
        {
            var seconds = result.GetValueOrDefault<double>();
            if (!double.IsFinite(seconds) || seconds < 0)
                result.AddError($"--timeout: '{result.Tokens.LastOrDefault()?.Value ?? seconds.ToString()}' is not valid: expected a number of seconds, or 0 for no limit");
        });
        return option;
    }

    /// <summary>The option's value as a cell timeout: 0 is <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public static TimeSpan ToTimeSpan(double seconds) => seconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
}
