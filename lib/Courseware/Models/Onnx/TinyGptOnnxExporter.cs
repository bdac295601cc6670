using System.Buffers.Binary;
using Courseware.Models.Onnx.Protobuf;
using Google.Protobuf;

namespace Courseware.Models.Onnx;

/// <summary>
/// Writes TinyGpt as an ONNX model (opset 17, IR version 8): input <c>input_ids</c> int64 [batch, sequence],
/// output <c>logits</c> float [batch, sequence, vocabulary], both axes dynamic. The graph spells out the same
/// computation as <see cref="TinyGptNetwork"/> with standard operators (Gather, LayerNormalization, MatMul,
/// Softmax, Erf for the exact GELU) and the same constant tables (<see cref="TinyGptTables"/>).
/// Protobuf classes are generated from the official onnx.proto (Generated/, see Generated/README.md).
/// </summary>
internal sealed class TinyGptOnnxExporter
{
    public const int Opset = 17;
    public const long IrVersion = 8;
    public const string InputName = "input_ids", OutputName = "logits";

    private readonly GraphProto _graph = new() { Name = "tinygpt" };
    private readonly Dictionary<string, float[]> _weights;
    private readonly Dictionary<string, long[]> _shapes;
    private int _counter;

    private TinyGptOnnxExporter(IReadOnlyList<SafeTensor> weights)
    {
        _weights = weights.ToDictionary(t => t.Name, t => t.ToFloats());
        _shapes = weights.ToDictionary(t => t.Name, t => t.Shape);
    }

    /// <summary>Builds the ONNX model of a TinyGpt.</summary>
    public static ModelProto Build(TinyGpt model)
    {
        var exporter = new TinyGptOnnxExporter(model.ExportWeights());
        exporter.BuildGraph(model.Config);
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Courseware.Models",
            ProducerVersion = typeof(TinyGptOnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = exporter._graph,
            DocString = $"TinyGpt {model.Config}",
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return proto;
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically.</summary>
    public static void Write(TinyGpt model, string path)
    {
        ModelProto proto = Build(model);
        AtomicFile.Write(path, stream => proto.WriteTo(stream));
    }

    private void BuildGraph(TinyGptConfig config)
    {
        _graph.Input.Add(TensorInfo(InputName, TensorProto.Types.DataType.Int64, "batch", "sequence"));
        _graph.Output.Add(TensorInfo(OutputName, TensorProto.Types.DataType.Float, "batch", "sequence", config.VocabularySize));

        // T as a 1-element tensor, for slicing the position tables to the input's length.
        string length = Node("Unsqueeze", [Node("Gather", [Node("Shape", [InputName]), Int64Scalar(1)], ("axis", 0L)), Int64s([0])]);
        string zero = Int64s([0]);

        string h = Node("Gather", [Weight("token_embedding.weight"), InputName], ("axis", 0L));
        if (config.Positions == PositionEncoding.Learned)
            h = Node("Add", [h, Node("Slice", [Weight("position_embedding.weight"), zero, length, zero])]);

        int n = config.ContextLength;
        string mask = Node("Slice", [Floats(TinyGptTables.CausalMask(n), [n, n]), Int64s([0, 0]), Node("Concat", [length, length], ("axis", 0L)), Int64s([0, 1])]);
        string? cos = null, sin = null;
        if (config.Positions == PositionEncoding.Rotary)
        {
            var (cosTable, sinTable) = TinyGptTables.Rotary(n, config.HeadWidth, config.RotaryBase);
            cos = Node("Slice", [Floats(cosTable, [n, config.HeadWidth]), zero, length, zero]);
            sin = Node("Slice", [Floats(sinTable, [n, config.HeadWidth]), zero, length, zero]);
        }

        for (int layer = 0; layer < config.Layers; layer++) h = Block(config, $"blocks.{layer}.", h, mask, cos, sin);

        string normed = LayerNorm(h, "final_norm.", config.LayerNormEpsilon);
        _graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "lm_head", Input = { normed, TransposedWeight("lm_head.weight") }, Output = { OutputName } });
    }

