using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Courseware.Cli.Server;
using Courseware.Registry;
using Courseware.Serving;
using Courseware.Tests.Models;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Server;

/// <summary>
/// The attack list for the tracking and registry server, one test per attack (grow it with every new finding):
/// client-chosen artifact locations and model sources that point outside the server's artifact root (file:, '#',
/// '?', '..', runs:/ climbing out, symbolic links), existence oracles, oversized uploads, paths that reveal the
/// server's folders, open redirects after the token exchange, and the smaller protocol slips (wrong method, missing
/// run_id, DELETE with a query string). Path traversal in artifact paths, XSS and token rules are in
/// <see cref="MlflowApiTests"/> and the UI tests.
/// </summary>
public sealed class ServerAttackTests : IAsyncLifetime
{
    private const string Api = "/api/2.0/mlflow/";
    private LiveServer _server = null!;
    private HttpClient _http = null!;
    private readonly TempFolder _outside = new();

    public async Task InitializeAsync()
    {
        _server = await LiveServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        File.WriteAllText(Path.Combine(_outside.Path, "passwd"), "root:x:0:0:secret");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _outside.Dispose();
    }

    private string ArtifactRoot => new Uri(_server.Store.DefaultArtifactRoot).LocalPath;

    private async Task<(HttpStatusCode Status, JsonObject Body, string Text)> SendAsync(string method, string endpoint, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), endpoint.StartsWith('/') ? endpoint : Api + endpoint);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? [], text);
    }

    private static string S(JsonNode? n) => n!.GetValue<string>();

    private async Task<string> NewRunAsync(string experimentId = "0") =>
        S((await SendAsync("POST", "runs/create", $$"""{"experiment_id": "{{experimentId}}", "start_time": 1}""")).Body["run"]!["info"]!["run_id"]);

    [Fact]
    public async Task Experiment_artifact_locations_outside_the_root_are_refused_and_nothing_outside_is_served()
    {
        var outsideUri = new Uri(_outside.Path).AbsoluteUri;
        var attacks = new[]
        {
            outsideUri + "#", outsideUri + "?x=1", "file:///etc#", "file:///etc?a", outsideUri, _outside.Path, "/etc",
            new Uri(ArtifactRoot).AbsoluteUri + "/../../" + Path.GetFileName(_outside.Path), "runs:/abc/x",
            "mlflow-artifacts:/../../../etc", "file://evil.example/share", "file:///etc\n", new string('a', 5000),
        };
        foreach (var (location, i) in attacks.Select((l, i) => (l, i)))
        {
            var (status, body, text) = await SendAsync("POST", "experiments/create", new JsonObject { ["name"] = $"attack-{i}", ["artifact_location"] = location }.ToJsonString());
            Assert.True(status == HttpStatusCode.BadRequest, $"{location}: {status} {text}");
            Assert.Equal(("INVALID_PARAMETER_VALUE", "artifact_location"), (S(body["error_code"]), S(body["field"])));
            Assert.DoesNotContain(ArtifactRoot, S(body["message"]).Replace(location, ""));
            Assert.Null(await _server.Store.GetExperimentByNameAsync($"attack-{i}"));
        }

        // Inside the root is fine, also as mlflow-artifacts:/, and the run's files are served from there.
        var (ok, created, _) = await SendAsync("POST", "experiments/create",
            new JsonObject { ["name"] = "inside", ["artifact_location"] = "mlflow-artifacts:/teams/nlp" }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, ok);
        var experiment = await _server.Store.GetExperimentAsync(S(created["experiment_id"]));
        Assert.Equal(new Uri(Path.Combine(ArtifactRoot, "teams", "nlp")).AbsoluteUri, experiment.ArtifactLocation);
        var runId = await NewRunAsync(experiment.ExperimentId);
        var run = await _server.Store.GetRunAsync(runId);
        await new LocalArtifactRepository().WriteAsync(run.Info.ArtifactUri, "notes.txt", new MemoryStream("hello"u8.ToArray()));
        using var file = await _http.GetAsync($"/get-artifact?run_id={runId}&path=notes.txt");
        Assert.Equal("hello", await file.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_run_whose_experiment_points_outside_the_root_is_not_served_whoever_created_it()
    {
        // Created through the library (a learner's own store may point anywhere), then served: the server refuses.
        var experimentId = await _server.Store.CreateExperimentAsync("elsewhere", _outside.Path);
        var runId = await NewRunAsync(experimentId);
        var run = await _server.Store.GetRunAsync(runId);
        Directory.CreateDirectory(new Uri(run.Info.ArtifactUri).LocalPath);
        File.WriteAllText(Path.Combine(new Uri(run.Info.ArtifactUri).LocalPath, "passwd"), "root:x:0:0:secret");
        foreach (var endpoint in new[] { $"/get-artifact?run_id={runId}&path=passwd", $"{Api}artifacts/list?run_id={runId}" })
        {
            var (status, body, text) = await SendAsync("GET", endpoint);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("outside this server's artifact root", S(body["message"]));
            Assert.DoesNotContain("secret", text);
            Assert.DoesNotContain(_outside.Path, text);
        }
    }

    [Fact]
    public void The_library_normalises_locations_and_refuses_fragments_queries_and_runs_uris()
    {
        Assert.Equal(new Uri(Path.GetFullPath("mlruns/x")).AbsoluteUri, ArtifactLocations.Normalize("mlruns/x"));
        Assert.Equal("file:///tmp/a", ArtifactLocations.Normalize("file:///tmp/b/../a/"));
        Assert.Equal("s3://bucket/prefix", ArtifactLocations.Normalize("s3://bucket/prefix"));
        foreach (var bad in new[] { "file:///etc#", "file:///etc?x", "/tmp/a#b", "runs:/abc/model", "", " ", "file:///tmp/\u0000x" })
            Assert.Equal("artifact_location", Assert.Throws<TrackingException>(() => ArtifactLocations.Normalize(bad)).Field);
        var e = Assert.Throws<TrackingException>(() => Tracker.OpenStore("file:///tmp/store#evil"));
        Assert.Contains("fragment", e.Message);
    }

    [Fact]
    public async Task Model_sources_outside_the_root_or_missing_or_not_models_get_one_message()
    {
        var runId = await NewRunAsync();
        var run = await _server.Store.GetRunAsync(runId);
        var runFolder = new Uri(run.Info.ArtifactUri).LocalPath;
        Directory.CreateDirectory(Path.Combine(runFolder, "notes"));
        File.WriteAllText(Path.Combine(runFolder, "notes", "readme.txt"), "not a model");
        // A real model outside the root: before the fix it registered with 200, its signature read from the file.
        File.Copy(Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small/model.onnx"), Path.Combine(_outside.Path, "model.onnx"));
        var otherRun = await NewRunAsync();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("POST", "registered-models/create", """{"name": "m"}""")).Status);

        var sources = new[]
        {
            $"runs:/{runId}/../../../../../../{Path.GetFileName(_outside.Path)}", $"runs:/{runId}/../../{otherRun}/artifacts",
            new Uri(Path.Combine(_outside.Path, "model.onnx")).AbsoluteUri, Path.Combine(_outside.Path, "model.onnx"), _outside.Path,
            $"runs:/{runId}/missing", $"runs:/{runId}/notes", "runs:/no-such-run/model", "mlflow-artifacts:/nothing/here",
            "mlflow-artifacts:/../../../etc", new Uri(Path.Combine(ArtifactRoot, "no", "such")).AbsoluteUri, "file:///etc/passwd#",
        };
        var messages = new HashSet<string>();
        foreach (var source in sources)
        {
            var (status, body, text) = await SendAsync("POST", "model-versions/create", new JsonObject { ["name"] = "m", ["source"] = source }.ToJsonString());
            Assert.True(status == HttpStatusCode.BadRequest, $"{source}: {status} {text}");
            Assert.Equal("source", S(body["field"]));
            Assert.DoesNotContain(ArtifactRoot, S(body["message"]).Replace(source, ""));
            messages.Add(S(body["message"]).Replace(source, "<source>"));
        }
        Assert.Single(messages);
        Assert.Empty(await new ModelRegistry(_server.Store).SearchVersionsAsync("m"));
    }

    [Fact]
    public async Task An_mlflow_model_of_another_flavour_registers_as_generic_and_only_serving_refuses_it()
    {
        var runId = await NewRunAsync();
        var folder = Path.Combine(new Uri((await _server.Store.GetRunAsync(runId)).Info.ArtifactUri).LocalPath, "model");
        Directory.CreateDirectory(folder);
        // An MLmodel as mlflow.sklearn.log_model writes it (MLflow 2.9), signature included.
        File.WriteAllText(Path.Combine(folder, "MLmodel"), """
            artifact_path: model
            flavors:
              python_function:
                env:
                  conda: conda.yaml
                loader_module: mlflow.sklearn
                model_path: model.pkl
                python_version: 3.11.7
              sklearn:
                code: null
                pickled_model: model.pkl
                serialization_format: cloudpickle
                sklearn_version: 1.2.1
            mlflow_version: 2.9.2
            model_uuid: 5f2b2a1cbd4a4f7f9d5c1a9a4b1e7c11
            signature:
              inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type": "double", "name": "petal width (cm)", "required": true}]'
              outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
            """);
        File.WriteAllBytes(Path.Combine(folder, "model.pkl"), [0x80, 0x04]);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("POST", "registered-models/create", """{"name": "iris"}""")).Status);
        var (status, body, text) = await SendAsync("POST", "model-versions/create", $$"""{"name": "iris", "source": "runs:/{{runId}}/model", "run_id": "{{runId}}"}""");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal("1", S(body["model_version"]!["version"]));

        var registry = new ModelRegistry(_server.Store);
        var version = await registry.GetVersionAsync("iris", 1);
        Assert.Equal(ModelFlavor.Generic, version.Flavor);
        Assert.Equal("python_function, sklearn", version.Tags[MLflowModel.FlavorsTag]);
        Assert.Equal("(sepal length (cm): double, petal width (cm): double) -> (outputs_0: int64[-1])", version.Signature.ToString());
        Assert.Equal(runId, version.Lineage.RunId);
        await registry.SetAliasAsync("iris", "champion", 1, "first");
        Assert.Equal(1, (await registry.GetVersionByAliasAsync("iris", "champion")).Version);

        var e = await Assert.ThrowsAsync<RegistryException>(() => Predictor.LoadAsync(registry, "models:/iris@champion"));
        Assert.Contains("python_function, sklearn", e.Message);
        Assert.Contains("cannot load", e.Message);
    }

    [Fact]
    public async Task Uploads_over_the_limit_get_413_and_leave_no_file()
    {
        await using var small = await LiveServer.StartAsync(new ServerOptions(Port: 0) { MaxArtifactBytes = 1 << 20 });
        using var http = new HttpClient { BaseAddress = new Uri(small.Url) };
        using (var fits = await http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/ok.bin", new ByteArrayContent(new byte[1 << 20])))
            Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        foreach (var chunked in new[] { false, true })
        {
            // Just past the limit: what the server leaves unread fits in the socket buffers, so the client is never
            // still writing (and cut off with a broken pipe) when the 413 arrives.
            HttpContent content = chunked ? new StreamContent(new GeneratedStream((1 << 20) + (32 << 10))) : new ByteArrayContent(new byte[(1 << 20) + 1]);
            if (chunked) content.Headers.ContentLength = null;
            using var response = await http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/big.bin", content);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("REQUEST_LIMIT_EXCEEDED", S(body["error_code"]));
            Assert.Contains("1,048,576 bytes", S(body["message"]));
        }
        var root = new Uri(small.Store.DefaultArtifactRoot).LocalPath;
        Assert.Equal(["ok.bin"], Directory.EnumerateFiles(root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_200_mb_upload_streams_through_the_server_process_in_bounded_memory()
    {
        using var folder = new TempFolder();
        using var server = TrackingServer.Start(folder.Path, TrackingServerLauncherTests.Cli());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(5) };
        using (var warm = await http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/warm.bin", new StreamContent(new GeneratedStream(4 << 20))))
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        var before = PeakResidentBytes(server.ProcessId);
        const long size = 200L << 20;
        using (var big = await http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/big/weights.bin", new StreamContent(new GeneratedStream(size))))
            Assert.Equal(HttpStatusCode.OK, big.StatusCode);
        var grown = PeakResidentBytes(server.ProcessId) - before;
        Assert.Equal(size, new FileInfo(Path.Combine(folder.Path, "artifacts", "big", "weights.bin")).Length);
        // Buffering the body would add at least its 200 MB; streaming adds a few pooled buffers.
        Assert.True(grown < 64L << 20, $"peak resident memory grew by {grown >> 20} MiB during a 200 MiB upload");
    }

    [Fact]
    public async Task Writing_under_a_file_is_a_400_that_names_no_server_path()
    {
        using (var first = await _http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/a.txt", new ByteArrayContent([1])))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var response = await _http.PutAsync("/api/2.0/mlflow-artifacts/artifacts/a.txt/b.txt", new ByteArrayContent([2]));
        var text = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'a.txt' to be a folder, but it is a file", text);
        Assert.DoesNotContain(_server.Folder, text);
    }

    [Fact]
    public async Task The_token_exchange_redirects_only_to_this_server()
    {
        const string token = "a-token-of-sufficient-length";
        await using var guarded = await LiveServer.StartAsync(new ServerOptions(Port: 0, Token: token));
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        foreach (var path in new[] { "//evil.example/", "/\\evil.example/", "///evil.example/x", "/%2F%2Fevil.example/" })
        {
            using var response = await http.GetAsync(new Uri(guarded.Url + path + "?token=" + token));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            var location = response.Headers.Location!.OriginalString;
            Assert.StartsWith("/", location);
            Assert.False(location.StartsWith("//", StringComparison.Ordinal) || location.StartsWith("/\\", StringComparison.Ordinal), location);
            Assert.DoesNotContain(token, location);
        }
        Assert.Equal("/runs/1", ServerSecurity.LocalTarget(new Microsoft.AspNetCore.Http.PathString("//runs/1")));
    }

    [Fact]
    public async Task Protocol_slips_get_mlflows_answers()
    {
        // A missing run id is reported as run_id (run_uuid is only MLflow's deprecated fallback).
        var (_, missing, _) = await SendAsync("POST", "runs/log-metric", """{"metric": {"key": "a", "value": 1, "timestamp": 1, "step": 0}}""");
        Assert.Equal("run_id", S(missing["field"]));
        Assert.Contains("'run_id'", S(missing["message"]));

        // The wrong method on a known endpoint is 405 with Allow, as MLflow's server answers; unknown paths stay 404.
        using (var get = await _http.GetAsync(Api + "runs/create"))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
            Assert.Equal(["POST"], get.Content.Headers.Allow);
        }
        using (var unknown = await _http.GetAsync(Api + "runs/no-such-endpoint"))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // DELETE with its arguments in the query string (curl's habit) works; a bad body names the method.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("POST", "registered-models/create", """{"name": "gone"}""")).Status);
        var (deleted, _, text) = await SendAsync("DELETE", "registered-models/delete?name=gone");
        Assert.True(deleted == HttpStatusCode.OK, text);
        using var form = new HttpRequestMessage(HttpMethod.Delete, Api + "registered-models/delete") { Content = new StringContent("name=x", Encoding.UTF8, "text/plain") };
        using var refused = await _http.SendAsync(form);
        Assert.Contains("DELETE bodies must be JSON", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public void An_exposed_server_without_a_token_warns_before_it_listens()
    {
        Assert.Contains(new ServerOptions(Host: "0.0.0.0", Insecure: true).Warnings(), w => w.StartsWith("WARNING: --insecure") && w.Contains("anyone"));
        Assert.Empty(new ServerOptions(Host: "127.0.0.1").Warnings());
        Assert.Empty(new ServerOptions(Host: "0.0.0.0", Token: "a-token-of-sufficient-length").Warnings());
    }

    [Fact]
    public async Task The_server_itself_fails_runs_whose_heartbeat_went_stale()
    {
        await using var server = await LiveServer.StartAsync(new ServerOptions(Port: 0)
            { StaleAfter = TimeSpan.FromSeconds(5), StaleCheckInterval = TimeSpan.FromMilliseconds(200) });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        async Task<string> Create() => S(JsonNode.Parse(await (await http.PostAsync(Api + "runs/create",
            new StringContent("""{"experiment_id": "0", "start_time": 1}""", Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())!["run"]!["info"]!["run_id"]);
        var dead = await Create();
        var alive = await Create();
        var silent = await Create(); // an MLflow client never sends heartbeats: such runs are left alone
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var (run, time) in new[] { (dead, now - 60_000), (alive, now + 60_000) })
            using (await http.PostAsync("/api/2.0/courseware/runs/heartbeat", new StringContent($$"""{"run_id": "{{run}}", "time": {{time}}}""", Encoding.UTF8, "application/json"))) { }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await server.Store.GetRunAsync(dead)).Info.Status == RunStatus.Running && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(RunStatus.Failed, (await server.Store.GetRunAsync(dead)).Info.Status);
        Assert.Equal(RunStatus.Running, (await server.Store.GetRunAsync(alive)).Info.Status);
        Assert.Equal(RunStatus.Running, (await server.Store.GetRunAsync(silent)).Info.Status);
    }

    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>A read-only stream of <paramref name="length"/> generated bytes, so the client holds none of them.</summary>
    private sealed class GeneratedStream(long length) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++) buffer[offset + i] = (byte)((_position + i) * 31);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
