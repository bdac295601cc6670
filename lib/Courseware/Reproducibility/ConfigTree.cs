using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Courseware.Reproducibility;

/// <summary>Where a configuration value came from: a file position, or a command-line override.</summary>
/// <param name="File">The YAML file, or a description such as "override 'optimizer.lr=0.1'".</param>
/// <param name="Line">1-based line (0 for an override).</param>
/// <param name="Column">1-based column (0 for an override).</param>
public readonly record struct ConfigLocation(string File, int Line, int Column)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

/// <summary>A configuration problem, with the key and where it was written.</summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception; the message names the location and, when given, the suggestion.</summary>
    public ConfigException(string key, ConfigLocation location, string problem, string? suggestion = null)
        : base($"{location}: {problem}{(suggestion is null ? "" : $" Did you mean '{suggestion}'?")}")
    {
        Key = key;
        Location = location;
        Suggestion = suggestion;
    }

    /// <summary>Dotted path of the key concerned.</summary>
    public string Key { get; }

    /// <summary>Where it was written.</summary>
    public ConfigLocation Location { get; }

    /// <summary>The closest valid key, when the key looks misspelt.</summary>
    public string? Suggestion { get; }
}

/// <summary>A node of a configuration tree that remembers where each value was written.</summary>
internal abstract class ConfigNode(ConfigLocation location)
{
    public ConfigLocation Location { get; set; } = location;

    public abstract ConfigNode Clone();
}

internal sealed class ScalarNode(string? value, bool quoted, ConfigLocation location) : ConfigNode(location)
{
    /// <summary>The text; null for YAML null (~, null, or nothing).</summary>
    public string? Value { get; } = value;

    /// <summary>Quoted scalars are always strings.</summary>
    public bool Quoted { get; } = quoted;

    public override ConfigNode Clone() => new ScalarNode(Value, Quoted, Location);
}

internal sealed class SequenceNode(List<ConfigNode> items, ConfigLocation location) : ConfigNode(location)
{
    public List<ConfigNode> Items { get; } = items;

    public override ConfigNode Clone() => new SequenceNode(Items.Select(i => i.Clone()).ToList(), Location);
}

internal sealed class MappingNode(ConfigLocation location) : ConfigNode(location)
{
    /// <summary>Keys in the order written, each with its value and the key's own position.</summary>
    public OrderedDictionary<string, (ConfigNode Value, ConfigLocation KeyLocation)> Entries { get; } = new(StringComparer.Ordinal);

    public override ConfigNode Clone()
    {
        var copy = new MappingNode(Location);
        foreach (var (key, entry) in Entries) copy.Entries[key] = (entry.Value.Clone(), entry.KeyLocation);
        return copy;
    }

    /// <summary>Hydra's merge: mappings merge key by key, anything else is replaced by the later value.</summary>
    public void Merge(MappingNode later)
    {
        foreach (var (key, entry) in later.Entries)
        {
            if (Entries.TryGetValue(key, out var mine) && mine.Value is MappingNode a && entry.Value is MappingNode b) a.Merge(b);
            else Entries[key] = (entry.Value.Clone(), entry.KeyLocation);
        }
    }
}

/// <summary>Reading YAML into <see cref="ConfigNode"/>s and writing them back.</summary>
internal static class ConfigYaml
{
    public static MappingNode LoadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file '{path}' does not exist.", path);
        var root = Parse(File.ReadAllText(path), path);
        return root switch
        {
            MappingNode m => m,
            ScalarNode { Value: null } s => new MappingNode(s.Location), // an empty file is an empty config
            _ => throw new ConfigException("", root.Location, "a config file must hold a mapping (key: value lines) at the top."),
        };
    }

    /// <summary>Parses one YAML document; <paramref name="source"/> names it in locations and errors.</summary>
    public static ConfigNode Parse(string text, string source, bool overrideValue = false)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var location = overrideValue ? new ConfigLocation(source, 0, 0) : new ConfigLocation(source, (int)e.Start.Line, (int)e.Start.Column);
            throw new ConfigException("", location, $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        if (stream.Documents.Count == 0) return new ScalarNode(null, false, new ConfigLocation(source, overrideValue ? 0 : 1, overrideValue ? 0 : 1));
        return Convert(stream.Documents[0].RootNode, source, overrideValue);
    }

    private static ConfigNode Convert(YamlNode node, string source, bool overrideValue)
    {
        var location = overrideValue ? new ConfigLocation(source, 0, 0) : new ConfigLocation(source, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlScalarNode s:
                var quoted = s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded;
                var isNull = !quoted && (s.Value is null || s.Value is "" or "~" or "null" or "Null" or "NULL");
                return new ScalarNode(isNull ? null : s.Value, quoted, location);
            case YamlSequenceNode seq:
                return new SequenceNode(seq.Children.Select(c => Convert(c, source, overrideValue)).ToList(), location);
            case YamlMappingNode map:
                var m = new MappingNode(location);
                foreach (var (k, v) in map.Children)
                {
                    var keyLocation = overrideValue ? location : new ConfigLocation(source, (int)k.Start.Line, (int)k.Start.Column);
                    if (k is not YamlScalarNode { Value: { } key })
                        throw new ConfigException("", keyLocation, "keys must be plain strings.");
                    if (m.Entries.ContainsKey(key)) throw new ConfigException(key, keyLocation, $"key '{key}' appears twice in the same mapping.");
                    m.Entries[key] = (Convert(v, source, overrideValue), keyLocation);
                }
                return m;
            default:
                throw new ConfigException("", location, "aliases and anchors are not supported in configs.");
        }
    }

    public static string ToYaml(ConfigNode root)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        Emit(emitter, root);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void Emit(IEmitter emitter, ConfigNode node)
    {
        switch (node)
        {
            case ScalarNode { Value: null }:
                emitter.Emit(new Scalar("null"));
                break;
            case ScalarNode s:
                emitter.Emit(s.Quoted
                    ? new Scalar(AnchorName.Empty, TagName.Empty, s.Value, ScalarStyle.DoubleQuoted, false, true)
                    : new Scalar(s.Value));
                break;
            case SequenceNode seq:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, SequenceStyle.Block));
                foreach (var item in seq.Items) Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            case MappingNode map:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
                foreach (var (key, entry) in map.Entries)
                {
                    emitter.Emit(new Scalar(key));
                    Emit(emitter, entry.Value);
                }
                emitter.Emit(new MappingEnd());
                break;
        }
    }
}
