using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Courseware.Reproducibility;

/// <summary>
/// Strict binding of a configuration tree to a C# type: every key must match a property or constructor parameter
/// (snake_case, kebab-case and PascalCase spellings match), every required value must be present, and every value
/// must convert — otherwise a <see cref="ConfigException"/> names the key, where it was written, and the closest valid key.
/// </summary>
internal static class ConfigBinder
{
    private static readonly NullabilityInfoContext Nullability = new();

    public static T Bind<T>(MappingNode root) => (T)Bind(root, typeof(T), "")!;

    private static object? Bind(ConfigNode node, Type type, string path)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is ScalarNode { Value: null })
        {
            if (type.IsValueType && underlying is null)
                throw new ConfigException(path, node.Location, $"'{path}' is null, but {Describe(type)} cannot be null.");
            return null;
        }
        type = underlying ?? type;

        if (type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(decimal))
        {
            if (node is not ScalarNode scalar) throw new ConfigException(path, node.Location, $"'{path}' must be a single value ({Describe(type)}), not a {Kind(node)}.");
            return Convert(scalar, type, path);
        }
        if (DictionaryValueType(type) is { } valueType)
        {
            if (node is not MappingNode map) throw new ConfigException(path, node.Location, $"'{path}' must be a mapping, not a {Kind(node)}.");
            var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType))!;
            foreach (var (key, entry) in map.Entries) dict[key] = Bind(entry.Value, valueType, Join(path, key));
            return dict;
        }
        if (ElementType(type) is { } elementType)
        {
            if (node is not SequenceNode seq) throw new ConfigException(path, node.Location, $"'{path}' must be a list, not a {Kind(node)}.");
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
            for (var i = 0; i < seq.Items.Count; i++) list.Add(Bind(seq.Items[i], elementType, $"{path}[{i}]"));
            if (!type.IsArray) return list;
            var array = Array.CreateInstance(elementType, list.Count);
            list.CopyTo(array, 0);
            return array;
        }
        if (node is not MappingNode mapping) throw new ConfigException(path, node.Location, $"'{path}' must be a mapping of {type.Name}'s settings, not a {Kind(node)}.");
        return BindObject(mapping, type, path);
    }

    private static object BindObject(MappingNode map, Type type, string path)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToList();
        var parameterless = type.GetConstructor(Type.EmptyTypes);
        var constructor = parameterless ?? type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"{type.Name} has no public constructor to bind a config to.");
        var parameters = constructor.GetParameters();
        var settable = properties.Where(p => p.SetMethod is { IsPublic: true }).ToList();

        // Member names a YAML key may match, by normalised spelling.
        var members = parameters.Select(p => p.Name!).Concat(settable.Select(p => p.Name)).Distinct(StringComparer.Ordinal).ToList();
        var byKey = new Dictionary<string, (ConfigNode Value, ConfigLocation KeyLocation, string Key)>(StringComparer.Ordinal);
        foreach (var (key, entry) in map.Entries)
        {
            var member = members.FirstOrDefault(m => NameSuggestion.Normalize(m) == NameSuggestion.Normalize(key));
            if (member is null)
            {
                var suggestion = NameSuggestion.Closest(key, members);
                throw new ConfigException(Join(path, key), entry.KeyLocation,
                    $"unknown key '{Join(path, key)}': {type.Name} has no setting '{key}' (valid: {string.Join(", ", members.Select(SnakeCase))}).",
                    suggestion is null ? null : Join(path, SnakeCase(suggestion)));
            }
            if (byKey.TryGetValue(NameSuggestion.Normalize(member), out var earlier))
                throw new ConfigException(Join(path, key), entry.KeyLocation, $"'{key}' and '{earlier.Key}' (at {earlier.KeyLocation}) set the same setting {type.Name}.{member}.");
            byKey[NameSuggestion.Normalize(member)] = (entry.Value, entry.KeyLocation, key);
        }

        var args = parameters.Select(p =>
        {
            if (byKey.Remove(NameSuggestion.Normalize(p.Name!), out var found)) return Bind(found.Value, p.ParameterType, Join(path, found.Key));
            if (p.HasDefaultValue) return p.DefaultValue;
            throw MissingKey(map, type, path, p.Name!, Describe(p.ParameterType));
        }).ToArray();
        var instance = constructor.Invoke(args);

        foreach (var property in settable)
        {
            if (byKey.Remove(NameSuggestion.Normalize(property.Name), out var found))
                property.SetValue(instance, Bind(found.Value, property.PropertyType, Join(path, found.Key)));
            else if (property.GetCustomAttribute<RequiredMemberAttribute>() is not null)
                throw MissingKey(map, type, path, property.Name, Describe(property.PropertyType));
            else if (!property.PropertyType.IsValueType && property.GetValue(instance) is null
                     && Nullability.Create(property).WriteState == NullabilityState.NotNull && !parameters.Any(p => p.Name == property.Name))
                throw MissingKey(map, type, path, property.Name, Describe(property.PropertyType));
        }
        return instance;
    }

    private static ConfigException MissingKey(MappingNode map, Type type, string path, string member, string expected) =>
        new(Join(path, SnakeCase(member)), map.Location,
            $"missing key '{Join(path, SnakeCase(member))}' ({expected}): {type.Name}.{member} has no default, so the config must set it.");

    private static object Convert(ScalarNode scalar, Type type, string path)
    {
        var text = scalar.Value!;
        if (type == typeof(string)) return text;
        var ok = true;
        object? value = null;
        if (scalar.Quoted && type != typeof(char)) ok = false; // "5" is a string in YAML, not a number
        else if (type == typeof(bool))
        {
            ok = text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE";
            value = ok && text[0] is 't' or 'T';
        }
        else if (type.IsEnum)
        {
            ok = Enum.TryParse(type, text, ignoreCase: true, out value) && Enum.IsDefined(type, value!) && !char.IsDigit(text[0]) && text[0] != '-';
            if (!ok) throw new ConfigException(path, scalar.Location, $"'{text}' is not one of {type.Name}'s values ({string.Join(", ", Enum.GetNames(type))}) for '{path}'.",
                NameSuggestion.Closest(text, Enum.GetNames(type)));
        }
        else if (type == typeof(char))
        {
            ok = text.Length == 1;
            value = ok ? text[0] : null;
        }
        else
        {
            // YAML spellings of the special floats, and '_' digit separators.
            var normalised = text.Replace("_", "") switch { ".inf" or ".Inf" or "+.inf" => "Infinity", "-.inf" or "-.Inf" => "-Infinity", ".nan" or ".NaN" => "NaN", var t => t };
            try { value = ParseNumber(normalised, type); }
            catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException) { ok = false; }
        }
        if (!ok) throw new ConfigException(path, scalar.Location, $"'{path}' must be {Describe(type)}, but is {(scalar.Quoted ? "the quoted string " : "")}'{text}'.");
        return value!;
    }

    private static object ParseNumber(string text, Type type) =>
        type == typeof(double) ? double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
        : type == typeof(float) ? float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
        : type == typeof(decimal) ? decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
        : System.Convert.ChangeType(long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture), type, CultureInfo.InvariantCulture);

    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>)
               || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(ICollection<>)
            ? type.GetGenericArguments()[0] : null;
    }

    private static Type? DictionaryValueType(Type type)
    {
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        var args = type.GetGenericArguments();
        return (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>)) && args[0] == typeof(string)
            ? args[1] : null;
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) => "a whole number",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(string) => "a string",
        _ when Nullable.GetUnderlyingType(type) is { } u => Describe(u) + " or null",
        _ => $"a {type.Name}",
    };

    private static string Kind(ConfigNode node) => node switch { MappingNode => "mapping", SequenceNode => "list", _ => "single value" };

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>LearningRate → learning_rate: how a key for that member is spelt in YAML.</summary>
    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])))) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
