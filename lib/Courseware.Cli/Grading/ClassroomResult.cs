using System.Text.Json;
using System.Text.Json.Nodes;

namespace Courseware.Cli.Grading;

/// <summary>
/// A grade report in the shape GitHub Classroom's autograding runners hand to <c>autograding-grading-reporter</c>
/// (base64 of it in the step output <c>result</c>, read from env <c>&lt;STEP ID&gt;_RESULTS</c>):
/// <c>{"version":1,"status":"pass|fail|error","max_score":N,"tests":[{"name","status","score","message","test_code","filename","line_no","duration"}]}</c>.
/// One test per exercise; the reporter posts Σ score / Σ max_score and fails the job on any fail or error.
/// </summary>
public static class ClassroomResult
{
    /// <summary>The result JSON for one graded notebook.</summary>
    public static string Json(GradeReport report)
    {
        var file = Path.GetFileName(report.Notebook);
        var tests = new JsonArray();
        foreach (var e in report.Exercises)
            tests.Add(new JsonObject
            {
                ["name"] = $"{e.Exercise}: {e.Title}",
                ["status"] = e.Points >= e.MaxPoints ? "pass" : "fail",
                ["score"] = e.Points,
                ["message"] = string.Join("\n", e.Failures),
                ["test_code"] = $"courseware grade {file}",
                ["filename"] = file,
                ["line_no"] = 0,
                ["duration"] = 0,
            });
        var status = report.Run.Error is not null ? "error" : report.Exercises.All(e => e.Points >= e.MaxPoints) ? "pass" : "fail";
        return new JsonObject
        {
            ["version"] = 1,
            ["status"] = status,
            ["max_score"] = report.MaxPoints,
            ["tests"] = tests,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) + "\n";
    }
}
