namespace Courseware.Tests.Models;

/// <summary>Finds files committed in the repository from a test's bin folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Courseware.sln above {AppContext.BaseDirectory}.");
    }
}