    private string Block(TinyGptConfig config, string prefix, string h, string mask, string? cos, string? sin)
    {
        int hd = config.HeadWidth;
        string qkv = Linear(LayerNorm(h, prefix + "attention_norm.", config.LayerNormEpsilon), prefix + "qkv.");
        string[] parts = Nodes("Split", [qkv, Int64s([config.Width, config.Width, config.Width])], 3, ("axis", -1L));
        string headShape = Int64s([0, 0, config.Heads, hd]); // Reshape's 0 copies batch and sequence from the input
        string Heads(string x) => Node("Transpose", [Node("Reshape", [x, headShape])], ("perm", new long[] { 0, 2, 1, 3 }));
        string q = Heads(parts[0]), k = Heads(parts[1]), v = Heads(parts[2]);
        if (cos != null && sin != null)
        {
            q = Rotate(q, cos, sin, hd);
            k = Rotate(k, cos, sin, hd);
        }
        string scores = Node("MatMul", [q, Node("Transpose", [k], ("perm", new long[] { 0, 1, 3, 2 }))]);
        scores = Node("Add", [Node("Mul", [scores, FloatScalar((float)(1.0 / Math.Sqrt(hd)))]), mask]);
        string attended = Node("MatMul", [Node("Softmax", [scores], ("axis", -1L)), v]);
        attended = Node("Reshape", [Node("Transpose", [attended], ("perm", new long[] { 0, 2, 1, 3 })), Int64s([0, 0, config.Width])]);
        h = Node("Add", [h, Linear(attended, prefix + "attention_out.")]);

        string up = Linear(LayerNorm(h, prefix + "mlp_norm.", config.LayerNormEpsilon), prefix + "mlp_in.");
        // Exact GELU (TorchSharp's default), written as (x · (erf(x / √2) + 1)) · 0.5: the pattern ONNX Runtime fuses into one Gelu kernel.
        string erf = Node("Erf", [Node("Div", [up, FloatScalar((float)Math.Sqrt(2.0))])]);
        string gelu = Node("Mul", [Node("Mul", [up, Node("Add", [erf, FloatScalar(1f)])]), FloatScalar(0.5f)]);
        return Node("Add", [h, Linear(gelu, prefix + "mlp_out.")]);
    }

    /// <summary>x·cos + rotate_half(x)·sin on [B, H, T, hd].</summary>
    private string Rotate(string x, string cos, string sin, int hd)
    {
        int half = hd / 2;
        string axis = Int64s([3]);
        string first = Node("Slice", [x, Int64s([0]), Int64s([half]), axis]);
        string second = Node("Slice", [x, Int64s([half]), Int64s([hd]), axis]);
        string rotated = Node("Concat", [Node("Neg", [second]), first], ("axis", 3L));
        return Node("Add", [Node("Mul", [x, cos]), Node("Mul", [rotated, sin])]);
    }

    private string LayerNorm(string x, string prefix, double epsilon) =>
        Node("LayerNormalization", [x, Weight(prefix + "weight"), Weight(prefix + "bias")], ("axis", -1L), ("epsilon", (float)epsilon));

    /// <summary>TorchSharp's Linear computes x·Wᵀ + b with W [out, in]; the initializer stores Wᵀ so one MatMul does it.</summary>
    private string Linear(string x, string prefix) => Node("Add", [Node("MatMul", [x, TransposedWeight(prefix + "weight")]), Weight(prefix + "bias")]);

    private string Weight(string name)
    {
        if (!_weights.TryGetValue(name, out float[]? values)) throw new InvalidOperationException($"TinyGpt has no parameter '{name}'.");
        if (_graph.Initializer.All(i => i.Name != name)) _graph.Initializer.Add(FloatTensor(name, values, _shapes[name]));
        return name;
    }

    private string TransposedWeight(string name)
    {
        string transposedName = name + ".T";
        if (_graph.Initializer.Any(i => i.Name == transposedName)) return transposedName;
        float[] w = _weights[name];
        long rows = _shapes[name][0], columns = _shapes[name][1];
        var t = new float[w.Length];
        for (long r = 0; r < rows; r++)
        for (long c = 0; c < columns; c++) t[c * rows + r] = w[r * columns + c];
        _graph.Initializer.Add(FloatTensor(transposedName, t, [columns, rows]));
        return transposedName;
    }

    private string Floats(float[] values, long[] shape)
    {
        string name = $"const_{_counter++}";
        _graph.Initializer.Add(FloatTensor(name, values, shape));
        return name;
    }

    private string FloatScalar(float value) => Floats([value], []);

    private string Int64s(long[] values) => Int64Tensor(values, [values.Length]);

    private string Int64Scalar(long value) => Int64Tensor([value], []);

    private string Int64Tensor(long[] values, long[] shape)
    {
        string name = $"const_{_counter++}";
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(shape);
        _graph.Initializer.Add(tensor);
        return name;
    }

    private static TensorProto FloatTensor(string name, float[] values, long[] shape)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(shape);
        return tensor;
    }

    private string Node(string op, string[] inputs, params (string Name, object Value)[] attributes) => Nodes(op, inputs, 1, attributes)[0];

    private string[] Nodes(string op, string[] inputs, int outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{_counter++}" };
        node.Input.AddRange(inputs);
        string[] names = Enumerable.Range(0, outputs).Select(i => $"{node.Name}_out{i}").ToArray();
        node.Output.AddRange(names);
        foreach (var (name, value) in attributes) node.Attribute.Add(Attribute(name, value));
        _graph.Node.Add(node);
        return names;
    }

    private static AttributeProto Attribute(string name, object value) => value switch
    {
        long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        long[] ints => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints } },
        _ => throw new ArgumentException($"Unsupported attribute type {value.GetType().Name} for '{name}'."),
    };

    private static ValueInfoProto TensorInfo(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
        {
            shape.Dim.Add(dim is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim) });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
