using Courseware.Notebooks;

namespace Courseware.Sweeps;

/// <summary>Charts of sweep results (presentation, kept apart from the results): <c>importance.ToChart()</c>.</summary>
public static class SweepCharts
{
    /// <summary>Bars of both importance measures per feature.</summary>
    public static Chart ToChart(this ParameterImportance importance)
    {
        ArgumentNullException.ThrowIfNull(importance);
        return Chart.Bars(
        [
            Series.Categorical("random-forest importance", importance.Features.Select(f => f.Feature), importance.Features.Select(f => f.Importance)),
            Series.Categorical("|correlation|", importance.Features.Select(f => f.Feature), importance.Features.Select(f => double.IsNaN(f.Correlation) ? 0 : Math.Abs(f.Correlation))),
        ], $"Parameter importance for {importance.Metric} ({importance.TrialCount} trials)", "parameter", "importance");
    }
}
