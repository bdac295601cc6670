using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>
/// Hydra-style configuration: a primary YAML file whose <c>defaults:</c> list pulls in one option per config group
/// (<c>- model: small</c> loads <c>model/small.yaml</c> under the key <c>model</c>) and other files, merged in order
/// (<c>_self_</c> marks where the primary's own keys go; last by default), then command-line overrides:
/// <c>group=option</c> picks another option, <c>key.path=value</c> changes an existing value, <c>+key=value</c> adds a
/// key, <c>++key=value</c> adds or changes, <c>~key</c> deletes. The result binds strictly to a C# type: an unknown or
/// misspelt key stops the run before it starts, naming the key, the file and line, and the closest valid key.
/// Not supported (an error says so): interpolation (<c>${...}</c>), <c>@package</c>, nested defaults lists.
/// </summary>
/// <example><code>var cfg = ConfigComposer.Compose&lt;TrainConfig&gt;("configs", ["model=large", "optimizer.lr=3e-4"]);</code></example>
public static class ConfigComposer
{
    /// <summary>Composes <c>&lt;configDirectory&gt;/&lt;configName&gt;.yaml</c> with <paramref name="overrides"/> and binds it to <typeparamref name="T"/>.</summary>
    /// <param name="configDirectory">Folder holding the primary config and one sub-folder per config group.</param>
    /// <param name="overrides">Command-line style overrides, applied in order.</param>
    /// <param name="configName">Primary config file name without .yaml.</param>
    /// <param name="command">The command line to record (default: this process's command line).</param>
    public static ResolvedConfig<T> Compose<T>(string configDirectory, IEnumerable<string>? overrides = null, string configName = "config", string? command = null)
    {
        var dir = Path.GetFullPath(configDirectory);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Config folder '{dir}' does not exist.");
        var parsed = (overrides ?? []).Select(Override.Parse).ToList();
        var sources = new List<string>();
        var tree = ComposeTree(dir, configName, parsed, sources);
        foreach (var o in parsed.Where(o => !o.IsGroupChoice)) o.Apply(tree);
        var value = ConfigBinder.Bind<T>(tree);
        return new ResolvedConfig<T>(value, tree, parsed.Select(o => o.Text).ToList(), command ?? CurrentCommand(), dir, configName, sources);
    }

