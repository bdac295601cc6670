using System.Reflection;
using System.Text.Json.Nodes;

namespace Courseware.Benchmarks;

/// <summary>Where a task's loader finds its data: the data folder given to <see cref="BenchmarkSuite"/> and the strictness.</summary>
/// <param name="DataFolder">Folder laid out like the downloads (e.g. datasets/benchmarks/tinyworld).</param>
/// <param name="Strict">Fail on the first malformed row instead of skipping it.</param>
public sealed record TaskContext(string DataFolder, bool Strict)
{
    /// <summary>A path under the data folder.</summary>
    public string Data(params string[] parts) => Path.Combine([DataFolder, .. parts]);

    /// <summary>A path under the data folder, or null when no such file exists (optional few-shot files).</summary>
    public string? Optional(params string[] parts) => File.Exists(Data(parts)) ? Data(parts) : null;
}

/// <summary>
/// How to load one task name (lm-evaluation-harness's task registration): a loader that may expand to many tasks
/// (mmlu: one per subject), a group of other registered names (truthfulqa), or a task description file
/// (<see cref="CustomTask"/> or <see cref="GenerativeTask"/> YAML/JSON).
/// </summary>
public sealed record TaskDefinition
{
    /// <summary>The name <c>--tasks</c> and <see cref="BenchmarkSuite.Load(string, string[])"/> accept.</summary>
    public required string Name { get; init; }

    /// <summary>One line on what the task is.</summary>
    public string Description { get; init; } = "";

    /// <summary>Builds the task(s); null for a group.</summary>
    public Func<TaskContext, IEnumerable<BenchmarkTask>>? Loader { get; init; }

    /// <summary>For a group: the registered names it stands for, loaded in order.</summary>
    public IReadOnlyList<string> Members { get; init; } = [];

    /// <summary>For a task declared by a description file: its full path.</summary>
    public string? File { get; init; }

    /// <summary>Whether the name stands for other registered names.</summary>
    public bool IsGroup => Members.Count > 0;

    /// <summary>A task built in code.</summary>
    public static TaskDefinition Create(string name, Func<TaskContext, IEnumerable<BenchmarkTask>> loader, string description = "") =>
        new() { Name = name, Loader = loader, Description = description };

    /// <summary>A group name standing for <paramref name="members"/>.</summary>
    public static TaskDefinition Group(string name, string description, params string[] members) =>
        new() { Name = name, Members = members, Description = description };

    /// <summary>
    /// A task declared by a description file (.yaml/.yml/.json with the harness's field names); its name is the file's
    /// <c>task</c> field and its data paths are relative to the file, whatever data folder the suite is given.
    /// </summary>
    public static TaskDefinition FromFile(string descriptionFile)
    {
        RowReader.RequireFile(descriptionFile);
        string path = Path.GetFullPath(descriptionFile);
        JsonObject spec = CustomTask.ReadSpec(path);
        string name = spec["task"] is JsonValue v && v.TryGetValue(out string? s) && s.Trim().Length > 0 ? s.Trim()
            : throw new BenchmarkDataException($"{descriptionFile}: 'task' is required (a string) to register the task by name.");
        string outputType = spec["output_type"] is JsonValue t && t.TryGetValue(out string? o) ? o : "multiple_choice";
        return new()
        {
            Name = name,
            File = path,
            Description = $"{outputType} task from {path}",
            Loader = context => [CustomTask.Load(path, context.Strict)],
        };
    }
}

/// <summary>Marks a static <see cref="TaskDefinition"/> field as a built-in task; <see cref="TaskRegistry"/> finds every one.</summary>
[AttributeUsage(AttributeTargets.Field)]
internal sealed class BuiltInTaskAttribute : Attribute;

