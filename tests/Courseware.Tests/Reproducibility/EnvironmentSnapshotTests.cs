using Courseware.Notebooks;
using System.Diagnostics;
using Courseware.Reproducibility;

namespace Courseware.Tests.Reproducibility;

public class EnvironmentSnapshotTests
{
    private static void Git(string repo, params string[] args)
    {
        var psi = new ProcessStartInfo("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", .. args])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }

    private static TempFolder Repo()
    {
        var t = new TempFolder();
        t.Write("train.cs", "class A {}\n");
        t.Write(".gitignore", "bin/\n");
        Git(t.Path, "init", "-q");
        Git(t.Path, "add", ".");
        Git(t.Path, "commit", "-qm", "first");
        return t;
    }

    private static EnvironmentSnapshot Capture(string repo) => EnvironmentSnapshot.Capture(new EnvironmentCaptureOptions { RepositoryPath = repo });

    [Fact]
    public void Captures_runtime_os_cpu_packages_and_git()
    {
        using var repo = Repo();
        var env = Capture(repo.Path);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, env.Runtime);
        Assert.StartsWith("10.", env.Sdk);
        Assert.Equal(Environment.ProcessorCount, env.LogicalCores);
        Assert.False(string.IsNullOrWhiteSpace(env.Cpu));
        Assert.Contains(env.Packages, p => p.Name == "xunit.core" && p.Version == "2.9.3");
        Assert.Equal(40, env.Git!.Commit.Length);
        Assert.False(env.Git.Dirty);
        // This machine has no NVIDIA driver; the snapshot says so rather than leaving the field empty.
        if (ExternalTool.Find("nvidia-smi") is null) Assert.Equal("none found: nvidia-smi is not on PATH", env.GpuStatus);
    }

    [Fact]
    public void Uncommitted_hash_is_stable_and_covers_edits_and_untracked_files_but_not_ignored_ones()
    {
        using var repo = Repo();
        repo.Write("bin/out.dll", "ignored");
        Assert.Null(EnvironmentSnapshot.HashUncommittedChanges(repo.Path));

        repo.Write("train.cs", "class A { int x; }\n");
        var edited = EnvironmentSnapshot.HashUncommittedChanges(repo.Path);
        Assert.Matches("^[0-9a-f]{64}$", edited!);
        Assert.Equal(edited, EnvironmentSnapshot.HashUncommittedChanges(repo.Path));

        repo.Write("notes.txt", "draft");
        var withUntracked = EnvironmentSnapshot.HashUncommittedChanges(repo.Path);
        Assert.NotEqual(edited, withUntracked);
        repo.Write("notes.txt", "draft 2");
        Assert.NotEqual(withUntracked, EnvironmentSnapshot.HashUncommittedChanges(repo.Path));

        var env = Capture(Path.Combine(repo.Path, "bin")); // any folder inside the work tree
        Assert.True(env.Git!.Dirty);
        Assert.Equal(["train.cs", "notes.txt"], env.Git.ChangedPaths);
    }

    [Fact]
    public void Outside_a_repository_git_is_reported_missing()
    {
        using var t = new TempFolder();
        var env = Capture(t.Path);
        Assert.Null(env.Git);
        Assert.Contains("not captured", env.GitStatus);
    }

    [Fact]
    public void Variables_are_allow_listed_and_secrets_withheld()
    {
        Environment.SetEnvironmentVariable("CW_TEST_THREADS", "3");
        Environment.SetEnvironmentVariable("CW_TEST_API_TOKEN", "s3cr3t");
        var env = EnvironmentSnapshot.Capture(new EnvironmentCaptureOptions { RunTools = false, Variables = ["CW_TEST_THREADS", "CW_TEST_API_TOKEN", "CW_TEST_UNSET"] });
        Assert.Equal(new Dictionary<string, string> { ["CW_TEST_THREADS"] = "3" }, env.Variables);
        Assert.Equal(["CW_TEST_API_TOKEN"], env.WithheldVariables);
        Assert.DoesNotContain("s3cr3t", env.ToJson());
        Assert.DoesNotContain("s3cr3t", HtmlRenderers.Render(env));
        Assert.DoesNotContain(Environment.GetEnvironmentVariables().Keys.Cast<string>(), n => n == "PATH" && env.Variables.ContainsKey(n));
    }

    [Fact]
    public void Json_round_trips_and_differences_are_listed()
    {
        using var repo = Repo();
        var env = Capture(repo.Path);
        var back = EnvironmentSnapshot.FromJson(env.ToJson());
        Assert.Empty(env.DifferencesFrom(back));
        Assert.Equal(env.Packages, back.Packages);
        var other = EnvironmentSnapshot.FromJson(env.ToJson().Replace("\"2.9.3\"", "\"2.9.4\""));
        Assert.Contains("package xunit.core: 2.9.3 → 2.9.4", other.DifferencesFrom(env).Select(d => d).Concat(env.DifferencesFrom(other)));
    }

    [Fact]
    public void Fingerprint_follows_what_can_change_a_result_and_ignores_the_capture_time()
    {
        using var repo = Repo();
        var env = Capture(repo.Path);
        Assert.Matches("^[0-9a-f]{64}$", env.Fingerprint);
        var later = EnvironmentSnapshot.FromJson(env.ToJson());
        Assert.Equal(env.Fingerprint, new EnvironmentSnapshot
        {
            CapturedAt = env.CapturedAt.AddDays(1), Runtime = later.Runtime, Sdk = later.Sdk, OperatingSystem = later.OperatingSystem,
            RuntimeIdentifier = later.RuntimeIdentifier, Cpu = later.Cpu, LogicalCores = later.LogicalCores, Gpus = later.Gpus, GpuStatus = "another status",
            Packages = later.Packages, Git = later.Git, Variables = later.Variables,
        }.Fingerprint);
        // The JSON carries the old fingerprint; a loaded snapshot recomputes it from its fields.
        Assert.NotEqual(env.Fingerprint, EnvironmentSnapshot.FromJson(env.ToJson().Replace("\"2.9.3\"", "\"2.9.4\"")).Fingerprint);
        Assert.NotEqual(env.Fingerprint, EnvironmentSnapshot.FromJson(env.ToJson().Replace(env.Git!.Commit, new string('0', 40))).Fingerprint);
        Assert.NotEqual(env.Fingerprint, EnvironmentSnapshot.FromJson(env.ToJson().Replace($"\"logical_cores\": {env.LogicalCores}", $"\"logical_cores\": {env.LogicalCores + 1}")).Fingerprint);
    }

    [Fact]
    public void Nvidia_smi_csv_is_parsed_and_bad_lines_named()
    {
        var gpus = EnvironmentSnapshot.ParseNvidiaSmi("NVIDIA H100 80GB HBM3, 550.54.15, 81559\nNVIDIA A100-SXM4-40GB, 550.54.15, 40960\n");
        Assert.Equal(new GpuInfo("NVIDIA H100 80GB HBM3", "550.54.15", "81559"), gpus[0]);
        Assert.Equal(2, gpus.Count);
        Assert.Contains("'oops'", Assert.Throws<FormatException>(() => EnvironmentSnapshot.ParseNvidiaSmi("oops")).Message);
    }

    [Fact]
    public void Packages_are_read_from_assets_and_lock_files()
    {
        using var t = new TempFolder();
        var assets = t.Write("project.assets.json", """{"version":3,"libraries":{"YamlDotNet/18.1.0":{"type":"package","sha512":"abc"},"App/1.0.0":{"type":"project"}}}""");
        Assert.Equal([new PackageInfo("YamlDotNet", "18.1.0", "abc")], EnvironmentSnapshot.ReadPackages(assets));
        var lockFile = t.Write("packages.lock.json", """{"version":2,"dependencies":{"net10.0":{"B":{"type":"Transitive","resolved":"2.0.0","contentHash":"h"},"A":{"type":"Direct","requested":"[1.0.0, )","resolved":"1.0.0","contentHash":"g"}}}}""");
        Assert.Equal(["A", "B"], EnvironmentSnapshot.ReadPackages(lockFile).Select(p => p.Name));
        var bad = t.Write("bad.json", """{"x":1}""");
        Assert.Contains("bad.json", Assert.Throws<FormatException>(() => EnvironmentSnapshot.ReadPackages(bad)).Message);
    }
}
