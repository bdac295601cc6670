using System.Text.Json.Nodes;
using Courseware.Cli.Runner;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Courseware.Cli.Grading;

/// <summary>Something in a learner's cell that could fool the checks, reported by name in the grade.</summary>
/// <param name="CellId">The learner cell.</param>
/// <param name="Name">The name redefined or the API reached for.</param>
/// <param name="Description">What it does, for the grade report.</param>
/// <param name="Exercises">The exercises whose checks it could fool (they score 0); every exercise for kernel access.</param>
public sealed record TamperingFinding(string CellId, string Name, string Description, IReadOnlyList<string> Exercises);

/// <summary>
/// Reads the learner's cells (everything that is not a check or read-only cell of the lab) with the C# parser, before
/// any of them runs, for what would let them fool the checks that run in the same kernel after them:
/// <list type="bullet">
/// <item>declaring a name the checks rely on — a helper or variable of the course's own cells (<c>Check</c>), or any name a
/// check cell uses without declaring it (<c>Math</c>, <c>DriftStats</c>, <c>Exception</c>) — as a method, variable,
/// type or <c>using</c> alias: a later declaration shadows the earlier one in the kernel. The names an exercise asks for
/// (declared by the solution's own exercise cells) are the learner's to write.</item>
/// <item>writing into what the course's cells set up (<c>numbers[0] = 2.5</c>), or into the static state of a type the
/// checks use (<c>Stats.Tolerance = 1</c>): state a later check reads.</item>
/// <item>reaching into the notebook kernel, reflection or the process (<c>Microsoft.DotNet.Interactive</c>, <c>Kernel</c>,
/// <c>System.Reflection</c>, <c>AppDomain</c>, <c>Environment.Exit</c>): a kernel middleware could turn a failed check into
/// a passed one, so nothing in such a notebook is trusted.</item>
/// </list>
/// A cell is read as the kernel runs it (<see cref="CellParts"/>): only its C# parts are parsed as C# (a value cell's YAML is
/// not code, and a <c>#!csharp</c> line inside a value cell starts C# that runs); <c>#!set --name x</c> and <c>#!share … --as x</c>
/// declare a C# variable like <c>var x</c>; <c>#!value --name x</c> declares a value the course's cells may share into C#;
/// <c>#!import</c> runs another notebook's cells, which the grader cannot read.
/// </summary>
internal static partial class Tampering
{
    private static readonly CSharpParseOptions Script = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    // Names whose use in a learner cell means reaching past the notebook into the kernel, the runtime or the process.
    private static readonly Dictionary<string, string> Forbidden = new(StringComparer.Ordinal)
    {
        ["Interactive"] = "reaches into the notebook kernel (Microsoft.DotNet.Interactive)",
        ["Kernel"] = "reaches into the notebook kernel",
        ["KernelInvocationContext"] = "reaches into the notebook kernel",
        ["Reflection"] = "uses reflection (System.Reflection)",
        ["BindingFlags"] = "uses reflection",
        ["AppDomain"] = "reaches into the runtime (AppDomain)",
        ["AssemblyLoadContext"] = "loads code behind the kernel's back",
        ["Exit"] = "ends the kernel process (Environment.Exit)",
        ["FailFast"] = "ends the kernel process (Environment.FailFast)",
    };

