namespace Courseware.Tracking;

/// <summary>A file or folder among a run's artifacts; <see cref="Path"/> is relative to the run's artifact root, with '/'.</summary>
public sealed record ArtifactInfo(string Path, bool IsDirectory, long? FileSize);

/// <summary>
/// Stores artifact files under an artifact URI (a run's <see cref="RunInfo.ArtifactUri"/>): MLflow's
/// <c>ArtifactRepository</c>. <see cref="LocalArtifactRepository"/> handles <c>file:</c> URIs; a REST or object-store
/// repository implements the same three members.
/// </summary>
public interface IArtifactRepository
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="artifactPath"/> (relative, '/'-separated) atomically.</summary>
    Task WriteAsync(string artifactUri, string artifactPath, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Lists the direct children of a folder (the root when <paramref name="folder"/> is null).</summary>
    Task<IReadOnlyList<ArtifactInfo>> ListAsync(string artifactUri, string? folder = null, CancellationToken cancellationToken = default);

    /// <summary>Opens an artifact for reading (RESOURCE_DOES_NOT_EXIST if absent).</summary>
    Task<Stream> OpenReadAsync(string artifactUri, string artifactPath, CancellationToken cancellationToken = default);
}

/// <summary>
/// Artifacts as plain files under a <c>file:</c> URI. Paths that are absolute, contain <c>..</c> segments, or would
/// otherwise resolve outside the run's artifact folder are rejected (INVALID_PARAMETER_VALUE). Each file is written
/// to a temporary name beside its destination and renamed, so readers never see half a file.
/// </summary>
public sealed class LocalArtifactRepository : IArtifactRepository
{
    /// <inheritdoc />
    public async Task WriteAsync(string artifactUri, string artifactPath, Stream content, CancellationToken cancellationToken = default)
    {
        var target = Resolve(artifactUri, artifactPath);
        if (Directory.Exists(target))
            throw TrackingException.InvalidParameter("artifact_path", $"Artifact path '{artifactPath}' is an existing folder.");
        var root = ArtifactLocations.LocalPathOf(artifactUri);
        for (var folder = Path.GetDirectoryName(target)!; folder.Length > root.Length; folder = Path.GetDirectoryName(folder)!)
            if (File.Exists(folder))
                throw TrackingException.InvalidParameter("artifact_path",
                    $"Artifact path '{artifactPath}' needs '{Path.GetRelativePath(root, folder).Replace('\\', '/')}' to be a folder, but it is a file.");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ArtifactInfo>> ListAsync(string artifactUri, string? folder = null, CancellationToken cancellationToken = default)
    {
        var root = ArtifactLocations.LocalPathOf(artifactUri);
        var dir = string.IsNullOrEmpty(folder) ? root : Resolve(artifactUri, folder);
        if (!Directory.Exists(dir)) return Task.FromResult<IReadOnlyList<ArtifactInfo>>([]);
        var entries = new DirectoryInfo(dir).EnumerateFileSystemInfos()
            .Where(e => !e.Name.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(e => new ArtifactInfo(Path.GetRelativePath(root, e.FullName).Replace('\\', '/'),
                e is DirectoryInfo, e is FileInfo f ? f.Length : null))
            .OrderBy(e => e.Path, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult<IReadOnlyList<ArtifactInfo>>(entries);
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string artifactUri, string artifactPath, CancellationToken cancellationToken = default)
    {
        var path = Resolve(artifactUri, artifactPath);
        if (!File.Exists(path))
            throw TrackingException.NotFound("artifact_path", $"No artifact '{artifactPath}' under {artifactUri}.");
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true));
    }

    /// <summary>
    /// Checks a relative artifact path and maps it into the run's folder. Rejects empty, rooted and '..' paths,
    /// then double-checks that the full path stays inside the root.
    /// </summary>
    public static string Resolve(string artifactUri, string artifactPath)
    {
        if (string.IsNullOrWhiteSpace(artifactPath))
            throw TrackingException.InvalidParameter("artifact_path", "Artifact path must not be empty.");
        var segments = artifactPath.Split('/', '\\');
        if (Path.IsPathRooted(artifactPath) || artifactPath.StartsWith('/') || artifactPath.StartsWith('\\') || artifactPath.Contains(':')
            || segments.Any(s => s is ".." or "."))
            throw TrackingException.InvalidParameter("artifact_path",
                $"Artifact path '{artifactPath}' must be relative to the run's artifact folder, without '.', '..', drive or root parts.");
        var root = ArtifactLocations.LocalPathOf(artifactUri);
        var full = Path.GetFullPath(Path.Combine([root, .. segments.Where(s => s.Length > 0)]));
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw TrackingException.InvalidParameter("artifact_path", $"Artifact path '{artifactPath}' resolves outside the run's artifact folder.");
        return full;
    }
}
