namespace Courseware.Registry;

/// <summary>What a <see cref="ModelUri"/> points at.</summary>
public enum ModelReferenceKind
{
    /// <summary><c>models:/name/3</c></summary>
    Version,
    /// <summary><c>models:/name@champion</c></summary>
    Alias,
    /// <summary><c>models:/name/latest</c>: the highest version that is not deleted and whose registration finished (READY).</summary>
    Latest,
    /// <summary><c>models:/name/Production</c>: deprecated stages.</summary>
    Stage,
}

/// <summary>
/// A parsed <c>models:/</c> URI: <c>models:/name/3</c>, <c>models:/name@champion</c>, <c>models:/name/latest</c> (any
/// case) or the deprecated <c>models:/name/Production</c>. Resolve it with <see cref="ModelRegistry.ResolveAsync"/>.
/// </summary>
/// <example><code>var v = await registry.ResolveAsync("models:/penguins@champion");</code></example>
public sealed record ModelUri(string Name, ModelReferenceKind Kind, int? Version = null, string? Alias = null, string? Stage = null)
{
    private const string Scheme = "models:/";

    /// <summary>Parses a URI; errors name the part that is wrong.</summary>
    public static ModelUri Parse(string uri)
    {
        if (uri is null || !uri.StartsWith(Scheme, StringComparison.Ordinal))
            throw new RegistryException(RegistryError.InvalidParameter, "model_uri", $"Not a model URI: '{uri}'. Expected models:/<name>/<version>, models:/<name>@<alias> or models:/<name>/latest.");
        var rest = uri[Scheme.Length..];
        var at = rest.IndexOf('@');
        var slash = rest.IndexOf('/');
        if (at >= 0 && (slash < 0 || at < slash))
        {
            var name = rest[..at];
            var alias = rest[(at + 1)..];
            RegistryValidation.ValidateModelName(name);
            if (alias.Length == 0 || alias.Contains('/'))
                throw new RegistryException(RegistryError.InvalidParameter, "model_uri", $"Invalid alias in '{uri}': expected models:/<name>@<alias>.");
            return new ModelUri(name, ModelReferenceKind.Alias, Alias: alias);
        }
        if (slash <= 0 || slash == rest.Length - 1 || rest.IndexOf('/', slash + 1) >= 0)
            throw new RegistryException(RegistryError.InvalidParameter, "model_uri", $"Invalid model URI '{uri}': expected models:/<name>/<version|latest> or models:/<name>@<alias>.");
        var modelName = rest[..slash];
        var reference = rest[(slash + 1)..];
        RegistryValidation.ValidateModelName(modelName);
        if (string.Equals(reference, "latest", StringComparison.OrdinalIgnoreCase))
            return new ModelUri(modelName, ModelReferenceKind.Latest);
        if (ModelStages.Canonical(reference) is { } stage)
            return new ModelUri(modelName, ModelReferenceKind.Stage, Stage: stage);
        return new ModelUri(modelName, ModelReferenceKind.Version, RegistryValidation.ParseVersion(reference, "model_uri"));
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ModelReferenceKind.Version => $"{Scheme}{Name}/{Version}",
        ModelReferenceKind.Alias => $"{Scheme}{Name}@{Alias}",
        ModelReferenceKind.Latest => $"{Scheme}{Name}/latest",
        _ => $"{Scheme}{Name}/{Stage}",
    };
}
