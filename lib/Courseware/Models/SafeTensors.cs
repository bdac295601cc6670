using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Courseware.Models;

/// <summary>Element types of the safetensors format (the names are the format's own dtype strings).</summary>
public enum SafeTensorDType
{
    // Declared in the reference implementation's order; the writer sorts by it (descending), then by name.
    BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64,
}

/// <summary>One named tensor: dtype, shape and its raw little-endian bytes.</summary>
public sealed class SafeTensor
{
    /// <summary>A tensor over raw little-endian bytes; the byte count must match dtype and shape.</summary>
    public SafeTensor(string name, SafeTensorDType dtype, long[] shape, byte[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (shape.Any(d => d < 0)) throw new ArgumentException($"Tensor '{name}': negative dimension in shape [{string.Join(", ", shape)}].", nameof(shape));
        long expected = shape.Aggregate(1L, (a, d) => a * d) * SafeTensors.ElementSize(dtype);
        if (data.LongLength != expected)
            throw new ArgumentException($"Tensor '{name}': {dtype} [{string.Join(", ", shape)}] needs {expected} bytes, got {data.LongLength}.", nameof(data));
        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>The tensor's key in the header.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>Dimensions (empty for a scalar).</summary>
    public long[] Shape { get; }

    /// <summary>Raw little-endian element bytes, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>An F32 tensor from values.</summary>
    public static SafeTensor FromFloats(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var data = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), values[i]);
        return new SafeTensor(name, SafeTensorDType.F32, shape, data);
    }

