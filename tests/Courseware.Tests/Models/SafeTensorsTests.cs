using System.Buffers.Binary;
using System.Text;
using Courseware.Models;

namespace Courseware.Tests.Models;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Written byte for byte by reference/make_safetensors.py (struct + json, the reference layout).</summary>
    internal static string ReferenceFile => Path.Combine(RepoPaths.Root, "tests/Courseware.Tests/Models/reference/reference.safetensors");

    [Fact]
    public void Reads_the_reference_file()
    {
        var (tensors, metadata) = SafeTensors.Read(ReferenceFile);

        Assert.Equal(["ids", "scalar", "bias", "weight", "half", "mask"], tensors.Select(t => t.Name));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["source"] = "make_safetensors.py" }, metadata);
        var byName = tensors.ToDictionary(t => t.Name);
        Assert.Equal([0.5f, -1.25f, 3.0f, 1e-3f, -0.0f, 65504.0f], byName["weight"].ToFloats());
        Assert.Equal([2L, 3L], byName["weight"].Shape);
        Assert.Equal([0.1f, 0.2f, 0.3f], byName["bias"].ToFloats());
        Assert.Equal(SafeTensorDType.I64, byName["ids"].DType);
        Assert.Equal(1L << 40, BinaryPrimitives.ReadInt64LittleEndian(byName["ids"].Data.AsSpan(24)));
        Assert.Equal(-2L, BinaryPrimitives.ReadInt64LittleEndian(byName["ids"].Data.AsSpan(16)));
        Assert.Equal([1, 0, 0, 1], byName["mask"].Data);
        Assert.Equal((Half)(-2.0), BinaryPrimitives.ReadHalfLittleEndian(byName["half"].Data.AsSpan(2)));
        Assert.Empty(byName["scalar"].Shape);
        Assert.Equal(Math.PI, BinaryPrimitives.ReadDoubleLittleEndian(byName["scalar"].Data));
    }

    [Fact]
    public void Writes_the_reference_file_byte_for_byte()
    {
        var (tensors, metadata) = SafeTensors.Read(ReferenceFile);
        string path = Path.Combine(_folder, "copy.safetensors");
        // Shuffled input order: the writer must impose the reference order itself.
        SafeTensors.Write(path, tensors.Reverse(), metadata);
        Assert.Equal(File.ReadAllBytes(ReferenceFile), File.ReadAllBytes(path));
    }

    [Fact]
    public void Header_is_padded_to_eight_bytes_with_spaces()
    {
        string path = Path.Combine(_folder, "one.safetensors");
        SafeTensors.Write(path, [SafeTensor.FromFloats("a", [1], [1f])]);
        byte[] bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".PadRight((int)n), header);
    }

    [Theory]
    [InlineData("short", "too short for a safetensors file")]
    [InlineData("length-past-end", "runs past the end")]
    [InlineData("not-json", "header is not valid JSON")]
    [InlineData("not-object", "must be a JSON object starting with '{'")]
    [InlineData("bad-dtype", "unsupported dtype \"F33\"")]
    [InlineData("wrong-size", "hold 8 bytes, but F32 [3] needs 12")]
    [InlineData("gap", "starts at data offset 4, expected 0")]
    [InlineData("extra-data", "describes 12 data bytes but the file holds 16")]
    [InlineData("missing-shape", "missing array field \"shape\"")]
    [InlineData("huge-header", "exceeds the limit")]
    public void Corrupt_files_fail_with_the_path_and_the_cause(string corruption, string expected)
    {
        string path = Path.Combine(_folder, corruption + ".safetensors");
        File.WriteAllBytes(path, corruption switch
        {
            "short" => [1, 2, 3],
            "length-past-end" => [.. Header(1000), .. new byte[16]],
            "not-json" => WithHeader(Pad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]"), 12),
            "not-object" => WithHeader(Pad("[1,2,3]"), 0),
            "bad-dtype" => WithHeader(Pad("{\"a\":{\"dtype\":\"F33\",\"shape\":[3],\"data_offsets\":[0,12]}}"), 12),
            "wrong-size" => WithHeader(Pad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}"), 8),
            "gap" => WithHeader(Pad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[4,16]}}"), 16),
            "extra-data" => WithHeader(Pad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}"), 16),
            "missing-shape" => WithHeader(Pad("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,12]}}"), 12),
            "huge-header" => [.. Header(200_000_000), .. new byte[16]],
            _ => throw new ArgumentException(corruption),
        });
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string path = Path.Combine(_folder, "absent.safetensors");
        var error = Assert.Throws<FileNotFoundException>(() => SafeTensors.Read(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_tensor_whose_bytes_do_not_match_its_shape_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new SafeTensor("w", SafeTensorDType.F32, [2, 2], new byte[12]));
        Assert.Contains("needs 16 bytes, got 12", error.Message);
    }

    private static byte[] Header(long length)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, length);
        return bytes;
    }

    private static byte[] Pad(string json) => Encoding.UTF8.GetBytes(json.PadRight((json.Length + 7) / 8 * 8));

    private static byte[] WithHeader(byte[] header, int dataBytes) => [.. Header(header.Length), .. header, .. new byte[dataBytes]];
}