    private static MappingNode ComposeTree(string dir, string configName, List<Override> overrides, List<string> sources)
    {
        var primaryPath = FindYaml(dir, configName) ?? throw new FileNotFoundException($"No primary config '{configName}.yaml' in '{dir}'.");
        var primary = ConfigYaml.LoadFile(primaryPath);

        // The defaults list: (group or null, option, where) in order, with _self_ as a marker.
        var defaults = new List<(string? Group, string? Option, ConfigLocation Location)>();
        if (primary.Entries.Remove("defaults", out var defaultsEntry))
        {
            if (defaultsEntry.Value is not SequenceNode list)
                throw new ConfigException("defaults", defaultsEntry.KeyLocation, "'defaults' must be a list, e.g. '- model: small'.");
            foreach (var item in list.Items)
            {
                switch (item)
                {
                    case ScalarNode { Value: { } name }:
                        defaults.Add((null, name, item.Location));
                        break;
                    case MappingNode { Entries.Count: 1 } m:
                        var (key, entry) = m.Entries.First();
                        var group = key.StartsWith("override ", StringComparison.Ordinal) ? key["override ".Length..].Trim() : key;
                        if (group.Contains('@') || group.StartsWith("optional ", StringComparison.Ordinal))
                            throw new ConfigException(group, entry.KeyLocation, $"'{key}': @package and optional defaults are not supported.");
                        if (entry.Value is not ScalarNode option)
                            throw new ConfigException(group, entry.KeyLocation, $"the option of group '{group}' must be a name (or null).");
                        defaults.Add((group, option.Value, entry.KeyLocation));
                        break;
                    default:
                        throw new ConfigException("defaults", item.Location, "a defaults entry must be '_self_', a config name, or 'group: option'.");
                }
            }
        }
        if (!defaults.Any(d => d is { Group: null, Option: "_self_" })) defaults.Add((null, "_self_", primary.Location));

        foreach (var o in overrides) o.ResolveGroup(dir, defaults.Where(d => d.Group is not null).Select(d => d.Group!).ToList());
        foreach (var o in overrides.Where(o => o.IsGroupChoice))
        {
            var index = defaults.FindIndex(d => d.Group == o.Path);
            if (o.Kind == OverrideKind.Delete)
            {
                if (index < 0) throw new ConfigException(o.Path, o.Location, $"cannot delete group '{o.Path}': it is not in the defaults list.");
                defaults.RemoveAt(index);
            }
            else if (index >= 0 && o.Kind == OverrideKind.Add)
                throw new ConfigException(o.Path, o.Location, $"group '{o.Path}' is already in the defaults list; select an option with '{o.Path}={o.RawValue}'.");
            else if (index < 0 && o.Kind == OverrideKind.Set)
                throw new ConfigException(o.Path, o.Location, $"group '{o.Path}' is not in the defaults list; add it with '+{o.Path}={o.RawValue}'.");
            else if (index >= 0) defaults[index] = (o.Path, o.RawValue, o.Location);
            else defaults.Insert(defaults.FindIndex(d => d is { Group: null, Option: "_self_" }), (o.Path, o.RawValue, o.Location));
        }

        var tree = new MappingNode(primary.Location);
        foreach (var (group, option, location) in defaults)
        {
            if (group is null && option == "_self_")
            {
                tree.Merge(primary);
                sources.Add(primaryPath);
                continue;
            }
            if (option is null) continue; // "group: null" leaves the group out
            var folder = group is null ? dir : Path.Combine(dir, group.Replace('.', Path.DirectorySeparatorChar));
            var path = FindYaml(folder, option);
            if (path is null)
            {
                var available = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.y*ml").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal).ToList() : [];
                var what = group is null ? $"config '{option}'" : $"option '{option}' of group '{group}'";
                throw new ConfigException(group ?? option, location, $"{what} not found in '{folder}' (available: {(available.Count == 0 ? "none" : string.Join(", ", available))}).",
                    NameSuggestion.Closest(option, available));
            }
            var content = ConfigYaml.LoadFile(path);
            if (content.Entries.TryGetValue("defaults", out var nested))
                throw new ConfigException("defaults", nested.KeyLocation, "defaults lists inside group configs are not supported; list every group in the primary config.");
            sources.Add(path);
            if (group is null)
            {
                tree.Merge(content);
                continue;
            }
            // A group's content goes under its key path (model/encoder → model.encoder).
            var wrapper = content;
            var parts = group.Split('/', '.');
            for (var i = parts.Length - 1; i >= 0; i--)
            {
                var outer = new MappingNode(location);
                outer.Entries[parts[i]] = (wrapper, location);
                wrapper = outer;
            }
            tree.Merge(wrapper);
        }
        return tree;
    }

    private static string? FindYaml(string folder, string name) =>
        new[] { ".yaml", ".yml" }.Select(ext => Path.Combine(folder, name + ext)).FirstOrDefault(File.Exists);

    private static string CurrentCommand() => string.Join(' ', Environment.GetCommandLineArgs().Select(ShellQuote));

    /// <summary>POSIX-shell quoting, so the saved command can be pasted back into a shell.</summary>
    internal static string ShellQuote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:+,@%~".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";

    private enum OverrideKind { Set, Add, ForceAdd, Delete }

    /// <summary>One override, as Hydra's grammar spells it.</summary>
    private sealed class Override
    {
        private Override(string text, OverrideKind kind, string path, string? rawValue)
        {
            Text = text;
            Kind = kind;
            Path = path;
            RawValue = rawValue;
            Location = new ConfigLocation($"override '{text}'", 0, 0);
        }

        public string Text { get; }
        public OverrideKind Kind { get; }
        public string Path { get; }
        public string? RawValue { get; }
        public ConfigLocation Location { get; }
        public bool IsGroupChoice { get; private set; }