    /// <summary>The values of an F32 tensor.</summary>
    public float[] ToFloats()
    {
        if (DType != SafeTensorDType.F32) throw new InvalidOperationException($"Tensor '{Name}' is {DType}, not F32.");
        var values = new float[ElementCount];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(i * 4));
        return values;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {DType} [{string.Join(", ", Shape)}]";
}

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
/// N bytes of JSON (<c>{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}}</c>,
/// padded with spaces to a multiple of 8), then the tensors' raw bytes back to back.
/// The writer reproduces the reference implementation's layout byte for byte.
/// </summary>
/// <example><code>SafeTensors.Write("model.safetensors", tensors, new() { ["format"] = "pt" });</code></example>
public static class SafeTensors
{
    /// <summary>Largest header the reader accepts (the reference implementation's limit).</summary>
    public const int MaxHeaderLength = 100_000_000;

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.BOOL or SafeTensorDType.U8 or SafeTensorDType.I8 => 1,
        SafeTensorDType.I16 or SafeTensorDType.U16 or SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        SafeTensorDType.I32 or SafeTensorDType.U32 or SafeTensorDType.F32 => 4,
        SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Writes tensors (and optional string metadata) atomically.</summary>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        // Reference order: larger dtypes first (keeps every tensor aligned), then by name.
        var ordered = tensors.OrderByDescending(t => t.DType).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
        var duplicate = ordered.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"Tensor name '{duplicate.Key}' appears more than once.", nameof(tensors));

        var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (SafeTensor tensor in ordered)
            {
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", tensor.DType.ToString());
                writer.WriteStartArray("shape");
                foreach (long d in tensor.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset += tensor.Data.LongLength);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        int padding = (int)((8 - json.Length % 8) % 8);
        for (int i = 0; i < padding; i++) json.WriteByte((byte)' ');

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
            stream.Write(length);
            json.Position = 0;
            json.CopyTo(stream);
            foreach (SafeTensor tensor in ordered) stream.Write(tensor.Data);
        });
    }

    /// <summary>Reads every tensor, in header order of their data, and the metadata (empty when absent).</summary>
    public static (IReadOnlyList<SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such safetensors file.", path);
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8)
            throw new InvalidDataException($"{path}: {file.Length} bytes is too short for a safetensors file (expected an 8-byte header length first).");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderLength)
            throw new InvalidDataException($"{path}: header length {headerLength} (bytes 0-7, little endian) exceeds the limit of {MaxHeaderLength}.");
        if (8 + (long)headerLength > file.Length)
            throw new InvalidDataException($"{path}: header length {headerLength} (bytes 0-7) runs past the end of the {file.Length}-byte file.");
        var headerBytes = new ReadOnlySpan<byte>(file, 8, (int)headerLength);
        if (headerBytes.Length == 0 || headerBytes[0] != (byte)'{')
            throw new InvalidDataException($"{path}: the header at byte 8 must be a JSON object starting with '{{'.");

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(headerBytes.ToArray());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: header is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} of the header): {e.Message}", e);
        }

        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: the header must be a JSON object.");
            var metadata = new Dictionary<string, string>();
            var entries = new List<(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)>();
            foreach (JsonProperty property in header.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new InvalidDataException($"{path}: __metadata__ must be an object of strings.");
                    foreach (JsonProperty item in property.Value.EnumerateObject())
                    {
                        if (item.Value.ValueKind != JsonValueKind.String)
                            throw new InvalidDataException($"{path}: __metadata__.{item.Name} must be a string, not {item.Value.ValueKind}.");
                        metadata[item.Name] = item.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ReadEntry(path, property));
            }

            long dataLength = file.Length - 8 - (long)headerLength;
            long expectedBegin = 0;
            var tensors = new List<SafeTensor>(entries.Count);
            foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (entry.Begin != expectedBegin)
                    throw new InvalidDataException($"{path}: tensor '{entry.Name}' starts at data offset {entry.Begin}, expected {expectedBegin} (tensors must be contiguous, without gaps or overlaps).");
                long needed = entry.Shape.Aggregate(1L, (a, d) => a * d) * ElementSize(entry.DType);
                if (entry.End - entry.Begin != needed)
                    throw new InvalidDataException($"{path}: tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] hold {entry.End - entry.Begin} bytes, but {entry.DType} [{string.Join(", ", entry.Shape)}] needs {needed}.");
                if (entry.End > dataLength)
                    throw new InvalidDataException($"{path}: tensor '{entry.Name}' ends at data offset {entry.End}, past the {dataLength} data bytes in the file.");
                byte[] data = new byte[needed];
                Array.Copy(file, 8 + (long)headerLength + entry.Begin, data, 0, needed);
                tensors.Add(new SafeTensor(entry.Name, entry.DType, entry.Shape, data));
                expectedBegin = entry.End;
            }
            if (expectedBegin != dataLength)
                throw new InvalidDataException($"{path}: the header describes {expectedBegin} data bytes but the file holds {dataLength}.");
            return (tensors, metadata);
        }
    }

    private static (string, SafeTensorDType, long[], long, long) ReadEntry(string path, JsonProperty property)
    {
        string where = $"{path}: tensor '{property.Name}'";
        if (property.Value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: expected an object with dtype, shape and data_offsets.");
        if (!property.Value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{where}: missing string field \"dtype\".");
        string dtypeText = dtypeElement.GetString()!;
        if (!Enum.GetNames<SafeTensorDType>().Contains(dtypeText))
            throw new InvalidDataException($"{where}: unsupported dtype \"{dtypeText}\" (expected one of {string.Join(", ", Enum.GetNames<SafeTensorDType>())}).");
        var dtype = Enum.Parse<SafeTensorDType>(dtypeText);
        long[] shape = ReadIntegers(where, property.Value, "shape");
        long[] offsets = ReadIntegers(where, property.Value, "data_offsets");
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw new InvalidDataException($"{where}: data_offsets must be [begin, end] with begin <= end, got [{string.Join(", ", offsets)}].");
        return (property.Name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadIntegers(string where, JsonElement entry, string field)
    {
        if (!entry.TryGetProperty(field, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where}: missing array field \"{field}\".");
        var values = new List<long>();
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
                throw new InvalidDataException($"{where}: \"{field}\" must hold non-negative integers, found {item.GetRawText()}.");
            values.Add(value);
        }
        return [.. values];
    }
}
