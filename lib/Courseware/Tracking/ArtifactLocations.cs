namespace Courseware.Tracking;

/// <summary>
/// Checks artifact locations and model sources that come from outside (a REST body, a CLI option, a notebook cell)
/// before anything is stored or read there. <see cref="Normalize"/> is what every store applies (MLflow's rules:
/// no <c>#</c> fragment or <c>?</c> query, not a <c>runs:/</c> URI, local paths become absolute <c>file:</c> URIs);
/// <see cref="Confine"/> is what a server adds: the location must lie under its artifact root and may not pass
/// through a symbolic link, so a client cannot point the server at <c>/etc</c>.
/// </summary>
public static class ArtifactLocations
{
    /// <summary>The longest location accepted (MLflow's experiments.artifact_location column is 256 characters).</summary>
    public const int MaxLength = 2048;

    private const string ProxyScheme = "mlflow-artifacts:";

    /// <summary>
    /// The canonical form of <paramref name="location"/>: a <c>file:</c> URI with '.' and '..' resolved for local paths
    /// (relative paths are taken from the current folder, as MLflow does), other URIs unchanged. Refuses (INVALID_PARAMETER_VALUE,
    /// naming <paramref name="field"/>) empty or over-long text, control characters, a <c>#</c> or <c>?</c> (a <c>file:</c>
    /// URI would silently drop what follows them), and <c>runs:/</c> URIs.
    /// </summary>
    public static string Normalize(string location, string field = "artifact_location")
    {
        CheckText(location, field);
        if (location.StartsWith("runs:", StringComparison.OrdinalIgnoreCase))
            throw Invalid(field, $"'{location}': an artifact location cannot be a runs:/ URI.");
        if (IsLocalPath(location)) return new Uri(Path.GetFullPath(location)).AbsoluteUri.TrimEnd('/');
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri))
            throw Invalid(field, $"'{location}' is neither a path nor an absolute URI.");
        if (!uri.IsFile) return location;
        if (!string.IsNullOrEmpty(uri.Host) && uri.Host != "localhost")
            throw Invalid(field, $"'{location}' names another host ('{uri.Host}'); give a local file: URI or path.");
        return new Uri(Path.GetFullPath(uri.LocalPath)).AbsoluteUri.TrimEnd('/');
    }

    /// <summary>
    /// <see cref="Normalize"/>, then requires the location to be <paramref name="root"/> or a folder under it, reached
    /// without symbolic links; <c>mlflow-artifacts:/path</c> means <c>path</c> under the root. Returns the location as a
    /// <c>file:</c> URI. The message never says what exists outside the root.
    /// </summary>
    /// <param name="location">The location or source the client chose.</param>
    /// <param name="root">The server's artifact root (a <c>file:</c> URI, <see cref="ITrackingStore.DefaultArtifactRoot"/>).</param>
    /// <param name="field">The request field, for the error.</param>
    public static string Confine(string location, string root, string field = "artifact_location")
    {
        CheckText(location, field);
        var rootPath = LocalPathOf(root);
        var normalized = location.StartsWith(ProxyScheme, StringComparison.OrdinalIgnoreCase)
            ? Normalize(JoinUnder(rootPath, location[ProxyScheme.Length..]), field)
            : Normalize(location, field);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || !uri.IsFile)
            throw Outside(location, field);
        var full = Path.GetFullPath(uri.LocalPath).TrimEnd(Path.DirectorySeparatorChar);
        if (full != rootPath && !full.StartsWith(rootPath + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw Outside(location, field);
        if (FirstLink(rootPath, full) is not null)
            throw Invalid(field, $"'{location}' goes through a symbolic link, which the server does not follow.");
        return normalized;
    }

    /// <summary>Whether <paramref name="location"/> (any form <see cref="Confine"/> accepts) lies under <paramref name="root"/>.</summary>
    public static bool IsUnder(string location, string root)
    {
        try
        {
            Confine(location, root);
            return true;
        }
        catch (TrackingException)
        {
            return false;
        }
    }

    /// <summary>The first existing path from just below <paramref name="root"/> down to <paramref name="full"/> that is a symbolic link, or null.</summary>
    public static string? FirstLink(string root, string full)
    {
        for (var p = full; p.Length > root.Length; p = Path.GetDirectoryName(p)!)
        {
            FileSystemInfo info = Directory.Exists(p) ? new DirectoryInfo(p) : new FileInfo(p);
            if (info.Exists && info.LinkTarget is not null) return p;
        }
        return null;
    }

    /// <summary>The full local path of a <c>file:</c> URI, without a trailing separator.</summary>
    public static string LocalPathOf(string fileUri) =>
        Uri.TryCreate(fileUri, UriKind.Absolute, out var uri) && uri.IsFile
            ? Path.GetFullPath(uri.LocalPath).TrimEnd(Path.DirectorySeparatorChar)
            : throw Invalid("artifact_uri", $"'{fileUri}' is not a file: URI.");

    // A rooted path, or text with no scheme at all ("mlruns/x"); "C:\x" is a path on Windows, never a URI with scheme "c".
    private static bool IsLocalPath(string location) =>
        Path.IsPathRooted(location) || !location.Contains(':') || (OperatingSystem.IsWindows() && location.Length > 1 && location[1] == ':');

    private static string JoinUnder(string rootPath, string relative) =>
        Path.Combine(rootPath, string.Join(Path.DirectorySeparatorChar, relative.Split('/', '\\').Where(s => s.Length > 0)));

    private static void CheckText(string location, string field)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw Invalid(field, $"'{field}' must not be empty.");
        if (location.Length > MaxLength)
            throw Invalid(field, $"'{field}' is {location.Length} characters long; the limit is {MaxLength}.");
        if (location.Any(char.IsControl))
            throw Invalid(field, $"'{field}' must not contain control characters.");
        if (location.Contains('#') || location.Contains('?'))
            throw Invalid(field, $"'{location}': a location cannot include a fragment ('#') or query ('?'), which a file: URI would silently drop.");
    }

    private static TrackingException Outside(string location, string field) =>
        Invalid(field, $"'{location}' is not under this server's artifact root; give a location inside it (or mlflow-artifacts:/<path>).");

    private static TrackingException Invalid(string field, string message) => TrackingException.InvalidParameter(field, message);
}
