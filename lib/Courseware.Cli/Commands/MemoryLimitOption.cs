using System.CommandLine;

namespace Courseware.Cli.Commands;

/// <summary>`--memory-mb` of grade and autograde: the most managed memory a submission's kernel may hold.</summary>
internal static class MemoryLimitOption
{
    public static Option<int?> Create()
    {
        var option = new Option<int?>("--memory-mb")
        {
            Description = "Most managed memory (MiB) a submission's kernel may hold; a cell allocating more fails with OutOfMemoryException (default: no limit)",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 64)
                result.AddError($"--memory-mb: '{result.Tokens.LastOrDefault()?.Value}' is not valid: expected at least 64 (the kernel itself needs about that much)");
        });
        return option;
    }

    /// <summary>The option's value in bytes, or null for no limit.</summary>
    public static long? ToBytes(int? megabytes) => megabytes is { } mb ? mb * (1L << 20) : null;
}
