using Courseware.Reproducibility;

namespace Courseware.Tests.Reproducibility;

public class PackageVersionCheckTests
{
    private const string Props = """
        <Project>
          <PropertyGroup>
            <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>
            <MlVersion>5.0.1</MlVersion>
          </PropertyGroup>
          <ItemGroup>
            <PackageVersion Include="Microsoft.ML" Version="$(MlVersion)" />
            <PackageVersion Include="YamlDotNet" Version="18.1.0" />
            <PackageVersion Include="Exact" Version="[2.0.0]" />
          </ItemGroup>
        </Project>
        """;

    private static string Project(string references) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <ItemGroup>
        {references}
          </ItemGroup>
        </Project>
        """;

    [Fact]
    public void Pinned_central_versions_pass()
    {
        using var t = new TempFolder();
        t.Write("Directory.Packages.props", Props);
        t.Write("src/App/App.csproj", Project("""    <PackageReference Include="Microsoft.ML" /><PackageReference Include="Exact" />"""));
        t.Write("src/App/obj/ignored.csproj", Project("""<PackageReference Include="X" Version="*" />"""));
        var check = PackageVersionCheck.Run(t.Path);
        Assert.True(check.Passed, check.ToString());
        Assert.Equal(2, check.FilesChecked.Count);
    }

    [Fact]
    public void Floating_central_version_fails_with_package_file_and_line()
    {
        using var t = new TempFolder();
        var props = t.Write("Directory.Packages.props", Props.Replace("18.1.0", "18.*"));
        var check = PackageVersionCheck.Run(t.Path);
        var p = Assert.Single(check.Problems);
        Assert.Equal("YamlDotNet", p.Package);
        Assert.Equal(props, p.File);
        Assert.Equal(8, p.Line);
        Assert.Contains("floats", p.Problem);
        var e = Assert.Throws<InvalidOperationException>(check.ThrowIfFailed);
        Assert.Contains("Directory.Packages.props(8): YamlDotNet", e.Message);
    }

    [Theory]
    [InlineData("[1.0,2.0)", "range")]
    [InlineData("1.0.0-*", "floats")]
    [InlineData("", "no version")]
    [InlineData("latest", "not a NuGet version")]
    public void Ranges_and_missing_versions_fail(string version, string expected)
    {
        using var t = new TempFolder();
        t.Write("Directory.Packages.props", Props.Replace("Version=\"18.1.0\"", $"Version=\"{version}\""));
        Assert.Contains(expected, Assert.Single(PackageVersionCheck.Run(t.Path).Problems).Problem);
    }

    [Fact]
    public void Version_attribute_bypassing_central_management_fails()
    {
        using var t = new TempFolder();
        t.Write("Directory.Packages.props", Props);
        var proj = t.Write("App/App.csproj", Project("""
                <PackageReference Include="YamlDotNet" Version="18.1.0" />
                <PackageReference Include="Microsoft.ML" VersionOverride="4.0.0" />
                <PackageReference Include="Unlisted" />
            """));
        var problems = PackageVersionCheck.Run(t.Path).Problems;
        Assert.Equal(["YamlDotNet", "Microsoft.ML", "Unlisted"], problems.Select(p => p.Package));
        Assert.All(problems, p => Assert.Equal(proj, p.File));
        Assert.Equal([3, 4, 5], problems.Select(p => p.Line));
        Assert.Contains("bypasses", problems[0].Problem);
        Assert.Contains("VersionOverride", problems[1].Problem);
        Assert.Contains("no PackageVersion", problems[2].Problem);
    }

    [Fact]
    public void Without_central_management_each_reference_needs_a_pinned_version()
    {
        using var t = new TempFolder();
        var proj = t.Write("App/App.csproj", Project("""
                <PackageReference Include="A" Version="1.2.3" />
                <PackageReference Include="B" Version="1.*" />
                <PackageReference Include="C" />
            """));
        var problems = PackageVersionCheck.Run(t.Path).Problems;
        Assert.Equal(["B", "C"], problems.Select(p => p.Package));
    }

    [Fact]
    public void Stale_or_floating_lock_file_fails()
    {
        using var t = new TempFolder();
        t.Write("Directory.Packages.props", Props);
        t.Write("App/App.csproj", Project("""<PackageReference Include="YamlDotNet" />"""));
        var lockFile = t.Write("App/packages.lock.json", """
            {
              "version": 2,
              "dependencies": {
                "net10.0": {
                  "YamlDotNet": { "type": "Direct", "requested": "[18.1.0, )", "resolved": "17.0.0", "contentHash": "x" },
                  "Other": { "type": "Direct", "requested": "[1.*, )", "resolved": "1.4.0", "contentHash": "y" }
                }
              }
            }
            """);
        var problems = PackageVersionCheck.Run(t.Path).Problems;
        Assert.Equal(["YamlDotNet", "Other"], problems.Select(p => p.Package));
        Assert.All(problems, p => Assert.Equal(lockFile, p.File));
        Assert.Equal(5, problems[0].Line);
        Assert.Contains("stale", problems[0].Problem);
        Assert.Contains("floating", problems[1].Problem);
    }

    [Fact]
    public void Undefined_property_and_bad_xml_are_named()
    {
        using var t = new TempFolder();
        t.Write("Directory.Packages.props", Props.Replace("$(MlVersion)", "$(Missing)"));
        Assert.Contains("$(Missing)", Assert.Single(PackageVersionCheck.Run(t.Path).Problems).Problem);
        t.Write("Bad/Bad.csproj", "<Project><ItemGroup></Project>");
        var e = Assert.Throws<FormatException>(() => PackageVersionCheck.Run(t.Path));
        Assert.Contains("Bad.csproj(1,", e.Message);
    }

    [Fact]
    public void This_repository_pins_every_version()
    {
        var check = PackageVersionCheck.Run(RepoRoot());
        Assert.True(check.Passed, check.ToString());
        Assert.Contains(check.FilesChecked, f => f.EndsWith("Directory.Packages.props"));
    }

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Courseware.sln"))) dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("Courseware.sln not found above the test binaries.");
        return dir;
    }
}
