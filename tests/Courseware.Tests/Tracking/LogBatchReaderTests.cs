using System.Text;
using System.Text.Json.Nodes;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

namespace Courseware.Tests.Tracking;

/// <summary>
/// The server's log-batch reader (Utf8JsonReader straight into records) against the general reader over a JsonObject:
/// the same request for every body it takes, and no answer (the general reader's turn, with its errors) for the rest.
/// </summary>
public class LogBatchReaderTests
{
    [Theory]
    [InlineData("""{"run_id": "r1", "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1, "step": 2}, {"key": "loss", "value": 1e-3, "timestamp": 3}]}""")]
    [InlineData("""{"run_id": "r1", "metrics": [{"key": "a", "value": "NaN", "timestamp": "7", "step": "-2"}, {"key": "b", "value": "Infinity", "timestamp": 1}, {"key": "a", "value": "-Infinity", "timestamp": 1}, {"key": "c", "value": "2.5", "timestamp": 1}]}""")]
    [InlineData("""{"run_uuid": "r2", "params": [{"key": "lr", "value": "0.1"}], "tags": [{"key": "t", "value": ""}]}""")]
    [InlineData("""{"run_id": "r1", "run_uuid": "ignored", "experiment_id": {"nested": [1, 2, {"x": null}]}, "metrics": [{"value": 1, "key": "k", "extra": [true], "timestamp": 9223372036854775807}]}""")]
    [InlineData("""{"run\u005fid": "r1", "metrics": [{"k\u0065y": "l\u00f6ss", "value": -0.0, "timestamp": 0}], "params": [], "tags": []}""")]
    [InlineData("""{"run_id": "r1"}""")]
    [InlineData(""" { "run_id" : "r1" , "metrics" : [ ] } """)]
    public void Reads_what_the_general_reader_reads(string json)
    {
        var fast = LogBatchReader.TryRead(Encoding.UTF8.GetBytes(json));
        Assert.NotNull(fast);
        var general = General(json);
        Assert.Equal(general.RunId, fast.RunId);
        Assert.Equal(general.Metrics, fast.Metrics);
        Assert.Equal(general.Params, fast.Params);
        Assert.Equal(general.Tags, fast.Tags);
    }

    [Theory]
    [InlineData("""{"metrics": []}""")] // no run id
    [InlineData("""{"run_id": null, "run_uuid": "r"}""")]
    [InlineData("""{"run_id": 12}""")]
    [InlineData("""{"run_id": "r", "run_id": "s"}""")]
    [InlineData("""{"run_id": "r", "other": 1, "other": 2}""")]
    [InlineData("""{"run_id": "r", "metrics": [{"key": "a", "value": 1, "timestamp": 1, "key": "b"}]}""")]
    [InlineData("""{"run_id": "r", "metrics": [{"key": "a", "value": 1}]}""")] // no timestamp
    [InlineData("""{"run_id": "r", "metrics": [{"key": "a", "timestamp": 1}]}""")] // no value
    [InlineData("""{"run_id": "r", "metrics": [{"value": 1, "timestamp": 1}]}""")] // no key
    [InlineData("""{"run_id": "r", "metrics": [{"key": "a", "value": true, "timestamp": 1}]}""")]
    [InlineData("""{"run_id": "r", "metrics": [{"key": "a", "value": "many", "timestamp": 1}]}""")]
    [InlineData("""{"run_id": "r", "metrics": [{"key": "a", "value": 1e999, "timestamp": 1}]}""")]
    [InlineData("""{"run_id": "r", "metrics": [{"key": "a", "value": 1, "timestamp": 1.5}]}""")]
    [InlineData("""{"run_id": "r", "metrics": [{"key": "a", "value": 1, "timestamp": 1, "step": null}]}""")]
    [InlineData("""{"run_id": "r", "metrics": [{"key": 3, "value": 1, "timestamp": 1}]}""")]
    [InlineData("""{"run_id": "r", "metrics": [1]}""")]
    [InlineData("""{"run_id": "r", "metrics": {"key": "a"}}""")]
    [InlineData("""{"run_id": "r", "params": [{"key": "a", "value": 1}]}""")]
    [InlineData("""{"run_id": "r", "tags": [{"key": "a"}]}""")]
    [InlineData("""{"run_id": "r", "tags": null}""")]
    [InlineData("""{"run_id": "r"} {}""")]
    [InlineData("""{"run_id": "r",}""")]
    [InlineData("""{not json""")]
    [InlineData("""[{"run_id": "r"}]""")]
    public void Leaves_everything_else_to_the_general_reader(string json) =>
        Assert.Null(LogBatchReader.TryRead(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Leaves_text_that_is_not_utf8_to_the_general_reader() =>
        Assert.Null(LogBatchReader.TryRead([.. "{\"run_id\": \""u8, 0xC3, 0x28, .. "\"}"u8]));

    [Fact]
    public void Shares_one_key_string_across_a_batch()
    {
        var batch = LogBatchReader.TryRead("""{"run_id": "r", "metrics": [{"key": "loss", "value": 1, "timestamp": 1}, {"key": "loss", "value": 2, "timestamp": 2}]}"""u8)!;
        Assert.Same(batch.Metrics[0].Key, batch.Metrics[1].Key);
    }

    // What the log-batch endpoint reads from the JsonObject of the same body.
    private static LogBatchRequest General(string json)
    {
        var a = (JsonObject)JsonNode.Parse(json)!;
        return new LogBatchRequest(MlflowJson.OptionalString(a, "run_id") ?? MlflowJson.RequiredString(a, "run_uuid"), MlflowJson.ReadMetrics(a, "metrics"),
            MlflowJson.ReadPairs(a, "params").Select(p => new Param(p.Key, p.Value)).ToList(),
            MlflowJson.ReadPairs(a, "tags").Select(t => new RunTag(t.Key, t.Value)).ToList());
    }
}