/// <summary>
/// Task names and how to load them (lm-evaluation-harness's registry). Built-in tasks are declared once each, beside
/// their reader (a static <see cref="TaskDefinition"/> field marked as built in), and registered through the same
/// <see cref="Register(TaskDefinition)"/> a learner's task uses; <see cref="Names"/> comes from the registrations.
/// A learner registers a task in code, a task description file or a folder of them
/// (<c>courseware eval --include-path FOLDER</c>); <see cref="BenchmarkSuite"/> and <c>courseware eval --tasks</c>
/// then accept its name. A name that is a path to a .yaml/.yml/.json file is loaded from that file unregistered.
/// </summary>
/// <example><code>
/// TaskRegistry.Default.RegisterFile("tasks/tinyworld_pets.yaml");
/// var tasks = BenchmarkSuite.Load("datasets/benchmarks/tinyworld", "arc_easy", "tinyworld_pets");
/// </code></example>
public sealed class TaskRegistry
{
    private static readonly string[] TaskFileExtensions = [".yaml", ".yml", ".json"];
    private readonly Lock gate = new();
    private readonly Dictionary<string, TaskDefinition> definitions = new(StringComparer.Ordinal);

    /// <summary>The built-in task definitions, in name order (found once in this assembly).</summary>
    public static IReadOnlyList<TaskDefinition> BuiltIns { get; } = FindBuiltIns();

    /// <summary>The registry the suite, the CLI and notebooks share: the built-in tasks, plus whatever is registered.</summary>
    public static TaskRegistry Default { get; } = WithBuiltIns();

    /// <summary>An empty registry.</summary>
    public TaskRegistry() { }

    /// <summary>A new registry holding the built-in tasks (one that registrations elsewhere do not reach, e.g. in a test).</summary>
    public static TaskRegistry WithBuiltIns()
    {
        var registry = new TaskRegistry();
        foreach (TaskDefinition definition in BuiltIns) registry.Register(definition);
        return registry;
    }

    /// <summary>Every registered task name (groups excluded), in name order.</summary>
    public IReadOnlyList<string> Names => Snapshot(group: false);

    /// <summary>Every registered group name (a name standing for several tasks, e.g. truthfulqa), in name order.</summary>
    public IReadOnlyList<string> Groups => Snapshot(group: true);

    /// <summary>Registers a task; a name already registered is an error (names are unique, as in the harness).</summary>
    public TaskDefinition Register(TaskDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (string.IsNullOrWhiteSpace(definition.Name) || definition.Name != definition.Name.Trim() || definition.Name.Contains(','))
            throw new ArgumentException($"Task name '{definition.Name}' must be non-empty, without surrounding spaces or commas.", nameof(definition));
        if (definition.Loader is null && !definition.IsGroup)
            throw new ArgumentException($"Task '{definition.Name}' needs a loader or group members.", nameof(definition));
        lock (gate)
        {
            if (definitions.TryGetValue(definition.Name, out TaskDefinition? existing))
            {
                throw new ArgumentException($"Task '{definition.Name}' is already registered{(existing.File is null ? "" : $" (from {existing.File})")}.", nameof(definition));
            }
            definitions[definition.Name] = definition;
        }
        return definition;
    }

    /// <summary>Registers a task built in code.</summary>
    public TaskDefinition Register(string name, Func<TaskContext, IEnumerable<BenchmarkTask>> loader, string description = "") =>
        Register(TaskDefinition.Create(name, loader, description));

    /// <summary>Registers the task a description file declares, under its <c>task</c> field; registering the same file again is a no-op.</summary>
    public TaskDefinition RegisterFile(string descriptionFile)
    {
        TaskDefinition definition = TaskDefinition.FromFile(descriptionFile);
        lock (gate)
        {
            if (definitions.TryGetValue(definition.Name, out TaskDefinition? existing) && existing.File == definition.File) return existing;
            return Register(definition);
        }
    }

