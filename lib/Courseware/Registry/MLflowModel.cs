using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Courseware.Registry;

/// <summary>
/// What the registry reads from an MLflow model folder's <c>MLmodel</c> file: its flavours (the keys of
/// <c>flavors:</c>, e.g. <c>python_function</c>, <c>sklearn</c>) and its signature (<c>signature.inputs</c> and
/// <c>.outputs</c>, each a JSON list of column specs <c>{"name", "type"}</c> or tensor specs
/// <c>{"type": "tensor", "tensor-spec": {"dtype", "shape"}}</c>). A model without a signature gets an empty one.
/// </summary>
public sealed record MLflowModel(IReadOnlyList<string> Flavors, ModelSignature Signature)
{
    /// <summary>The file that makes a folder an MLflow model.</summary>
    public const string FileName = "MLmodel";

    /// <summary>The version tag that records an MLflow model's flavours (comma-separated) when it is registered as <see cref="ModelFlavor.Generic"/>.</summary>
    public const string FlavorsTag = "courseware.mlflow_flavors";

    /// <summary>Reads <c>MLmodel</c> in <paramref name="folder"/>; errors name the file and, where YAML is malformed, the line.</summary>
    public static MLflowModel Read(string folder)
    {
        var file = Path.Combine(folder, FileName);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw Invalid($"{FileName} is not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw Invalid($"{FileName} must be a YAML mapping with a 'flavors' key.");
        if (Child(root, "flavors") is not YamlMappingNode flavors || flavors.Children.Count == 0)
            throw Invalid($"{FileName} has no 'flavors' mapping; an MLflow model names at least one flavour.");
        var names = flavors.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").Where(n => n.Length > 0).ToList();
        var signature = Child(root, "signature") as YamlMappingNode;
        return new MLflowModel(names, new ModelSignature(Specs(signature, "inputs"), Specs(signature, "outputs")));
    }

    /// <summary>The flavours as one tag value, e.g. <c>python_function, sklearn</c>.</summary>
    public string FlavorList => string.Join(", ", Flavors);

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    // MLflow writes each side of the signature as a JSON string inside the YAML.
    private static List<TensorSpec> Specs(YamlMappingNode? signature, string side)
    {
        if (signature is null || Child(signature, side) is not YamlScalarNode { Value: { Length: > 0 } json }) return [];
        JsonArray specs;
        try
        {
            specs = JsonNode.Parse(json) as JsonArray ?? throw Invalid($"{FileName}: signature.{side} must be a JSON list.");
        }
        catch (JsonException e)
        {
            throw Invalid($"{FileName}: signature.{side} is not valid JSON ({e.Message}).");
        }
        return specs.Select((spec, i) => Spec(spec as JsonObject ?? throw Invalid($"{FileName}: signature.{side}[{i}] must be an object."), $"{side}_{i}")).ToList();
    }

    private static TensorSpec Spec(JsonObject spec, string fallbackName)
    {
        var name = spec["name"]?.GetValue<string>() ?? fallbackName;
        if (spec["tensor-spec"] is JsonObject tensor)
            return new TensorSpec(name, tensor["dtype"]?.GetValue<string>() ?? "unknown",
                (tensor["shape"] as JsonArray)?.Select(d => d?.GetValue<long>() ?? -1).ToList());
        return new TensorSpec(name, spec["type"]?.GetValue<string>() ?? "unknown");
    }

    private static RegistryException Invalid(string message) => new(RegistryError.InvalidParameter, "source", message);
}
