using System.Text.RegularExpressions;

namespace Courseware.Registry;

/// <summary>MLflow's rules for registered-model names and aliases (mlflow/utils/validation.py).</summary>
public static partial class RegistryValidation
{
    /// <summary>Longest alias MLflow accepts.</summary>
    public const int MaxAliasLength = 255;

    /// <summary>Longest model name accepted (MLflow's column width).</summary>
    public const int MaxNameLength = 256;

    /// <summary>
    /// A model name: non-empty, at most 256 characters, without '/', '@' or ':' (they delimit <c>models:/</c> URIs)
    /// and without control characters.
    /// </summary>
    public static void ValidateModelName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new RegistryException(RegistryError.InvalidParameter, "name", "Registered model name cannot be empty.");
        if (name.Length > MaxNameLength)
            throw new RegistryException(RegistryError.InvalidParameter, "name", $"Registered model name is {name.Length} characters long; at most {MaxNameLength} are allowed.");
        var bad = name.IndexOfAny(['/', '@', ':']);
        if (bad < 0) bad = name.ToList().FindIndex(char.IsControl);
        if (bad >= 0)
            throw new RegistryException(RegistryError.InvalidParameter, "name",
                $"Registered model name '{name}' has an invalid character at position {bad + 1}: names may not contain '/', '@', ':' or control characters.");
    }

    /// <summary>
    /// An alias: matches <c>^[\w\-]+$</c>, at most 255 characters, and is not reserved: <c>latest</c> (any case) names
    /// the newest version and <c>v&lt;N&gt;</c> / <c>V&lt;N&gt;</c> look like version numbers.
    /// </summary>
    public static void ValidateAlias(string? alias)
    {
        if (string.IsNullOrEmpty(alias))
            throw new RegistryException(RegistryError.InvalidParameter, "alias", "Alias cannot be empty.");
        if (alias.Length > MaxAliasLength)
            throw new RegistryException(RegistryError.InvalidParameter, "alias", $"Alias is {alias.Length} characters long; at most {MaxAliasLength} are allowed.");
        if (!AliasPattern().IsMatch(alias))
            throw new RegistryException(RegistryError.InvalidParameter, "alias",
                $"Invalid alias '{alias}': only letters, digits, '_' and '-' are allowed (^[\\w\\-]+$).");
        if (string.Equals(alias, "latest", StringComparison.OrdinalIgnoreCase))
            throw new RegistryException(RegistryError.InvalidParameter, "alias", $"'{alias}' is reserved: models:/name/latest already names the newest version.");
        if (VersionLike().IsMatch(alias))
            throw new RegistryException(RegistryError.InvalidParameter, "alias", $"'{alias}' is reserved: aliases of the form v<number> would be confused with version numbers.");
    }

    /// <summary>A version number: a positive integer.</summary>
    public static int ParseVersion(string value, string field = "version") =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new RegistryException(RegistryError.InvalidParameter, field, $"Invalid version '{value}': expected a positive integer.");

    [GeneratedRegex(@"^[\w\-]+$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^[vV]\d+$")]
    private static partial Regex VersionLike();
}
