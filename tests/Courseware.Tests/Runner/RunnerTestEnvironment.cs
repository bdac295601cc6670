using System.Diagnostics;
using System.Text.Json.Nodes;
using Courseware.Cli.Runner;

namespace Courseware.Tests.Runner;

/// <summary>Paths and helpers shared by the runner tests: fixture notebooks, a scratch folder, external validators.</summary>
internal static class RunnerTestEnvironment
{
    /// <summary>The repository root (the folder holding Courseware.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// The fixture notebooks, copied next to the test assembly. A `build` link beside them points at the repo's
    /// build/ so that lab/library.ipynb loads the library with the labs' own line, #r "../build/Courseware/Courseware.dll".
    /// </summary>
    public static string Fixtures { get; } = PrepareFixtures();

    /// <summary>A fresh scratch folder for one test's outputs.</summary>
    public static string NewOutputFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "courseware-runner-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string Fixture(string name) => Path.Combine(Fixtures, name);

    /// <summary>Runs the independent nbformat validator (Debian's python3-nbformat); returns its error text, or null when valid.</summary>
    public static string? NbformatErrors(string notebookPath)
    {
        var (code, output) = Run("/usr/bin/python3", ["-c", "import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], 4))", notebookPath], RepoRoot, TimeSpan.FromMinutes(1));
        return code == 0 ? null : output;
    }

    /// <summary>Runs a process to completion; returns its exit code and stdout+stderr.</summary>
    public static (int ExitCode, string Output) Run(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs the `courseware` command (its apphost beside the test assembly, under its assembly name) with stdout redirected.</summary>
    public static (int ExitCode, string Output) RunCourseware(IEnumerable<string> args, string workingDirectory) =>
        Run(Path.Combine(AppContext.BaseDirectory, "Courseware.Cli"), args, workingDirectory, TimeSpan.FromMinutes(3));

    /// <summary>A copy of a fixture notebook in <paramref name="folder"/> (tests that write next to, or over, their inputs).</summary>
    public static string CopyFixture(string name, string folder)
    {
        Directory.CreateDirectory(folder);
        var copy = Path.Combine(folder, Path.GetFileName(name));
        File.Copy(Fixture(name), copy, overwrite: true);
        return copy;
    }

    public static JsonObject ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    public static JsonObject CellById(JsonObject notebook, string id) =>
        notebook["cells"]!.AsArray().OfType<JsonObject>().Single(c => (string?)c["id"] == id);

    public static CellResult Cell(NotebookResult result, string id) => result.Cells.Single(c => c.Id == id);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Courseware.sln"))) return dir.FullName;
        throw new InvalidOperationException("Courseware.sln not found above " + AppContext.BaseDirectory);
    }

    private static string PrepareFixtures()
    {
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "notebooks");
        var link = Path.Combine(fixtures, "build");
        if (!Directory.Exists(link))
        {
            try { Directory.CreateSymbolicLink(link, Path.Combine(RepoRoot, "build")); }
            catch (IOException) when (Directory.Exists(link)) { } // another test created it first
        }
        return fixtures;
    }
}
