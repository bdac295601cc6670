using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Notebooks;
using Microsoft.ML;

namespace Courseware.Reproducibility;

/// <summary>Names of the usual random components of a training pipeline (any other name works too).</summary>
public static class SeedComponents
{
    /// <summary>Train/validation/test split.</summary>
    public const string DataSplit = "data_split";
    /// <summary>Order of examples within an epoch.</summary>
    public const string Shuffle = "shuffle";
    /// <summary>Initial weights.</summary>
    public const string Initialization = "init";
    /// <summary>Dropout masks.</summary>
    public const string Dropout = "dropout";
    /// <summary>Data augmentation.</summary>
    public const string Augmentation = "augmentation";

    /// <summary>The five components above, in pipeline order.</summary>
    public static IReadOnlyList<string> Standard { get; } = [DataSplit, Shuffle, Initialization, Dropout, Augmentation];
}

/// <summary>
/// One master seed, expanded into a named seed per random component of a pipeline.
/// Each component seed is the first 31 bits of SHA-256("courseware.seed.v1" ‖ 0 ‖ master ‖ 0 ‖ name) — a pure function
/// of the master seed and the name, so it is the same in every process, on every platform and .NET version
/// (unlike <see cref="string.GetHashCode()"/>, which is randomised per process).
/// </summary>
/// <example><code>var seeds = new SeedPlan(42); var rng = seeds.CreateRandom(SeedComponents.Shuffle);</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class SeedPlan : IEquatable<SeedPlan>
{
    private const string DerivationLabel = "courseware.seed.v1";
    private readonly Dictionary<string, int> _fixed;

    /// <summary>A plan over <paramref name="components"/> (the <see cref="SeedComponents.Standard"/> five when none are given).</summary>
    public SeedPlan(int masterSeed, params IEnumerable<string> components)
        : this(masterSeed, components.Any() ? components.ToArray() : SeedComponents.Standard.ToArray(), new Dictionary<string, int>(StringComparer.Ordinal))
    {
    }

    private SeedPlan(int masterSeed, string[] components, Dictionary<string, int> fixedSeeds)
    {
        foreach (var name in components)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A seed component name must not be empty.", nameof(components));
        }
        var duplicate = components.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Seed component '{duplicate.Key}' is listed twice.", nameof(components));
        MasterSeed = masterSeed;
        Components = components;
        _fixed = fixedSeeds;
    }

    /// <summary>The seed every component seed derives from.</summary>
    public int MasterSeed { get; }

    /// <summary>The component names, in the order given.</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>Components whose seed was set explicitly (<see cref="WithSeed"/>, <see cref="Vary"/>) rather than derived.</summary>
    public IReadOnlyDictionary<string, int> FixedSeeds => _fixed;

    /// <summary>The seed of <paramref name="component"/>; a name not in the plan is an error (a misspelt name would silently get its own seed).</summary>
    public int this[string component] => Seed(component);

    /// <summary>The seed of <paramref name="component"/> (non-negative, fits every API that takes an int seed).</summary>
    public int Seed(string component)
    {
        if (_fixed.TryGetValue(component, out var seed)) return seed;
        if (!Components.Contains(component, StringComparer.Ordinal))
        {
            var hint = NameSuggestion.Closest(component, Components);
            throw new KeyNotFoundException(
                $"Seed component '{component}' is not in this plan (components: {string.Join(", ", Components)})." +
                (hint is null ? "" : $" Did you mean '{hint}'?"));
        }
        return Derive(MasterSeed, component);
    }

    /// <summary>The derivation itself: first four bytes of SHA-256 of the label, master seed and name, big-endian, top bit cleared.</summary>
    public static int Derive(int masterSeed, string component)
    {
        ArgumentNullException.ThrowIfNull(component);
        return First31Bits(string.Create(CultureInfo.InvariantCulture, $"{DerivationLabel}\0{masterSeed}\0{component}"));
    }

    /// <summary>
    /// The seed of <paramref name="component"/> at <paramref name="step"/> (an epoch, say): the first 31 bits of
    /// SHA-256("courseware.seed.v1/step" ‖ 0 ‖ component seed ‖ 0 ‖ step). A generator made fresh from it each epoch
    /// gives the same draws whether the run started at epoch 0 or resumed at epoch k — System.Random's state cannot be
    /// saved in a checkpoint, but the step can.
    /// </summary>
    public int Seed(string component, long step) => DeriveStep(Seed(component), step);

    /// <summary>A <see cref="Random"/> for <paramref name="component"/> at <paramref name="step"/> (see <see cref="Seed(string, long)"/>).</summary>
    /// <example><code>var order = seeds.CreateRandom(SeedComponents.Shuffle, epoch);</code></example>
    public Random CreateRandom(string component, long step) => new(Seed(component, step));

    private static int DeriveStep(int componentSeed, long step) =>
        First31Bits(string.Create(CultureInfo.InvariantCulture, $"{DerivationLabel}/step\0{componentSeed}\0{step}"));

    private static int First31Bits(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return (int)(BinaryPrimitives.ReadUInt32BigEndian(hash) & 0x7FFF_FFFF);
    }

    /// <summary>A copy with <paramref name="component"/>'s seed fixed to <paramref name="seed"/> (others unchanged).</summary>
    public SeedPlan WithSeed(string component, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        var components = Components.Contains(component, StringComparer.Ordinal) ? Components.ToArray() : [.. Components, component];
        return new SeedPlan(MasterSeed, components, new Dictionary<string, int>(_fixed, StringComparer.Ordinal) { [component] = seed });
    }

    /// <summary>A copy in which only <paramref name="component"/>'s seed differs (deterministically, by <paramref name="variant"/>).</summary>
    public SeedPlan Vary(string component, int variant = 1)
    {
        _ = Seed(component);
        var seed = Derive(MasterSeed, string.Create(CultureInfo.InvariantCulture, $"{component}\0variant\0{variant}"));
        return WithSeed(component, seed);
    }

    /// <summary>A plan with the same components under another master seed (the fixed seeds are dropped).</summary>
    public SeedPlan WithMasterSeed(int masterSeed) => new(masterSeed, Components.ToArray(), new Dictionary<string, int>(StringComparer.Ordinal));

    /// <summary>A <see cref="Random"/> for <paramref name="component"/>.</summary>
    public Random CreateRandom(string component) => new(Seed(component));

    /// <summary>An ML.NET context whose seed is <paramref name="component"/>'s seed (ML.NET derives every trainer's randomness from it).</summary>
    public MLContext CreateMLContext(string component = SeedComponents.Initialization) => new(seed: Seed(component));

    /// <summary>Every seed as run parameters: <c>seed.master</c> and <c>seed.&lt;component&gt;</c>, ready to log on a tracking run.</summary>
    public IReadOnlyDictionary<string, string> ToParameters()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal) { ["seed.master"] = MasterSeed.ToString(CultureInfo.InvariantCulture) };
        foreach (var c in Components) result["seed." + c] = Seed(c).ToString(CultureInfo.InvariantCulture);
        return result;
    }

    /// <summary>JSON: master seed, components with their seeds, and which seeds were fixed by hand.</summary>
    public string ToJson()
    {
        var components = new JsonObject();
        foreach (var c in Components) components[c] = Seed(c);
        var obj = new JsonObject
        {
            ["master_seed"] = MasterSeed,
            ["derivation"] = "sha256(\"courseware.seed.v1\\0<master>\\0<component>\")[0..4] big-endian & 0x7fffffff",
            ["components"] = components,
            ["fixed"] = new JsonArray(_fixed.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)k).ToArray()),
        };
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads <see cref="ToJson"/>'s output back; derived seeds are checked against the derivation.</summary>
    public static SeedPlan FromJson(string json)
    {
        var obj = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("Seed plan JSON must be an object.");
        var master = obj["master_seed"]?.GetValue<int>() ?? throw new FormatException("Seed plan JSON lacks 'master_seed'.");
        var components = obj["components"]?.AsObject() ?? throw new FormatException("Seed plan JSON lacks 'components'.");
        var fixedNames = obj["fixed"]?.AsArray().Select(n => n!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) ?? [];
        var plan = new SeedPlan(master, components.Select(p => p.Key));
        foreach (var (name, value) in components)
        {
            var seed = value!.GetValue<int>();
            if (fixedNames.Contains(name)) plan = plan.WithSeed(name, seed);
            else if (seed != Derive(master, name))
                throw new FormatException($"Seed of '{name}' is {seed}, but master seed {master} derives {Derive(master, name)}; mark it as fixed or correct it.");
        }
        return plan;
    }

    /// <inheritdoc />
    public bool Equals(SeedPlan? other) =>
        other is not null && MasterSeed == other.MasterSeed && Components.SequenceEqual(other.Components)
        && Components.All(c => Seed(c) == other.Seed(c));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SeedPlan);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(MasterSeed, Components.Count, Components.Count > 0 ? Seed(Components[0]) : 0);

    /// <inheritdoc />
    public override string ToString() =>
        $"SeedPlan(master={MasterSeed}; {string.Join(", ", Components.Select(c => $"{c}={Seed(c)}{(_fixed.ContainsKey(c) ? "*" : "")}"))})";
}
