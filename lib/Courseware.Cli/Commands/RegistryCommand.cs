using System.CommandLine;
using Courseware.Registry;
using Courseware.Tracking;

namespace Courseware.Cli.Commands;

/// <summary>
/// <c>courseware registry</c>: list models and versions, set aliases, promote through a gate, roll back, show the audit
/// log. Thin wrappers over <see cref="ModelRegistry"/>; errors print the registry's message and exit 2.
/// </summary>
internal static class RegistryCommand
{
    public static Command Create()
    {
        var location = new TrackingLocationOptions("Tracking store holding the registry", recursive: true);
        var name = new Argument<string>("name") { Description = "Registered model name." };

        var list = new Command("list", "List registered models, or the versions of one model.");
        var listName = new Argument<string?>("name") { Description = "Model whose versions to list.", Arity = ArgumentArity.ZeroOrOne };
        list.Arguments.Add(listName);
        list.SetAction((r, ct) => WithRegistry(r, location, async registry =>
        {
            if (r.GetValue(listName) is { } model)
                foreach (var v in await registry.SearchVersionsAsync(model, cancellationToken: ct))
                    Console.WriteLine($"{v.Uri}\t{v.Flavor}\t{string.Join(",", v.Aliases)}\t{v.Signature}\t{v.Source}");
            else
                foreach (var m in await registry.SearchModelsAsync(cancellationToken: ct))
                    Console.WriteLine($"{m.Name}\t{string.Join(", ", m.Aliases.Select(a => $"{a.Key}=v{a.Value}"))}\t{m.Description}");
            return 0;
        }));

        var alias = new Argument<string>("alias") { Description = "Alias, e.g. champion or challenger." };
        var version = new Argument<int>("version") { Description = "Version number." };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log).", DefaultValueFactory = _ => "" };
        var setAlias = new Command("alias", "Point an alias at a version.") { name, alias, version, reason };
        setAlias.SetAction((r, ct) => WithRegistry(r, location, async registry =>
        {
            await registry.SetAliasAsync(r.GetValue(name)!, r.GetValue(alias)!, r.GetValue(version), r.GetValue(reason)!, ct);
            Console.WriteLine($"models:/{r.GetValue(name)}@{r.GetValue(alias)} -> version {r.GetValue(version)}");
            return 0;
        }));

        var from = new Option<string>("--from") { Description = "Alias of the candidate.", DefaultValueFactory = _ => "challenger" };
        var to = new Option<string>("--to") { Description = "Alias to move to the candidate when the gate approves.", DefaultValueFactory = _ => "champion" };
        var policy = new Option<string>("--policy") { Description = "Promotion policy YAML (alpha, metrics, require_model_card, require_passing_checks).", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Evaluate the gate without moving the alias." };
        var promote = new Command("promote", "Promote a challenger if it passes the policy's gate; exit 1 when refused.") { name, from, to, policy, dryRun };
        promote.SetAction((r, ct) => WithRegistry(r, location, async registry =>
        {
            var decision = await registry.PromoteAsync(r.GetValue(name)!, PromotionPolicy.Load(r.GetValue(policy)!), r.GetValue(from)!, r.GetValue(to)!, r.GetValue(dryRun), ct);
            Console.WriteLine($"{(decision.Approved ? "APPROVED" : "REFUSED")} {decision.Model} v{decision.Candidate}" +
                              $"{(decision.Incumbent is { } i ? $" vs v{i}" : "")}{(decision.Applied ? $": {r.GetValue(to)} -> v{decision.Candidate}" : "")}");
            foreach (var c in decision.Checks) Console.WriteLine($"  {(c.Passed ? "✓" : "✗")} {c.Criterion}: {c.Detail}");
            return decision.Approved ? 0 : 1;
        }));

        var rollbackAlias = new Option<string>("--alias") { Description = "Alias to roll back.", DefaultValueFactory = _ => "champion" };
        var rollback = new Command("rollback", "Point an alias back at the version it had before its last change.") { name, rollbackAlias, reason };
        rollback.SetAction((r, ct) => WithRegistry(r, location, async registry =>
        {
            var v = await registry.RollbackAsync(r.GetValue(name)!, r.GetValue(rollbackAlias)!, r.GetValue(reason)!, ct);
            Console.WriteLine($"models:/{v.Name}@{r.GetValue(rollbackAlias)} -> version {v.Version}");
            return 0;
        }));

        var audit = new Command("audit", "Print a model's audit log.") { name };
        audit.SetAction((r, ct) => WithRegistry(r, location, async registry =>
        {
            Console.WriteLine(await registry.GetAuditLogAsync(r.GetValue(name)!, ct));
            return 0;
        }));

        var command = new Command("registry", "The model registry: versions, aliases, promotion gates, rollback.") { list, setAlias, promote, rollback, audit };
        location.AddTo(command);
        return command;
    }


    private static async Task<int> WithRegistry(ParseResult r, TrackingLocationOptions location, Func<ModelRegistry, Task<int>> action)
    {
        try
        {
            await using var s = location.Get(r).Open();
            return await action(new ModelRegistry(s));
        }
        catch (TrackingException e)
        {
            Console.Error.WriteLine($"error ({e.ErrorCode}{(e.Field is null ? "" : ", " + e.Field)}): {e.Message}");
            return 2;
        }
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