    /// <summary>Registers every task description file (.yaml/.yml/.json) under a folder, subfolders included; returns them in path order.</summary>
    public IReadOnlyList<TaskDefinition> RegisterFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"No task folder '{folder}'.");
        return [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(IsTaskFile)
            .Order(StringComparer.Ordinal)
            .Select(RegisterFile)];
    }

    /// <summary>Whether a name is registered (a task or a group).</summary>
    public bool Contains(string name)
    {
        lock (gate) return definitions.ContainsKey(name);
    }

    /// <summary>The definition registered under a name, or null.</summary>
    public TaskDefinition? Find(string name)
    {
        lock (gate) return definitions.GetValueOrDefault(name);
    }

    /// <summary>
    /// The description file a name refers to, or null: a path to a .yaml/.yml/.json file (as given, or under
    /// <paramref name="dataFolder"/>), or a task registered from a file.
    /// </summary>
    public string? TaskFile(string dataFolder, string name)
    {
        if (IsTaskFile(name)) return File.Exists(name) ? name : Path.Combine(dataFolder, name);
        return Find(name)?.File;
    }

    /// <summary>Loads each named task in order (a name may expand to many, e.g. mmlu to one task per subject).</summary>
    /// <exception cref="ArgumentException">A name that is neither registered nor a task file; the message lists the valid names.</exception>
    public IReadOnlyList<BenchmarkTask> Load(string dataFolder, IEnumerable<string> names, bool strict = false)
    {
        var context = new TaskContext(dataFolder, strict);
        var tasks = new List<BenchmarkTask>();
        foreach (string name in names.Select(n => n.Trim()).Where(n => n.Length > 0)) tasks.AddRange(Load(context, name, []));
        return tasks;
    }

    /// <summary>
    /// Loads each named task of either output type, in order, as <c>courseware eval --tasks</c> names them: a task file (a
    /// path, relative to <paramref name="dataFolder"/>, or registered from a file) whose output_type is generate_until
    /// becomes a <see cref="GenerativeTask"/>; every other name loads as <see cref="Load(string, IEnumerable{string}, bool)"/>
    /// loads it. The result goes straight to <see cref="BenchmarkEvaluator.RunAsync"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A name that is neither registered nor a task file; the message lists the valid names.</exception>
    public IReadOnlyList<IEvaluationTask> LoadAll(string dataFolder, IEnumerable<string> names, bool strict = false)
    {
        var context = new TaskContext(dataFolder, strict);
        var tasks = new List<IEvaluationTask>();
        foreach (string name in names.Select(n => n.Trim()).Where(n => n.Length > 0))
        {
            if (TaskFile(dataFolder, name) is string path && File.Exists(path) && CustomTask.ReadSpec(path)["output_type"] is JsonValue type
                && type.TryGetValue(out string? value) && value == "generate_until")
                tasks.Add(GenerativeTask.Load(path, strict));
            else
                tasks.AddRange(Load(context, name, []));
        }
        return tasks;
    }

    private IEnumerable<BenchmarkTask> Load(TaskContext context, string name, HashSet<string> expanding)
    {
        if (Find(name) is not { } definition)
        {
            if (IsTaskFile(name)) return [CustomTask.Load(System.IO.File.Exists(name) ? name : context.Data(name), context.Strict)];
            throw new ArgumentException(
                $"Unknown task '{name}'; expected one of {string.Join(", ", Names)}, {string.Join(", ", Groups)}, a registered task, or a custom task file (.yaml/.json).", "names");
        }
        if (!definition.IsGroup) return [.. definition.Loader!(context)];
        if (!expanding.Add(name)) throw new ArgumentException($"Task group '{name}' contains itself.", "names");
        var tasks = definition.Members.SelectMany(member => Load(context, member, expanding)).ToList();
        expanding.Remove(name);
        return tasks;
    }

    private static bool IsTaskFile(string name) => TaskFileExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private List<string> Snapshot(bool group)
    {
        lock (gate) return [.. definitions.Values.Where(d => d.IsGroup == group).Select(d => d.Name).Order(StringComparer.Ordinal)];
    }

    private static List<TaskDefinition> FindBuiltIns() =>
    [
        .. LoadableTypes()
            .SelectMany(type => type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(field => field.FieldType == typeof(TaskDefinition) && field.IsDefined(typeof(BuiltInTaskAttribute)))
            .Select(field => (TaskDefinition)field.GetValue(null)!)
            .OrderBy(definition => definition.Name, StringComparer.Ordinal),
    ];

    private static IEnumerable<Type> LoadableTypes()
    {
        try
        {
            return typeof(TaskRegistry).Assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }
}