    /// <summary>The findings for <paramref name="learner"/>'s cells, given the solution (checks, read-only cells) and the lab made from it.</summary>
    public static IReadOnlyList<TamperingFinding> Find(NotebookDocument solution, NotebookDocument lab, NotebookDocument learner)
    {
        var solutionCells = solution.Cells.OfType<JsonObject>().ToDictionary(c => (string)c["id"]!, StringComparer.Ordinal);
        var roles = solutionCells.ToDictionary(c => c.Key, c => CellRole.Of(c.Value), StringComparer.Ordinal);
        var checks = solution.Cells.OfType<JsonObject>().Where(c => roles[(string)c["id"]!].IsCheck).ToList();
        var allExercises = checks.Select(c => roles[(string)c["id"]!].Exercise!).Distinct().ToList();

        // Which exercises' checks use each name they do not declare themselves.
        var reliedOn = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var cell in checks)
        {
            var parts = CellParts.Of(cell);
            var declaredHere = DeclaredAnywhere(parts.Root);
            declaredHere.UnionWith(parts.Variables.Select(v => v.Name));
            foreach (var name in UsedNames(parts.Root).Where(n => !declaredHere.Contains(n)))
                (reliedOn.TryGetValue(name, out var set) ? set : reliedOn[name] = new SortedSet<string>(StringComparer.Ordinal)).Add(roles[(string)cell["id"]!].Exercise!);
        }
        // What the exercises ask the learner to write is theirs to declare; what read-only cells declare is not.
        bool IsAnswer(JsonObject c) => roles[(string)c["id"]!] is { Exercise: not null, IsCheck: false, Locked: false };
        var answers = solution.Cells.OfType<JsonObject>().Where(c => IsCode(c) && IsAnswer(c))
            .SelectMany(c => Declarations(CellParts.Of(c)).Select(d => d.Name)).ToHashSet(StringComparer.Ordinal);
        var fixedNames = solution.Cells.OfType<JsonObject>()
            .Where(c => IsCode(c) && roles[(string)c["id"]!] is { Exercise: null, IsCheck: false })
            .SelectMany(c => Declarations(CellParts.Of(c)).Select(d => d.Name)).ToHashSet(StringComparer.Ordinal);
        // Values the course's own cells store (a sweep file, a policy) and later cells share into C#.
        var fixedValues = solution.Cells.OfType<JsonObject>().Where(c => IsCode(c) && !IsAnswer(c))
            .SelectMany(c => CellParts.Of(c).Values).ToHashSet(StringComparer.Ordinal);
        var labSources = lab.Cells.OfType<JsonObject>().ToDictionary(c => (string)c["id"]!, NotebookDocument.SourceOf, StringComparer.Ordinal);

