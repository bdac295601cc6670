using Courseware.Tracking;

namespace Courseware.Registry;

/// <summary>Kinds of registry error, mapped onto MLflow's error codes.</summary>
public enum RegistryError
{
    /// <summary>A bad name, alias, version or argument (INVALID_PARAMETER_VALUE, 400).</summary>
    InvalidParameter,
    /// <summary>No such model, version or alias (RESOURCE_DOES_NOT_EXIST, 404).</summary>
    NotFound,
    /// <summary>The model already exists (RESOURCE_ALREADY_EXISTS, 400).</summary>
    AlreadyExists,
    /// <summary>The model does not match its stored signature, or a gate refused (INVALID_STATE).</summary>
    InvalidState,
}

/// <summary>
/// A registry error: a <see cref="TrackingException"/> (so a server maps it to MLflow's error body) naming the
/// field at fault.
/// </summary>
public sealed class RegistryException(RegistryError error, string field, string message, Exception? inner = null)
    : TrackingException(error switch
    {
        RegistryError.NotFound => TrackingErrorCode.ResourceDoesNotExist,
        RegistryError.AlreadyExists => TrackingErrorCode.ResourceAlreadyExists,
        RegistryError.InvalidState => TrackingErrorCode.InvalidState,
        _ => TrackingErrorCode.InvalidParameterValue,
    }, message, field, inner)
{
    /// <summary>The registry's kind of error.</summary>
    public RegistryError Error { get; } = error;

    /// <summary>The error for a version this library cannot load (serve or evaluate): a generic MLflow model names its MLflow flavours.</summary>
    internal static RegistryException CannotLoad(ModelVersion version) => new(RegistryError.InvalidParameter, "flavor",
        version.Flavor == ModelFlavor.Generic
            ? $"{version.Uri} is an MLflow model of flavour {version.Tags.GetValueOrDefault(MLflowModel.FlavorsTag, "(not recorded)")}, which this library cannot load: " +
              "it serves and evaluates ONNX, TinyGpt and ML.NET versions (serve this one with MLflow's own 'mlflow models serve')."
            : $"{version.Uri}: no predictor for flavour {version.Flavor}.");
}
