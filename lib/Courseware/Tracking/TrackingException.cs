namespace Courseware.Tracking;

/// <summary>MLflow's error codes (protos/databricks.proto) for the errors a tracking store raises.</summary>
public enum TrackingErrorCode
{
    /// <summary>A bad key, value, filter or argument (HTTP 400).</summary>
    InvalidParameterValue,
    /// <summary>No experiment, run or artifact with that id/name (HTTP 404).</summary>
    ResourceDoesNotExist,
    /// <summary>An experiment with that name already exists (HTTP 400, as in MLflow).</summary>
    ResourceAlreadyExists,
    /// <summary>The operation is not valid in the entity's current state (HTTP 500, as in MLflow).</summary>
    InvalidState,
    /// <summary>A malformed request (HTTP 400).</summary>
    BadRequest,
    /// <summary>A store failure that is nobody's input error (HTTP 500).</summary>
    InternalError,
    /// <summary>A request over a size limit the server sets, such as an artifact upload (HTTP 413).</summary>
    RequestLimitExceeded,
}

/// <summary>
/// An error from the tracking API, carrying an MLflow error code (e.g. <c>INVALID_PARAMETER_VALUE</c>) and, where one
/// input is to blame, the <see cref="Field"/> it came from. A REST server maps it 1:1 to MLflow's
/// <c>{"error_code": ..., "message": ...}</c> body with <see cref="HttpStatus"/>.
/// </summary>
public class TrackingException : Exception
{
    /// <summary>Creates an error with a code, a message and optionally the offending field.</summary>
    public TrackingException(TrackingErrorCode code, string message, string? field = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Field = field;
    }

    /// <summary>The MLflow error code.</summary>
    public TrackingErrorCode Code { get; }

    /// <summary>The input the error is about (<c>metrics[val/acc].value</c>, <c>params[lr]</c>, <c>filter</c>...), if any.</summary>
    public string? Field { get; }

    /// <summary>The code as MLflow spells it on the wire, e.g. <c>RESOURCE_DOES_NOT_EXIST</c>.</summary>
    public string ErrorCode => Code switch
    {
        TrackingErrorCode.InvalidParameterValue => "INVALID_PARAMETER_VALUE",
        TrackingErrorCode.ResourceDoesNotExist => "RESOURCE_DOES_NOT_EXIST",
        TrackingErrorCode.ResourceAlreadyExists => "RESOURCE_ALREADY_EXISTS",
        TrackingErrorCode.InvalidState => "INVALID_STATE",
        TrackingErrorCode.BadRequest => "BAD_REQUEST",
        TrackingErrorCode.RequestLimitExceeded => "REQUEST_LIMIT_EXCEEDED",
        _ => "INTERNAL_ERROR",
    };

    /// <summary>The HTTP status MLflow's server answers with for this code.</summary>
    public int HttpStatus => Code switch
    {
        TrackingErrorCode.ResourceDoesNotExist => 404,
        TrackingErrorCode.RequestLimitExceeded => 413,
        TrackingErrorCode.InvalidState or TrackingErrorCode.InternalError => 500,
        _ => 400,
    };

    internal static TrackingException InvalidParameter(string field, string message) =>
        new(TrackingErrorCode.InvalidParameterValue, message, field);

    internal static TrackingException NotFound(string field, string message) =>
        new(TrackingErrorCode.ResourceDoesNotExist, message, field);
}

/// <summary>
/// A search filter or order-by clause that does not parse, with the 0-based <see cref="Position"/> of the offending
/// character in the input (and <see cref="Column"/>, 1-based, for messages).
/// </summary>
public sealed class FilterSyntaxException : TrackingException
{
    internal FilterSyntaxException(string field, string input, int position, string problem)
        : base(TrackingErrorCode.InvalidParameterValue, Describe(field, input, position, problem), field)
    {
        Input = input;
        Position = position;
    }

    /// <summary>The text that failed to parse.</summary>
    public string Input { get; }

    /// <summary>0-based index of the offending character (== Input.Length at end of input).</summary>
    public int Position { get; }

    /// <summary>1-based column of the offending character.</summary>
    public int Column => Position + 1;

    private static string Describe(string field, string input, int position, string problem) =>
        $"Invalid {field} at column {position + 1}: {problem}\n  {input}\n  {new string(' ', position)}^";
}