        public static Override Parse(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            var kind = text.StartsWith("++", StringComparison.Ordinal) ? OverrideKind.ForceAdd
                : text.StartsWith('+') ? OverrideKind.Add
                : text.StartsWith('~') ? OverrideKind.Delete
                : OverrideKind.Set;
            var body = text[(kind switch { OverrideKind.ForceAdd => 2, OverrideKind.Set => 0, _ => 1 })..];
            var eq = body.IndexOf('=');
            var path = (eq < 0 ? body : body[..eq]).Trim();
            var value = eq < 0 ? null : body[(eq + 1)..];
            var o = new Override(text, kind, path, value);
            if (path.Length == 0 || path.Split('.').Any(p => p.Length == 0))
                throw new ConfigException(path, o.Location, "expected 'key.path=value' (or +key=value, ++key=value, ~key, group=option).");
            if (value is null && kind != OverrideKind.Delete)
                throw new ConfigException(path, o.Location, $"missing '=value' (to delete the key write '~{path}').");
            return o;
        }

        /// <summary>Hydra's rule: a name that is a config group (a folder, or in the defaults list) selects an option.</summary>
        public void ResolveGroup(string dir, IReadOnlyList<string> groups) =>
            IsGroupChoice = !Path.Contains('.') && (groups.Contains(Path) || Directory.Exists(System.IO.Path.Combine(dir, Path)))
                && (RawValue is null || !RawValue.Contains('/'));

        public void Apply(MappingNode root)
        {
            var parts = Path.Split('.');
            var parent = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (parent.Entries.TryGetValue(parts[i], out var entry))
                {
                    parent = entry.Value as MappingNode
                        ?? throw new ConfigException(Path, Location, $"'{string.Join('.', parts[..(i + 1)])}' is a value, not a mapping, so '{Path}' cannot exist.");
                }
                else if (Kind is OverrideKind.Add or OverrideKind.ForceAdd)
                {
                    var created = new MappingNode(Location);
                    parent.Entries[parts[i]] = (created, Location);
                    parent = created;
                }
                else throw Missing(root, parts[..(i + 1)]);
            }

            var last = parts[^1];
            var exists = parent.Entries.ContainsKey(last);
            switch (Kind)
            {
                case OverrideKind.Delete when !exists:
                    throw Missing(root, parts);
                case OverrideKind.Delete:
                    parent.Entries.Remove(last);
                    return;
                case OverrideKind.Set when !exists:
                    throw Missing(root, parts);
                case OverrideKind.Add when exists:
                    throw new ConfigException(Path, Location, $"'{Path}' already exists; use '{Path}={RawValue}' to change it or '++{Path}={RawValue}' to force.");
            }
            parent.Entries[last] = (ParseValue(), Location);
        }

        private ConfigNode ParseValue() =>
            RawValue!.Length == 0 ? new ScalarNode("", true, Location) : ConfigYaml.Parse(RawValue, Location.File, overrideValue: true);

        private ConfigException Missing(MappingNode root, string[] parts)
        {
            var prefix = string.Join('.', parts[..^1]);
            var siblings = Lookup(root, parts[..^1]) is MappingNode m ? m.Entries.Keys.Select(k => prefix.Length == 0 ? k : $"{prefix}.{k}") : [];
            var add = Kind == OverrideKind.Delete ? "" : $" To add it, write '+{Path}={RawValue}'.";
            return new ConfigException(Path, Location, $"cannot {(Kind == OverrideKind.Delete ? "delete" : "override")} '{string.Join('.', parts)}': the config has no such key.{add}",
                NameSuggestion.Closest(string.Join('.', parts), siblings));
        }

        private static ConfigNode? Lookup(MappingNode root, string[] parts)
        {
            ConfigNode? node = root;
            foreach (var p in parts) node = node is MappingNode m && m.Entries.TryGetValue(p, out var e) ? e.Value : null;
            return node;
        }
    }
}

