namespace Courseware.Tracking;

/// <summary>
/// What this library's stores offer beyond runs, so that the tracker and the model registry ask the store instead of
/// testing for its class: where run artifacts are written and read, and the registry kept beside the runs.
/// </summary>
internal interface IStoreServices
{
    /// <summary>The repository of the runs' artifact files.</summary>
    IArtifactRepository Artifacts { get; }

    /// <summary>Whether artifact files are on this machine's file system, so they can be read in place.</summary>
    bool ArtifactsAreLocal { get; }

    /// <summary>The registry's storage operations, writing <paramref name="actor"/> into its audit log.</summary>
    Registry.IRegistryBackend OpenRegistry(string actor);
}
