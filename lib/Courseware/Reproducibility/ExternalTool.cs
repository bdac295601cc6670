using System.Diagnostics;

namespace Courseware.Reproducibility;

/// <summary>Runs a command-line tool (git, nvidia-smi, dotnet) that may be absent, with a time limit.</summary>
internal static class ExternalTool
{
    /// <summary>The tool's result, or null when it is not on PATH.</summary>
    public static ToolResult? Run(string tool, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var path = Find(tool);
        if (path is null) return null;
        var psi = new ProcessStartInfo(path, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        psi.Environment["LC_ALL"] = "C"; // tool messages in one language, so parsing does not depend on the locale
        using var process = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{tool} {string.Join(' ', arguments)}' did not finish in time.");
        }
        copy.GetAwaiter().GetResult();
        return new ToolResult(process.ExitCode, stdout.ToArray(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>The full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? Find(string tool)
    {
        if (Path.IsPathRooted(tool)) return File.Exists(tool) ? tool : null;
        var names = OperatingSystem.IsWindows() ? new[] { tool + ".exe", tool + ".cmd", tool } : [tool];
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}

/// <summary>Exit code and output of a tool.</summary>
internal sealed record ToolResult(int ExitCode, byte[] StandardOutput, string StandardError)
{
    public string Text => System.Text.Encoding.UTF8.GetString(StandardOutput);
    public bool Succeeded => ExitCode == 0;
}