        var findings = new List<TamperingFinding>();
        foreach (var cell in learner.Cells.OfType<JsonObject>().Where(IsCode))
        {
            var id = (string?)cell["id"] ?? "";
            // Check, read-only and the course's own code cells are restored from the lab before the run (Grader.RestoreCourseCells).
            if (roles.TryGetValue(id, out var role) && (role.IsCheck || (labSources.ContainsKey(id) && (role.Locked || Grader.IsCourseCode(solutionCells[id], role))))) continue;
            // The course's own cells as the lab ships them are not the learner's doing; edited and new cells are.
            if (labSources.TryGetValue(id, out var shipped) && shipped == NotebookDocument.SourceOf(cell)) continue;
            var parts = CellParts.Of(cell);
            var root = parts.Root;
            var declaredHere = DeclaredAnywhere(root);
            declaredHere.UnionWith(parts.Variables.Select(v => v.Name));
            foreach (var (name, kind) in Declarations(parts).Distinct())
            {
                var relied = reliedOn.GetValueOrDefault(name);
                if (fixedNames.Contains(name) || (relied is not null && !answers.Contains(name)))
                    findings.Add(new TamperingFinding(id, name, $"redefines '{name}' ({kind}), which the checks rely on",
                        fixedNames.Contains(name) ? allExercises : relied!.ToList()));
            }
            foreach (var name in AssignedRoots(root).Distinct())
            {
                // State a check reads: the course cells' variables, or a type's static state (DriftStats.X = …) a check uses.
                if (fixedNames.Contains(name))
                    findings.Add(new TamperingFinding(id, name, $"changes '{name}', which the course's cells set up for the checks", allExercises));
                else if (reliedOn.GetValueOrDefault(name) is { } users && !answers.Contains(name) && !declaredHere.Contains(name))
                    findings.Add(new TamperingFinding(id, name, $"changes state of '{name}', which the checks use", users.ToList()));
            }
            foreach (var name in UsedNames(root, includeMembers: true).Where(Forbidden.ContainsKey).Distinct())
                findings.Add(new TamperingFinding(id, name, Forbidden[name], allExercises));
            foreach (var name in parts.Values.Where(fixedValues.Contains).Distinct())
                findings.Add(new TamperingFinding(id, name, $"redefines the value '{name}' (#!value), which the course's cells share into C#", allExercises));
            if (parts.Imports)
                findings.Add(new TamperingFinding(id, "#!import", "runs another notebook's cells (#!import), which the grader cannot read", allExercises));
        }
        return findings;
    }

    private static bool IsCode(JsonObject cell) => (string?)cell["cell_type"] == "code";

    /// <summary>What a cell declares at its top level: its C# declarations and the C# variables its #!set / #!share lines create.</summary>
    private static IEnumerable<(string Name, string Kind)> Declarations(CellParts parts) => TopLevelDeclarations(parts.Root).Concat(parts.Variables);

    /// <summary>
    /// A cell as the kernel runs it: the C# parts parsed (every other line blanked, so positions stay), the C# variables that
    /// <c>#!set</c>/<c>#!share</c> lines declare, the names of <c>#!value</c> parts, and whether it <c>#!import</c>s a notebook.
    /// </summary>
    private sealed record CellParts(CompilationUnitSyntax Root, IReadOnlyList<(string Name, string Kind)> Variables, IReadOnlyList<string> Values, bool Imports)
    {
        public static CellParts Of(JsonObject cell)
        {
            // The cell's kernel (VS Code's metadata) until a kernel-selector line (#!csharp, #!value, …) switches it, as the kernel splits a submission.
            var kernel = NotebookDocument.HostedKernels.GetValueOrDefault(
                (string?)cell["metadata"]?["polyglot_notebook"]?["kernelName"] ?? (string?)cell["metadata"]?["dotnet_interactive"]?["language"] ?? "csharp", "other");
            var csharp = new List<string>();
            var variables = new List<(string, string)>();
            var values = new List<string>();
            var imports = false;
            foreach (var line in NotebookDocument.SourceOf(cell).Split('\n'))
            {
                var trimmed = line.TrimStart();
                if (!trimmed.StartsWith("#!", StringComparison.Ordinal))
                {
                    var directive = trimmed.StartsWith("#r ", StringComparison.Ordinal) || trimmed.StartsWith("#i ", StringComparison.Ordinal);
                    csharp.Add(kernel == "csharp" && !directive ? line : "");
                    continue;
                }
                csharp.Add("");
                var words = Words(trimmed[2..]);
                var command = words.Count > 0 ? words[0] : "";
                switch (command)
                {
                    case "set" when kernel == "csharp" && Option(words, "--name") is { } name:
                        variables.Add((name, "variable (#!set)"));
                        break;
                    case "share" when kernel == "csharp":
                        // #!share --from kernel name [--as newName] [--mime-type m]: the name is the first word that is no option nor an option's value.
                        var shared = Option(words, "--as");
                        for (var i = 1; shared is null && i < words.Count; i++)
                        {
                            if (words[i] is "--from" or "--as" or "--mime-type") i++;
                            else if (!words[i].StartsWith("--", StringComparison.Ordinal)) shared = words[i];
                        }
                        if (shared is not null) variables.Add((shared, "variable (#!share)"));
                        break;
                    case "import":
                        imports = true;
                        break;
                    default:
                        if (NotebookDocument.HostedKernels.TryGetValue(command, out var selected)) kernel = selected;
                        else if (command is not ("set" or "share" or "who" or "whos" or "time" or "lsmagic" or "log" or "about")) kernel = "other";
                        if (kernel == "value" && Option(words, "--name") is { } value) values.Add(value);
                        break;
                }
            }
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(string.Join('\n', csharp), Script).GetRoot();
            return new CellParts(root, variables, values, imports);
        }

        private static string? Option(List<string> words, string option)
        {
            for (var i = 0; i < words.Count; i++)
            {
                if (words[i] == option && i + 1 < words.Count) return words[i + 1];
                if (words[i].StartsWith(option + "=", StringComparison.Ordinal)) return words[i][(option.Length + 1)..];
            }
            return null;
        }

        // Directive arguments as the kernel's parser splits them: on whitespace, a "quoted argument" is one word.
        private static List<string> Words(string text) =>
            DirectiveWord().Matches(text).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Value).ToList();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"""([^""]*)""|\S+")]
    private static partial System.Text.RegularExpressions.Regex DirectiveWord();

    /// <summary>Names a cell declares at its top level (what a later cell sees): methods, variables, types, aliases, properties.</summary>
    private static IEnumerable<(string Name, string Kind)> TopLevelDeclarations(CompilationUnitSyntax root)
    {
        // Aliases wherever the parser put them (a using after a member is misplaced, yet the learner meant it).
        foreach (var alias in root.DescendantNodes().OfType<UsingDirectiveSyntax>().Where(u => u.Alias is not null))
            yield return (alias.Alias!.Name.Identifier.Text, "using alias");
        foreach (var member in root.Members)
        {
            switch (member)
            {
                case MethodDeclarationSyntax m: yield return (m.Identifier.Text, "method"); break;
                case PropertyDeclarationSyntax p: yield return (p.Identifier.Text, "property"); break;
                case BaseTypeDeclarationSyntax t: yield return (t.Identifier.Text, "type"); break;
                case DelegateDeclarationSyntax d: yield return (d.Identifier.Text, "delegate"); break;
                case FieldDeclarationSyntax f:
                    foreach (var v in f.Declaration.Variables) yield return (v.Identifier.Text, "variable");
                    break;
                case GlobalStatementSyntax { Statement: var statement }:
                    foreach (var name in StatementDeclarations(statement)) yield return name;
                    break;
            }
        }
    }

    private static IEnumerable<(string, string)> StatementDeclarations(StatementSyntax statement) => statement switch
    {
        LocalFunctionStatementSyntax f => [(f.Identifier.Text, "method")],
        LocalDeclarationStatementSyntax l => l.Declaration.Variables.Select(v => (v.Identifier.Text, "variable")),
        // var (a, b) = …; and out/pattern variables at the top level are visible to later cells too.
        _ => statement.DescendantNodes(n => n is not (LambdaExpressionSyntax or AnonymousMethodExpressionSyntax or LocalFunctionStatementSyntax))
            .OfType<SingleVariableDesignationSyntax>().Select(d => (d.Identifier.Text, "variable")),
    };

    /// <summary>The variables a cell writes into: the leftmost name of every assignment or ++/-- target (<c>numbers[0] = …</c> → numbers).</summary>
    private static IEnumerable<string> AssignedRoots(SyntaxNode root)
    {
        var targets = root.DescendantNodes().Select(n => n switch
        {
            AssignmentExpressionSyntax a => a.Left,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } u => u.Operand,
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } u => u.Operand,
            _ => null,
        }).OfType<ExpressionSyntax>();
        foreach (var target in targets)
        {
            var leftmost = target;
            while (true)
            {
                ExpressionSyntax? inner = leftmost switch
                {
                    ElementAccessExpressionSyntax e => e.Expression,
                    MemberAccessExpressionSyntax m => m.Expression,
                    ParenthesizedExpressionSyntax p => p.Expression,
                    _ => null,
                };
                if (inner is null) break;
                leftmost = inner;
            }
            if (leftmost is IdentifierNameSyntax name) yield return name.Identifier.Text;
        }
    }

    /// <summary>Every name a cell declares anywhere: parameters, locals, local functions, loop and pattern variables.</summary>
    private static HashSet<string> DeclaredAnywhere(SyntaxNode root) => root.DescendantNodes().SelectMany(n => n switch
    {
        ParameterSyntax p => [p.Identifier.Text],
        VariableDeclaratorSyntax v => [v.Identifier.Text],
        SingleVariableDesignationSyntax d => [d.Identifier.Text],
        LocalFunctionStatementSyntax f => [f.Identifier.Text],
        MethodDeclarationSyntax m => [m.Identifier.Text],
        BaseTypeDeclarationSyntax t => [t.Identifier.Text],
        ForEachStatementSyntax e => [e.Identifier.Text],
        CatchDeclarationSyntax c => [c.Identifier.Text],
        TypeParameterSyntax t => [t.Identifier.Text],
        FromClauseSyntax q => [q.Identifier.Text],
        LetClauseSyntax q => [q.Identifier.Text],
        _ => Array.Empty<string>(),
    }).ToHashSet(StringComparer.Ordinal);

    /// <summary>Names a cell looks up: simple names, not member names after a dot (unless <paramref name="includeMembers"/>) nor argument labels.</summary>
    private static IEnumerable<string> UsedNames(SyntaxNode root, bool includeMembers = false) =>
        root.DescendantNodes().OfType<SimpleNameSyntax>()
            .Where(n => includeMembers || n.Parent switch
            {
                MemberAccessExpressionSyntax access => access.Expression == n,
                QualifiedNameSyntax qualified => qualified.Left == n,
                MemberBindingExpressionSyntax => false,
                NameColonSyntax or NameEqualsSyntax => false,
                _ => true,
            })
            .Select(n => n.Identifier.Text);
}
