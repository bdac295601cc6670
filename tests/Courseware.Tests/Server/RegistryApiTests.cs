using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Courseware.Registry;
using Courseware.Tests.Models;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

namespace Courseware.Tests.Server;

/// <summary>
/// The registry endpoints as an MLflow client sees them: raw requests with MLflow 2.x paths, methods and JSON
/// (mlflow/protos/model_registry.proto: versions as strings, aliases as {alias, version}, tags as {key, value}),
/// error codes with their statuses, and registration by an MLflow client that sends only a <c>runs:/</c> source.
/// </summary>
public sealed class RegistryApiTests : IAsyncLifetime
{
    private const string Api = "/api/2.0/mlflow/";
    private LiveServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await LiveServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_server.Url) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(string method, string endpoint, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), Api + endpoint);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static string S(JsonNode? n) => n!.GetValue<string>();

    [Fact]
    public async Task Registered_models_versions_aliases_and_tags_round_trip_in_mlflow_shapes()
    {
        var (status, created) = await SendAsync("POST", "registered-models/create",
            """{"name": "penguins", "description": "species classifier", "tags": [{"key": "team", "value": "birds"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var model = created["registered_model"]!.AsObject();
        Assert.Equal(("penguins", "species classifier", "team", "birds"), (S(model["name"]), S(model["description"]), S(model["tags"]![0]!["key"]), S(model["tags"]![0]!["value"])));
        Assert.True(model["creation_timestamp"]!.GetValue<long>() > 0);

        var file = Path.Combine(_server.Folder, "m.onnx");
        File.WriteAllText(file, "weights");
        var signature = new ModelSignature([new TensorSpec("x", "float32", [-1, 4])], [new TensorSpec("y", "float32", [-1, 3])]);
        var registry = new ModelRegistry(_server.Store, "tester");
        await registry.RegisterAsync("penguins", file, ModelFlavor.Onnx, signature);
        await registry.RegisterAsync("penguins", file, ModelFlavor.Onnx, signature);

        var (_, v2) = await SendAsync("GET", "model-versions/get?name=penguins&version=2");
        var version = v2["model_version"]!.AsObject();
        Assert.Equal(("penguins", "2", "READY", "None", new Uri(file).AbsoluteUri), (S(version["name"]), S(version["version"]), S(version["status"]), S(version["current_stage"]), S(version["source"])));
        Assert.Equal("Onnx", S(version["courseware"]!["flavor"]));

        Assert.Equal(HttpStatusCode.OK, (await SendAsync("POST", "registered-models/alias", """{"name": "penguins", "alias": "champion", "version": "2"}""")).Status);
        var (_, byAlias) = await SendAsync("GET", "registered-models/alias?name=penguins&alias=champion");
        Assert.Equal(("2", "champion"), (S(byAlias["model_version"]!["version"]), S(byAlias["model_version"]!["aliases"]![0])));
        var (_, got) = await SendAsync("GET", "registered-models/get?name=penguins");
        Assert.Equal("""[{"alias":"champion","version":"2"}]""", got["registered_model"]!["aliases"]!.ToJsonString());
        // latest_versions: the newest version per stage; both are in stage None.
        Assert.Equal(["2"], got["registered_model"]!["latest_versions"]!.AsArray().Select(v => S(v!["version"])));

        Assert.Equal(HttpStatusCode.OK, (await SendAsync("PATCH", "model-versions/update", """{"name": "penguins", "version": "1", "description": "baseline"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("POST", "model-versions/set-tag", """{"name": "penguins", "version": "1", "key": "validation", "value": "ok"}""")).Status);
        var (_, v1) = await SendAsync("GET", "model-versions/get?name=penguins&version=1");
        Assert.Equal(("baseline", "validation", "ok"), (S(v1["model_version"]!["description"]), S(v1["model_version"]!["tags"]![0]!["key"]), S(v1["model_version"]!["tags"]![0]!["value"])));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("DELETE", "model-versions/delete-tag", """{"name": "penguins", "version": "1", "key": "validation"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("DELETE", "registered-models/alias", """{"name": "penguins", "alias": "champion"}""")).Status);

        var (_, updated) = await SendAsync("PATCH", "registered-models/update", """{"name": "penguins", "description": "v2"}""");
        Assert.Equal("v2", S(updated["registered_model"]!["description"]));
        var (_, staged) = await SendAsync("POST", "model-versions/transition-stage", """{"name": "penguins", "version": "1", "stage": "production", "archive_existing_versions": false}""");
        Assert.Equal("Production", S(staged["model_version"]!["current_stage"]));
        var (_, latest) = await SendAsync("POST", "registered-models/get-latest-versions", """{"name": "penguins", "stages": ["Production"]}""");
        Assert.Equal(["1"], latest["model_versions"]!.AsArray().Select(v => S(v!["version"])));
        var (_, uri) = await SendAsync("GET", "model-versions/get-download-uri?name=penguins&version=1");
        Assert.Equal(new Uri(file).AbsoluteUri, S(uri["artifact_uri"]));

        var (_, page) = await SendAsync("GET", "model-versions/search?filter=" + Uri.EscapeDataString("name='penguins'") + "&max_results=1&order_by=version_number%20DESC");
        Assert.Equal(["2"], page["model_versions"]!.AsArray().Select(v => S(v!["version"])));
        var (_, next) = await SendAsync("GET", "model-versions/search?filter=" + Uri.EscapeDataString("name='penguins'") + "&max_results=1&order_by=version_number%20DESC&page_token=" + Uri.EscapeDataString(S(page["next_page_token"])));
        Assert.Equal(["1"], next["model_versions"]!.AsArray().Select(v => S(v!["version"])));
        Assert.Null(next["next_page_token"]);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync("DELETE", "model-versions/delete", """{"name": "penguins", "version": "2"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("DELETE", "registered-models/delete", """{"name": "penguins"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync("GET", "registered-models/get?name=penguins")).Status);
    }

    [Theory]
    [InlineData("POST", "registered-models/create", """{"name": "a/b"}""", 400, "INVALID_PARAMETER_VALUE")]
    [InlineData("GET", "registered-models/get?name=nope", null, 404, "RESOURCE_DOES_NOT_EXIST")]
    [InlineData("GET", "model-versions/get?name=m&version=9", null, 404, "RESOURCE_DOES_NOT_EXIST")]
    [InlineData("GET", "model-versions/get?name=m&version=x", null, 400, "INVALID_PARAMETER_VALUE")]
    [InlineData("POST", "registered-models/create", """{"name": "m"}""", 400, "RESOURCE_ALREADY_EXISTS")]
    [InlineData("POST", "registered-models/alias", """{"name": "m", "alias": "latest", "version": "1"}""", 400, "INVALID_PARAMETER_VALUE")]
    [InlineData("GET", "registered-models/alias?name=m&alias=champion", null, 404, "RESOURCE_DOES_NOT_EXIST")]
    [InlineData("GET", "registered-models/search?filter=name%20%3D%20m", null, 400, "INVALID_PARAMETER_VALUE")]
    [InlineData("GET", "registered-models/search?max_results=1001", null, 400, "INVALID_PARAMETER_VALUE")]
    [InlineData("POST", "model-versions/transition-stage", """{"name": "m", "version": "1", "stage": "Prod"}""", 400, "INVALID_PARAMETER_VALUE")]
    public async Task Errors_carry_mlflow_codes_and_statuses(string method, string endpoint, string? body, int status, string code)
    {
        await new ModelRegistry(_server.Store).CreateModelAsync("m");
        var (actual, error) = await SendAsync(method, endpoint, body);
        Assert.Equal((status, code), ((int)actual, S(error["error_code"])));
        Assert.False(string.IsNullOrEmpty(S(error["message"])));
    }

    [Fact]
    public async Task An_mlflow_client_registers_a_runs_uri_and_the_flavour_and_signature_come_from_the_files()
    {
        // As mlflow.register_model("runs:/<id>/model", "tiny") does: log the artifacts, then create the version from the URI.
        var runId = S((await SendAsync("POST", "runs/create", """{"experiment_id": "0", "start_time": 1}"""))
            .Body["run"]!["info"]!["run_id"]);
        await using var store = await RestTrackingStore.ConnectAsync(_server.Url);
        var run = await store.GetRunAsync(runId);
        await using (var onnx = File.OpenRead(Path.Combine(RepoPaths.Root, "datasets/models/tinygpt-small/model.onnx")))
            await store.Artifacts.WriteAsync(run.Info.ArtifactUri, "model/model.onnx", onnx);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("POST", "registered-models/create", """{"name": "tiny"}""")).Status);
        var (status, body) = await SendAsync("POST", "model-versions/create", $$"""{"name": "tiny", "source": "runs:/{{runId}}/model", "run_id": "{{runId}}"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("1", "READY", run.Info.ArtifactUri + "/model"), (S(body["model_version"]!["version"]), S(body["model_version"]!["status"]), S(body["model_version"]!["source"])));

        // Loaded through a REST registry: resolved by the server, signature checked against the ONNX file.
        var registry = new ModelRegistry(store);
        using var loaded = await registry.LoadOnnxAsync("models:/tiny/latest");
        Assert.Equal(ModelFlavor.Onnx, loaded.Version.Flavor);
        Assert.Equal(loaded.Model.InputMetadata.Keys.Order(), loaded.Version.Signature.Inputs.Select(i => i.Name).Order());

        var (bad, error) = await SendAsync("POST", "model-versions/create", """{"name": "tiny", "source": "s3://bucket/model"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "source"), (bad, S(error["field"])));
    }
}
