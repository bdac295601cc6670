using System.Reflection;
using System.Text;
using Courseware.Tests.Runner;

namespace Courseware.Tests;

/// <summary>
/// The library's public surface, written down in <c>docs/api/Courseware.txt</c> (one line per public type and member,
/// sorted), so a change to what notebooks and other programs can call is a deliberate, reviewed change of that file
/// (as Npgsql and Dapper keep theirs). When the test fails, the actual list is written beside the expected one
/// (<c>Courseware.actual.txt</c>); read the difference, then copy it over if the change is meant.
/// </summary>
public sealed class PublicApiTests
{
    private static readonly string Expected = Path.Combine(RunnerTestEnvironment.RepoRoot, "docs", "api", "Courseware.txt");

    [Fact]
    public void The_public_api_is_the_one_written_down()
    {
        var actual = Describe(typeof(Courseware.Tracking.Tracker).Assembly);
        var expected = File.Exists(Expected) ? File.ReadAllText(Expected).ReplaceLineEndings("\n") : "";
        if (actual == expected) return;
        var written = Path.ChangeExtension(Expected, ".actual.txt");
        File.WriteAllText(written, actual);
        var added = actual.Split('\n').Except(expected.Split('\n')).Take(20).ToList();
        var removed = expected.Split('\n').Except(actual.Split('\n')).Take(20).ToList();
        Assert.Fail($"The public API changed; if that is meant, copy {written} over {Expected}.\n" +
            $"Added ({added.Count} shown):\n  {string.Join("\n  ", added)}\nRemoved ({removed.Count} shown):\n  {string.Join("\n  ", removed)}");
    }

    [Fact]
    public void Wire_helpers_are_not_public()
    {
        var api = Describe(typeof(Courseware.Tracking.Tracker).Assembly);
        foreach (var helper in new[] { "MlflowJson", "RegistryJson", "SweepTags", "ExperimentPaging" })
            Assert.DoesNotContain("." + helper + "\n", api);
    }

    /// <summary>Every public type (kind, name, base and interfaces), by name, each followed by its public and protected members, one line each, sorted.</summary>
    internal static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(Name, StringComparer.Ordinal))
        {
            var bases = new[] { type.BaseType }.Where(b => b is not null && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum))
                .Concat(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic)).Select(t => Name(t!)).Order(StringComparer.Ordinal).ToList();
            lines.Add($"{Kind(type)} {Name(type)}{(bases.Count > 0 ? " : " + string.Join(", ", bases) : "")}");
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            lines.AddRange(type.GetMembers(all).Where(m => Visible(m) && !m.Name.StartsWith('<')).Select(Member).OfType<string>()
                .Distinct().Order(StringComparer.Ordinal).Select(text => "  " + text));
        }
        return string.Join("\n", lines) + "\n";
    }

    private static bool Visible(MemberInfo member) => member switch
    {
        MethodBase m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !(m is MethodInfo { IsSpecialName: true } && !m.Name.StartsWith("op_", StringComparison.Ordinal)),
        FieldInfo f => (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily),
        _ => false, // nested types are listed as types
    };

    private static string? Member(MemberInfo member) => member switch
    {
        ConstructorInfo c => $"ctor({Parameters(c)})",
        MethodInfo m => $"{m.Name}{Generics(m)}({Parameters(m)}) : {Name(m.ReturnType)}{(m.IsStatic ? " static" : "")}",
        PropertyInfo p => $"{p.Name}{(p.GetIndexParameters() is { Length: > 0 } ix ? "[" + string.Join(", ", ix.Select(i => Name(i.ParameterType))) + "]" : "")} : {Name(p.PropertyType)}" +
                          $" {{{(p.GetMethod is { } g && (g.IsPublic || g.IsFamily) ? " get;" : "")}{(p.SetMethod is { } s && (s.IsPublic || s.IsFamily) ? (s.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit") ? " init;" : " set;") : "")} }}",
        FieldInfo f => f.IsLiteral ? $"{f.Name} = {Literal(f.GetRawConstantValue())}" : $"{f.Name} : {Name(f.FieldType)}{(f.IsStatic ? " static" : "")}{(f.IsInitOnly ? " readonly" : "")}",
        EventInfo e => $"{e.Name} : event {Name(e.EventHandlerType!)}",
        _ => null,
    };

    private static string Parameters(MethodBase method) => string.Join(", ", method.GetParameters().Select(p =>
        $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "")}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + Literal(p.RawDefaultValue) : "")}"));

    private static string Generics(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Literal(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s.Replace("\n", "\\n") + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Kind(Type t) =>
        t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct" : typeof(Delegate).IsAssignableFrom(t) ? "delegate"
        : t.IsAbstract && t.IsSealed ? "static class" : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class";

    private static string Name(Type t)
    {
        if (t.IsByRef) return Name(t.GetElementType()!);
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsGenericParameter) return t.Name;
        if (Nullable.GetUnderlyingType(t) is { } inner) return Name(inner) + "?";
        var name = new StringBuilder(t.IsNested ? Name(t.DeclaringType!) + "." : t.Namespace is { } ns ? ns + "." : "");
        name.Append(t.Name.Split('`')[0]);
        var own = t.GetGenericArguments().Skip(t.IsNested ? t.DeclaringType!.GetGenericArguments().Length : 0).ToList();
        if (own.Count > 0) name.Append('<').Append(string.Join(", ", own.Select(Name))).Append('>');
        return name.ToString();
    }
}
