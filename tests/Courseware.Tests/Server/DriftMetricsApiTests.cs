using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Courseware.Cli.Server;
using Courseware.Drift;
using Courseware.Tests.Drift;
using Courseware.Tests.Tracking;

namespace Courseware.Tests.Server;

/// <summary>
/// GET /metrics on the tracking server (Kestrel in-process on a free port): Prometheus text format 0.0.4 with its
/// Content-Type, gauges equal to numpy's PSI (Drift/reference/make_reference.py), the token rule, the JSON status
/// endpoint, and the CLI refusing a bad monitoring file with its name, line and field.
/// </summary>
public sealed class DriftMetricsApiTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string WriteMonitors(string text)
    {
        var path = Path.Combine(_folder.Path, "monitors.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    private string WeatherMonitors() => WriteMonitors($$"""
        monitors:
          - name: "seattle \"weather\""
            reference: { path: "{{DriftReportTests.Dataset("seattle-weather.csv")}}", to: 2013-01-01 }
            current: { path: "{{DriftReportTests.Dataset("seattle-weather.csv")}}", from: 2013-01-01, to: 2013-08-01 }
            time_column: date
            window: month
            columns: [temp_max, wind, weather]
        """);

    [Fact]
    public async Task Metrics_are_served_in_the_text_format_with_its_content_type()
    {
        var exporter = await DriftExporter.LoadAsync(WeatherMonitors());
        await using var server = await LiveServer.StartAsync(new ServerOptions(Port: 0) { Monitors = exporter });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var families = PrometheusTextParser.Parse(await response.Content.ReadAsStringAsync());
        // The monitor's name carries quotes: escaped on the wire, read back intact.
        var monitor = "seattle \"weather\"";
        foreach (var column in new[] { "temp_max", "wind", "weather" })
            DriftStatsTests.Close(DriftStatsTests.Scipy[$"seattle.2013-07.{column}.psi"],
                families["courseware_drift_psi"].Single(("monitor", monitor), ("feature", column)).Value, 1e-9, column);
        Assert.Equal(1, families["courseware_drift_monitor_up"].Single(("monitor", monitor)).Value);
        Assert.All(families.Values, f => Assert.Equal("gauge", f.Type));

        var (status, body) = await GetJsonAsync(http, "/api/2.0/courseware/monitors");
        Assert.Equal(HttpStatusCode.OK, status);
        var m = body["monitors"]![0]!;
        Assert.Equal((monitor, true, "2013-07", 7), (m["name"]!.GetValue<string>(), m["up"]!.GetValue<bool>(), m["latest_window"]!.GetValue<string>(), m["windows"]!.GetValue<int>()));
        Assert.Contains("temp_max", m["drifted_columns"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public async Task Without_monitors_metrics_still_answer_and_a_token_guards_them()
    {
        const string token = "0123456789abcdef0123";
        await using var server = await LiveServer.StartAsync(new ServerOptions(Port: 0, Token: token));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using (var refused = await http.GetAsync("/metrics"))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var families = PrometheusTextParser.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(0, families["courseware_drift_monitors"].Samples.Single().Value);
        Assert.Single(families);
    }

    [Fact]
    public async Task A_monitor_whose_data_breaks_is_down_and_says_why()
    {
        var reference = Path.Combine(_folder.Path, "ref.csv");
        var current = Path.Combine(_folder.Path, "cur.csv");
        File.WriteAllText(reference, "x\n1\n2\n3\n");
        File.WriteAllText(current, "x\n1\n2\n4\n");
        var exporter = await DriftExporter.LoadAsync(WriteMonitors("monitors:\n  - name: tiny\n    reference: ref.csv\n    current: cur.csv\n"));
        await using var server = await LiveServer.StartAsync(new ServerOptions(Port: 0) { Monitors = exporter });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        File.Delete(current);

        var families = PrometheusTextParser.Parse(await http.GetStringAsync("/metrics"));
        Assert.Equal(0, families["courseware_drift_monitor_up"].Single(("monitor", "tiny")).Value);
        Assert.False(families.ContainsKey("courseware_drift_psi"));
        var (_, body) = await GetJsonAsync(http, "/api/2.0/courseware/monitors");
        var error = body["monitors"]![0]!["error"]!.GetValue<string>();
        Assert.Contains("monitors.yaml line 4, column 14: monitors[0].current", error);
        Assert.Contains("cur.csv' does not exist", error);
    }

    [Fact]
    public async Task The_cli_refuses_a_bad_monitoring_file_naming_it()
    {
        var yaml = WriteMonitors("monitors:\n  - name: a\n    reference: r.csv\n    current: c.csv\n    window: week\n");
        var info = new ProcessStartInfo(TrackingServerLauncherTests.Cli()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "server", "--store", _folder.Path, "--port", "0", "--monitors", yaml }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("monitors.yaml line 5, column 13: monitors[0].window: 'week' windows need a 'time_column'", await stderr);
    }

    private static async Task<(HttpStatusCode, JsonObject)> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