/// <summary>A composed configuration: the bound value, the resolved YAML, and how it was produced.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class ResolvedConfig<T>
{
    private readonly MappingNode _tree;

    internal ResolvedConfig(T value, MappingNode tree, IReadOnlyList<string> overrides, string command, string configDirectory, string configName, IReadOnlyList<string> sources)
    {
        Value = value;
        _tree = tree;
        Overrides = overrides;
        Command = command;
        ConfigDirectory = configDirectory;
        ConfigName = configName;
        Sources = sources;
    }

    /// <summary>The configuration, bound to <typeparamref name="T"/>.</summary>
    public T Value { get; }

    /// <summary>The overrides, as given.</summary>
    public IReadOnlyList<string> Overrides { get; }

    /// <summary>The command that produced this configuration.</summary>
    public string Command { get; }

    /// <summary>The config folder.</summary>
    public string ConfigDirectory { get; }

    /// <summary>The primary config name.</summary>
    public string ConfigName { get; }

    /// <summary>Files merged, in merge order.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The resolved configuration as YAML (every file and override applied).</summary>
    public string ToYaml() => ConfigYaml.ToYaml(_tree);

    /// <summary>The command, overrides and sources as YAML (the run's "how to get this config again").</summary>
    public string CommandYaml()
    {
        var root = new MappingNode(default);
        var here = new ConfigLocation("", 0, 0);
        ScalarNode S(string v) => new(v, true, here);
        root.Entries["command"] = (S(Command), here);
        root.Entries["overrides"] = (new SequenceNode(Overrides.Select(o => (ConfigNode)S(o)).ToList(), here), here);
        root.Entries["config_dir"] = (S(ConfigDirectory), here);
        root.Entries["config_name"] = (S(ConfigName), here);
        root.Entries["sources"] = (new SequenceNode(Sources.Select(s => (ConfigNode)S(s)).ToList(), here), here);
        return ConfigYaml.ToYaml(root);
    }

    /// <summary>Writes <c>config.yaml</c> (resolved) and <c>command.yaml</c> into <paramref name="directory"/> — do it for every run and checkpoint.</summary>
    public void SaveTo(string directory)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, "config.yaml"), ToYaml());
        AtomicFile.WriteAllText(Path.Combine(directory, "command.yaml"), CommandYaml());
    }

    /// <summary>Reads a configuration saved by <see cref="SaveTo"/> and binds it again, as strictly as at the start.</summary>
    public static ResolvedConfig<T> Load(string directory)
    {
        var configPath = Path.Combine(Path.GetFullPath(directory), "config.yaml");
        var commandPath = Path.Combine(Path.GetFullPath(directory), "command.yaml");
        var tree = ConfigYaml.LoadFile(configPath);
        var meta = ConfigYaml.LoadFile(commandPath);
        string Text(string key) => meta.Entries.TryGetValue(key, out var e) && e.Value is ScalarNode { Value: { } v } ? v
            : throw new ConfigException(key, new ConfigLocation(commandPath, 1, 1), $"'{key}' is missing.");
        IReadOnlyList<string> List(string key) => meta.Entries.TryGetValue(key, out var e) && e.Value is SequenceNode s
            ? s.Items.OfType<ScalarNode>().Select(i => i.Value ?? "").ToList()
            : throw new ConfigException(key, new ConfigLocation(commandPath, 1, 1), $"'{key}' is missing.");
        return new ResolvedConfig<T>(ConfigBinder.Bind<T>(tree), tree, List("overrides"), Text("command"), Text("config_dir"), Text("config_name"), List("sources"));
    }

    /// <summary>Every leaf as a dotted-key parameter (lists as their YAML flow text), ready to log on a tracking run.</summary>
    public IReadOnlyDictionary<string, string> ToParameters()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Walk(ConfigNode node, string prefix)
        {
            switch (node)
            {
                case MappingNode m:
                    foreach (var (k, e) in m.Entries) Walk(e.Value, prefix.Length == 0 ? k : $"{prefix}.{k}");
                    break;
                case ScalarNode s:
                    result[prefix] = s.Value ?? "null";
                    break;
                case SequenceNode q:
                    result[prefix] = "[" + string.Join(", ", q.Items.Select(i => i is ScalarNode { Value: var v } ? v ?? "null" : ConfigYaml.ToYaml(i).Trim())) + "]";
                    break;
            }
        }
        Walk(_tree, "");
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => ToYaml();
}
