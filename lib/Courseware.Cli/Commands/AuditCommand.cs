using System.CommandLine;
using Courseware.Reproducibility;
using Courseware.Tracking;

namespace Courseware.Cli.Commands;

/// <summary>
/// <c>courseware audit env|packages|data|checkpoint|report</c>: the reproducibility checks of Courseware.Reproducibility
/// from a shell or a CI job. Exit code 1 means the check found a problem; 2 means it could not run.
/// </summary>
internal static class AuditCommand
{
    public static Command Create() => new("audit", "Reproducibility checks: environment, package pins, data hashes, checkpoints, the report")
    {
        Environment(), Packages(), Data(), Checkpoint(), Report(),
    };

    private static Command Environment()
    {
        var output = new Option<string?>("--out", "-o") { Description = "Also save the snapshot as JSON to this file" };
        var repo = new Option<string?>("--repo") { Description = "Folder inside the git repository to record (default: current directory)" };
        var command = new Command("env", "Print the environment snapshot (runtime, SDK, OS, CPU, GPU, packages, git state, variables)") { output, repo };
        command.SetAction(parse =>
        {
            var snapshot = EnvironmentSnapshot.Capture(new EnvironmentCaptureOptions { RepositoryPath = parse.GetValue(repo) });
            Console.WriteLine(snapshot);
            if (parse.GetValue(output) is { } path)
            {
                snapshot.Save(path);
                Console.WriteLine($"Saved {Path.GetFullPath(path)}");
            }
            return 0;
        });
        return command;
    }

    private static Command Packages()
    {
        var root = new Argument<string>("root") { Description = "Repository or project folder to check", DefaultValueFactory = _ => "." };
        var command = new Command("packages", "Check that every NuGet package version is pinned; exit 1 on floating versions or ranges") { root };
        command.SetAction(parse =>
        {
            var check = PackageVersionCheck.Run(parse.GetValue(root)!);
            (check.Passed ? Console.Out : Console.Error).WriteLine(check);
            return check.Passed ? 0 : 1;
        });
        return command;
    }

    private static Command Data()
    {
        var data = new Argument<string>("path") { Description = "Data file or folder" };
        var manifest = new Option<string?>("--manifest", "-m") { Description = "Manifest file (default: <path>.manifest.json beside the data)" };
        var update = new Option<bool>("--update") { Description = "Rewrite the manifest from the data on disk instead of verifying it" };
        var command = new Command("data", "Write a DVC-style md5 manifest of a data file or folder, or verify the data against an existing one (exit 1 when it changed)") { data, manifest, update };
        command.SetAction(async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(data)!);
            var manifestPath = parse.GetValue(manifest) ?? path.TrimEnd(Path.DirectorySeparatorChar) + ".manifest.json";
            if (!File.Exists(manifestPath) || parse.GetValue(update))
            {
                var created = await DataManifest.CreateAsync(path, ct);
                created.Save(manifestPath);
                Console.WriteLine($"{created}{System.Environment.NewLine}Manifest written to {Path.GetFullPath(manifestPath)}");
                return 0;
            }
            var verification = await (await DataManifest.LoadAsync(manifestPath, ct)).VerifyAsync(path, ct);
            (verification.Matches ? Console.Out : Console.Error).WriteLine(verification);
            return verification.Matches ? 0 : 1;
        });
        return command;
    }

    private static Command Checkpoint()
    {
        var folder = new Argument<string>("folder") { Description = "Checkpoint folder written by TrainingCheckpoint.Save" };
        var command = new Command("checkpoint", "Verify a training checkpoint's file hashes and print what it holds (exit 1 when a file changed or is missing)") { folder };
        command.SetAction(parse =>
        {
            try
            {
                Console.WriteLine(TrainingCheckpoint.Load(parse.GetValue(folder)!));
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        });
        return command;
    }

    private static Command Report()
    {
        var title = new Option<string>("--title") { Description = "The report's title", DefaultValueFactory = _ => "Reproducibility report" };
        var root = new Option<string>("--root") { Description = "Repository to record (git state) and check for floating package versions", DefaultValueFactory = _ => "." };
        var data = new Option<string[]>("--data", "-d") { Description = "Data file or folder to verify against its manifest (<path>.manifest.json, written by `courseware audit data`); repeatable", AllowMultipleArgumentsPerToken = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Training checkpoint whose seeds, configuration, command and data hashes the report records" };
        var output = new Option<string>("--out", "-o") { Description = "Folder for reproducibility.html and reproducibility.md", DefaultValueFactory = _ => "." };
        var location = new TrackingLocationOptions("Also log the report to a new run in this tracking store", optional: true);
        var experiment = new Option<string>("--experiment") { Description = "Experiment of that run", DefaultValueFactory = _ => "reproducibility" };
        var runName = new Option<string?>("--run-name") { Description = "Name of that run (default: generated)" };
        var command = new Command("report", "Write the reproducibility report (environment, package pins, data hashes, checkpoint) and optionally log it to a tracking run; exit 1 when it has failures")
        {
            title, root, data, checkpoint, output, experiment, runName,
        };
        location.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            ReproducibilityReport report;
            try
            {
                report = await ReproducibilityReport.CollectAsync(parse.GetValue(title)!, parse.GetValue(root)!, parse.GetValue(data) ?? [], parse.GetValue(checkpoint), ct);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
            var outFolder = parse.GetValue(output)!;
            Directory.CreateDirectory(outFolder);
            foreach (var file in report.Save(outFolder)) Console.WriteLine($"Wrote {Path.GetFullPath(file)}");
            if (location.IsGiven(parse))
            {
                try
                {
                    await using var tracker = Tracker.Open(location.Get(parse));
                    using var run = tracker.StartRun(parse.GetValue(experiment)!, parse.GetValue(runName));
                    try { report.LogTo(run); }
                    catch (Exception e) when (run.Fail(e)) { }
                    Console.WriteLine($"Logged to run {run.RunId} in experiment '{parse.GetValue(experiment)}'");
                }
                catch (TrackingException e)
                {
                    await Console.Error.WriteLineAsync($"error ({e.ErrorCode}): {e.Message}");
                    return 2;
                }
            }
            foreach (var finding in report.Findings.Where(f => f.Severity != FindingSeverity.Pass))
                (finding.Severity == FindingSeverity.Failure ? Console.Error : Console.Out).WriteLine(finding);
            Console.WriteLine(report);
            return report.Findings.Any(f => f.Severity == FindingSeverity.Failure) ? 1 : 0;
        });
        return command;
    }
}
