namespace Courseware.Sweeps;

/// <summary>
/// One problem (or warning) in a sweep configuration: the dotted path of the key at fault
/// (<c>parameters.dropout.min</c>), what was expected, and where it is in the file when read from one.
/// </summary>
/// <param name="Path">Dotted path of the key, e.g. <c>parameters.head.parameters.width.values</c>.</param>
/// <param name="Message">What is wrong and what was expected.</param>
public sealed record SweepConfigError(string Path, string Message)
{
    /// <summary>The file, when read from one.</summary>
    public string? File { get; init; }
    /// <summary>1-based line in the file, when read from one.</summary>
    public int? Line { get; init; }
    /// <summary>1-based column in the file, when read from one.</summary>
    public int? Column { get; init; }

    /// <summary>The parameter at fault as W&amp;B names it (nested groups joined by dots: <c>training.lr</c>), or null.</summary>
    public string? Parameter { get; init; }

    /// <summary>The parameter's field at fault (<c>min</c>, <c>values</c>, <c>when.optimizer</c>); empty for the parameter itself.</summary>
    public string? Field { get; init; }

    /// <summary>
    /// For example <c>sweep.yaml(7,12): parameter 'training.lr', field 'min': expected min &lt; max, ...</c>; keys outside
    /// the parameters print their <see cref="Path"/>.
    /// </summary>
    public override string ToString()
    {
        var where = Line is null ? File : $"{File ?? "sweep"}({Line},{Column})";
        var what = Parameter is null ? Path : Field is null or "" ? $"parameter '{Parameter}'" : $"parameter '{Parameter}', field '{Field}'";
        return where is null ? $"{what}: {Message}" : $"{where}: {what}: {Message}";
    }
}

/// <summary>A sweep configuration is invalid; <see cref="Errors"/> lists every problem found, with line and column.</summary>
public sealed class SweepConfigException : FormatException
{
    /// <summary>Creates the exception from its problems.</summary>
    public SweepConfigException(IReadOnlyList<SweepConfigError> errors)
        : base("invalid sweep configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
        => Errors = errors;

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<SweepConfigError> Errors { get; }
}
