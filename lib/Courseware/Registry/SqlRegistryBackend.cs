using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Courseware.Tracking;

namespace Courseware.Registry;

/// <summary>
/// The registry in a SQL tracking store (SQLite or PostgreSQL): every operation is one transaction that first locks
/// the model's row, so concurrent writers — threads, processes, machines — get distinct version numbers.
/// </summary>
internal sealed class SqlRegistryBackend(SqlTrackingStore store, string actor) : IRegistryBackend
{
    private readonly SqlTrackingStore _store = store;

    private string Actor { get; } = actor;

    // ---------------- registered models ----------------

    public Task<RegisteredModel> CreateModelAsync(string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            if (ModelExists(name, tx))
                throw new RegistryException(RegistryError.AlreadyExists, "name", $"Registered model '{name}' already exists.");
            InsertModel(name, description, tx);
            foreach (var (k, v) in tags) SetModelTag(name, k, v, tx);
            return ReadModel(name, tx);
        }, ct);

    public Task<RegisteredModel> GetModelAsync(string name, CancellationToken ct) =>
        _store.ReadAsync(tx => ReadModel(name, tx), ct);

    public Task<RegistryPage<RegisteredModel>> SearchModelsAsync(RegistryQuery query, CancellationToken ct) =>
        _store.ReadAsync(tx => RegistrySearch.Models(Names("SELECT name FROM registered_models", tx).Select(n => ReadModel(n, tx)).ToList(), query), ct);

    public Task<RegisteredModel> UpdateModelAsync(string name, string description, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            SqlTrackingStore.Exec("UPDATE registered_models SET description = @d WHERE name = @n", tx, ("@d", description), ("@n", name));
            return ReadModel(name, tx);
        }, ct);

    public Task<RegisteredModel> RenameModelAsync(string name, string newName, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            if (ModelExists(newName, tx))
                throw new RegistryException(RegistryError.AlreadyExists, "new_name", $"Registered model '{newName}' already exists.");
            // Insert the new row, move every child row, drop the old one: the foreign keys hold at each step.
            SqlTrackingStore.Exec("INSERT INTO registered_models(name, description, creation_time, last_updated_time) " +
                                  "SELECT @new, description, creation_time, @t FROM registered_models WHERE name = @n", tx, ("@new", newName), ("@t", TrackingNames.NowMs()), ("@n", name));
            SqlTrackingStore.Exec("INSERT INTO model_versions SELECT @new, version, source, run_id, flavor, signature, lineage, model_card, description, current_stage, status, " +
                                  "creation_time, last_updated_time, deleted FROM model_versions WHERE name = @n", tx, ("@new", newName), ("@n", name));
            foreach (var table in new[] { "model_version_tags", "model_version_evaluations", "registered_model_tags", "registered_model_aliases", "registry_audit" })
                SqlTrackingStore.Exec($"UPDATE {table} SET name = @new WHERE name = @n", tx, ("@new", newName), ("@n", name));
            SqlTrackingStore.Exec("DELETE FROM model_versions WHERE name = @n", tx, ("@n", name));
            SqlTrackingStore.Exec("DELETE FROM registered_models WHERE name = @n", tx, ("@n", name));
            Audit(newName, "rename", null, null, null, $"renamed from '{name}'", tx);
            return ReadModel(newName, tx);
        }, ct);

    public Task SetModelTagAsync(string name, string key, string value, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            SetModelTag(name, key, value, tx);
            return 0;
        }, ct);

    public Task DeleteModelTagAsync(string name, string key, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            SqlTrackingStore.Exec("DELETE FROM registered_model_tags WHERE name = @n AND key = @k", tx, ("@n", name), ("@k", key));
            return 0;
        }, ct);

    public Task DeleteModelAsync(string name, string reason, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            Audit(name, "delete_model", null, null, null, reason, tx);
            foreach (var table in new[] { "model_version_evaluations", "model_version_tags", "model_versions", "registered_model_aliases", "registered_model_tags", "registered_models" })
                SqlTrackingStore.Exec($"DELETE FROM {table} WHERE name = @n", tx, ("@n", name));
            return 0;
        }, ct);

    // ---------------- versions ----------------

    public Task<int> CreateVersionAsync(NewVersion v, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            if (!ModelExists(v.Name, tx)) InsertModel(v.Name, "", tx);
            LockModel(v.Name, tx);
            var next = Convert.ToInt32(SqlTrackingStore.Scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = @n", tx, ("@n", v.Name)), CultureInfo.InvariantCulture);
            var now = TrackingNames.NowMs();
            SqlTrackingStore.Exec(
                "INSERT INTO model_versions(name, version, source, run_id, flavor, signature, lineage, model_card, description, current_stage, status, creation_time, last_updated_time, deleted) " +
                "VALUES (@n, @v, @s, @r, @f, @sig, @l, NULL, @d, 'None', 'PENDING_REGISTRATION', @now, @now, 0)", tx,
                ("@n", v.Name), ("@v", (long)next), ("@s", v.Source), ("@r", v.RunId), ("@f", v.Flavor.ToString()),
                ("@sig", v.Signature.ToJson()), ("@l", JsonSerializer.Serialize(v.Lineage, ModelSignature.Json)), ("@d", v.Description), ("@now", now));
            foreach (var (key, value) in v.Tags) SetVersionTag(v.Name, next, key, value, tx);
            return next;
        }, ct);

    public Task<ModelVersion> FinishRegistrationAsync(string name, int version, string source, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            if (SqlTrackingStore.Exec("UPDATE model_versions SET source = @s, status = 'READY' WHERE name = @n AND version = @v AND status = 'PENDING_REGISTRATION'", tx,
                    ("@s", source), ("@n", name), ("@v", (long)version)) == 0)
                throw new RegistryException(RegistryError.InvalidState, "version", $"Model version {name}/{version} is not pending registration.");
            return ReadVersion(name, version, tx, includeDeleted: false);
        }, ct);

    public Task<ModelVersion> GetVersionAsync(string name, int version, CancellationToken ct) =>
        _store.ReadAsync(tx => ReadVersion(name, version, tx, includeDeleted: false), ct);

    public Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, bool includeDeleted, CancellationToken ct) =>
        _store.ReadAsync<IReadOnlyList<ModelVersion>>(tx =>
        {
            RequireModel(name, tx);
            var numbers = new List<int>();
            using (var cmd = SqlTrackingStore.Command("SELECT version FROM model_versions WHERE name = @n AND (deleted = 0 OR @all = 1) ORDER BY version DESC", tx,
                       ("@n", name), ("@all", includeDeleted ? 1L : 0L)))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) numbers.Add(Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture));
            return numbers.Select(v => ReadVersion(name, v, tx, includeDeleted: true)).ToList();
        }, ct);

    public Task<RegistryPage<ModelVersion>> SearchVersionsAsync(RegistryQuery query, CancellationToken ct) =>
        _store.ReadAsync(tx =>
        {
            var keys = new List<(string Name, int Version)>();
            using (var cmd = SqlTrackingStore.Command("SELECT name, version FROM model_versions WHERE deleted = 0", tx))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) keys.Add((r.GetString(0), Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture)));
            return RegistrySearch.Versions(keys.Select(k => ReadVersion(k.Name, k.Version, tx, includeDeleted: true)).ToList(), query);
        }, ct);

    public Task<ModelVersion> UpdateVersionAsync(string name, int version, string description, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            SqlTrackingStore.Exec("UPDATE model_versions SET description = @d, last_updated_time = @t WHERE name = @n AND version = @v", tx,
                ("@d", description), ("@t", TrackingNames.NowMs()), ("@n", name), ("@v", (long)version));
            return ReadVersion(name, version, tx, includeDeleted: false);
        }, ct);

    public Task SetVersionTagAsync(string name, int version, string key, string value, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            SetVersionTag(name, version, key, value, tx);
            return 0;
        }, ct);

    public Task DeleteVersionTagAsync(string name, int version, string key, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            SqlTrackingStore.Exec("DELETE FROM model_version_tags WHERE name = @n AND version = @v AND key = @k", tx, ("@n", name), ("@v", (long)version), ("@k", key));
            return 0;
        }, ct);

    public Task DeleteVersionAsync(string name, int version, string reason, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            foreach (var alias in AliasesOf(name, version, tx))
            {
                SqlTrackingStore.Exec("DELETE FROM registered_model_aliases WHERE name = @n AND alias = @a", tx, ("@n", name), ("@a", alias));
                Audit(name, "delete_alias", alias, version, null, $"version {version} deleted. {reason}".Trim(), tx);
            }
            SqlTrackingStore.Exec("UPDATE model_versions SET deleted = 1, last_updated_time = @t WHERE name = @n AND version = @v", tx,
                ("@t", TrackingNames.NowMs()), ("@n", name), ("@v", (long)version));
            Audit(name, "delete_version", null, version, null, reason, tx);
            return 0;
        }, ct);

    public Task<ModelVersion> TransitionStageAsync(string name, int version, string stage, bool archiveExistingVersions, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            var now = TrackingNames.NowMs();
            if (archiveExistingVersions && stage is "Staging" or "Production")
                SqlTrackingStore.Exec("UPDATE model_versions SET current_stage = 'Archived', last_updated_time = @t WHERE name = @n AND current_stage = @s AND version <> @v AND deleted = 0", tx,
                    ("@t", now), ("@n", name), ("@s", stage), ("@v", (long)version));
            SqlTrackingStore.Exec("UPDATE model_versions SET current_stage = @s, last_updated_time = @t WHERE name = @n AND version = @v", tx,
                ("@s", stage), ("@t", now), ("@n", name), ("@v", (long)version));
            Audit(name, "transition_stage", stage, null, version, "deprecated stage transition", tx);
            return ReadVersion(name, version, tx, includeDeleted: false);
        }, ct);

    // ---------------- aliases and audit ----------------

    public Task SetAliasAsync(string name, string alias, int version, string reason, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            MoveAlias(name, alias, version, "set_alias", reason, tx);
            return 0;
        }, ct);

    public Task DeleteAliasAsync(string name, string alias, string reason, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            var old = AliasVersion(name, alias, tx) ?? throw AliasNotFound(name, alias);
            SqlTrackingStore.Exec("DELETE FROM registered_model_aliases WHERE name = @n AND alias = @a", tx, ("@n", name), ("@a", alias));
            Audit(name, "delete_alias", alias, old, null, reason, tx);
            return 0;
        }, ct);

    public Task<ModelVersion> GetVersionByAliasAsync(string name, string alias, CancellationToken ct) =>
        _store.ReadAsync(tx =>
        {
            RequireModel(name, tx);
            return ReadVersion(name, AliasVersion(name, alias, tx) ?? throw AliasNotFound(name, alias), tx, includeDeleted: false);
        }, ct);

    public Task<ModelVersion> RollbackAsync(string name, string alias, string reason, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            var current = AliasVersion(name, alias, tx);
            var history = AliasHistory(name, alias, tx);
            // The history is a stack: every change pushes the new value, a rollback pops one.
            if (history.Count > 0) history.RemoveAt(history.Count - 1);
            while (history.Count > 0 && history[^1] is { } candidate && !VersionIsLive(name, candidate, tx)) history.RemoveAt(history.Count - 1);
            if (history.Count == 0 || history[^1] is not { } target)
                throw new RegistryException(RegistryError.InvalidState, "alias",
                    $"Cannot roll back '{alias}' of model '{name}': no earlier version in its history (currently {(current is null ? "unset" : "version " + current)}).");
            MoveAlias(name, alias, target, "rollback", reason, tx);
            return ReadVersion(name, target, tx, includeDeleted: false);
        }, ct);

    public Task PromoteAliasAsync(string name, string alias, int version, string? removeAlias, string reason, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            MoveAlias(name, alias, version, "promote", reason, tx);
            if (removeAlias is not null && AliasVersion(name, removeAlias, tx) is { } old)
            {
                SqlTrackingStore.Exec("DELETE FROM registered_model_aliases WHERE name = @n AND alias = @a", tx, ("@n", name), ("@a", removeAlias));
                Audit(name, "delete_alias", removeAlias, old, null, $"promoted to {alias}", tx);
            }
            return 0;
        }, ct);

    public Task<AuditLog> GetAuditLogAsync(string name, CancellationToken ct) =>
        _store.ReadAsync(tx => new AuditLog(name, ReadAudit(name, tx)), ct);

    public Task AppendAuditAsync(string name, string action, string? alias, int? oldVersion, int? newVersion, string reason, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            Audit(name, action, alias, oldVersion, newVersion, reason, tx);
            return 0;
        }, ct);

    public Task<ModelVersion> ResolveAsync(ModelUri uri, CancellationToken ct) =>
        _store.ReadAsync(tx =>
        {
            RequireModel(uri.Name, tx);
            int? version = uri.Kind switch
            {
                ModelReferenceKind.Version => uri.Version,
                ModelReferenceKind.Alias => AliasVersion(uri.Name, uri.Alias!, tx) ?? throw AliasNotFound(uri.Name, uri.Alias!),
                // A version still PENDING_REGISTRATION has no files yet: latest is the newest READY one.
                ModelReferenceKind.Latest => ToVersion(SqlTrackingStore.Scalar("SELECT MAX(version) FROM model_versions WHERE name = @n AND deleted = 0 AND status = 'READY'", tx, ("@n", uri.Name))),
                _ => ToVersion(SqlTrackingStore.Scalar("SELECT MAX(version) FROM model_versions WHERE name = @n AND deleted = 0 AND current_stage = @s", tx, ("@n", uri.Name), ("@s", uri.Stage))),
            };
            if (version is null)
                throw new RegistryException(RegistryError.NotFound, "model_uri", $"{uri} names no version: model '{uri.Name}' has no {(uri.Kind == ModelReferenceKind.Stage ? "version in stage " + uri.Stage : "live version")}.");
            return ReadVersion(uri.Name, version.Value, tx, includeDeleted: false);
        }, ct);

    // ---------------- model cards and evaluations ----------------

    public Task<ModelCard?> GetModelCardAsync(string name, int version, CancellationToken ct) =>
        _store.ReadAsync(tx =>
        {
            RequireVersion(name, version, tx);
            return SqlTrackingStore.Scalar("SELECT model_card FROM model_versions WHERE name = @n AND version = @v", tx, ("@n", name), ("@v", (long)version)) is string json
                ? ModelCard.FromJson(json)
                : null;
        }, ct);

    public Task<ModelCard> SaveModelCardAsync(ModelCard card, string reason, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(card.ModelName, tx);
            RequireVersion(card.ModelName, card.Version, tx);
            var previous = SqlTrackingStore.Scalar("SELECT model_card FROM model_versions WHERE name = @n AND version = @v", tx, ("@n", card.ModelName), ("@v", (long)card.Version)) is string json
                ? ModelCard.FromJson(json).Revision
                : 0;
            var saved = card with { Revision = previous + 1 };
            SqlTrackingStore.Exec("UPDATE model_versions SET model_card = @c, last_updated_time = @t WHERE name = @n AND version = @v", tx,
                ("@c", saved.ToJson()), ("@t", TrackingNames.NowMs()), ("@n", card.ModelName), ("@v", (long)card.Version));
            Audit(card.ModelName, "model_card", null, null, card.Version, $"revision {saved.Revision}. {reason}".Trim(), tx);
            return saved;
        }, ct);

    public Task LogEvaluationAsync(string name, int version, string metric, string dataset, IReadOnlyList<double> scores, CancellationToken ct) =>
        _store.WriteAsync(tx =>
        {
            LockModel(name, tx);
            RequireVersion(name, version, tx);
            SqlTrackingStore.Exec("INSERT INTO model_version_evaluations(name, version, dataset, metric, scores) VALUES (@n, @v, @d, @m, @s) " +
                                  "ON CONFLICT (name, version, dataset, metric) DO UPDATE SET scores = excluded.scores", tx,
                ("@n", name), ("@v", (long)version), ("@d", dataset), ("@m", metric), ("@s", JsonSerializer.Serialize(scores)));
            return 0;
        }, ct);

    public Task<IReadOnlyList<double>?> GetEvaluationAsync(string name, int version, string metric, string dataset, CancellationToken ct) =>
        _store.ReadAsync(tx => SqlTrackingStore.Scalar("SELECT scores FROM model_version_evaluations WHERE name = @n AND version = @v AND dataset = @d AND metric = @m", tx,
                ("@n", name), ("@v", (long)version), ("@d", dataset), ("@m", metric)) is string json
            ? (IReadOnlyList<double>?)JsonSerializer.Deserialize<double[]>(json)
            : null, ct);

    // ---------------- SQL helpers ----------------

    private static bool ModelExists(string name, DbTransaction tx) =>
        SqlTrackingStore.Scalar("SELECT 1 FROM registered_models WHERE name = @n", tx, ("@n", name)) is not null;

    private static void InsertModel(string name, string description, DbTransaction tx)
    {
        var now = TrackingNames.NowMs();
        // ON CONFLICT: two writers registering the first version of a new model at once both get past ModelExists.
        SqlTrackingStore.Exec("INSERT INTO registered_models(name, description, creation_time, last_updated_time) VALUES (@n, @d, @t, @t) ON CONFLICT (name) DO NOTHING", tx,
            ("@n", name), ("@d", description), ("@t", now));
    }

    // Updating the model's row takes its row lock (PostgreSQL) or is already under the database write lock (SQLite):
    // from here to commit no other writer changes this model, so MAX(version) + 1 and the audit sequence are safe.
    private static void LockModel(string name, DbTransaction tx)
    {
        if (SqlTrackingStore.Exec("UPDATE registered_models SET last_updated_time = @t WHERE name = @n", tx, ("@t", TrackingNames.NowMs()), ("@n", name)) == 0)
            throw ModelNotFound(name);
    }

    private static void RequireModel(string name, DbTransaction tx)
    {
        if (!ModelExists(name, tx)) throw ModelNotFound(name);
    }

    private static void RequireVersion(string name, int version, DbTransaction tx)
    {
        if (!VersionIsLive(name, version, tx))
        {
            RequireModel(name, tx);
            throw new RegistryException(RegistryError.NotFound, "version", $"Model version {name}/{version} does not exist{(VersionExists(name, version, tx) ? " (it was deleted)" : "")}.");
        }
    }

    private static bool VersionIsLive(string name, int version, DbTransaction tx) =>
        SqlTrackingStore.Scalar("SELECT 1 FROM model_versions WHERE name = @n AND version = @v AND deleted = 0", tx, ("@n", name), ("@v", (long)version)) is not null;

    private static bool VersionExists(string name, int version, DbTransaction tx) =>
        SqlTrackingStore.Scalar("SELECT 1 FROM model_versions WHERE name = @n AND version = @v", tx, ("@n", name), ("@v", (long)version)) is not null;

    private static RegistryException ModelNotFound(string name) =>
        new(RegistryError.NotFound, "name", $"Registered model '{name}' does not exist.");

    private static RegistryException AliasNotFound(string name, string alias) =>
        new(RegistryError.NotFound, "alias", $"Registered model '{name}' has no alias '{alias}'.");

    private static int? ToVersion(object? value) => value is null ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);

    private static int? AliasVersion(string name, string alias, DbTransaction tx) =>
        ToVersion(SqlTrackingStore.Scalar("SELECT version FROM registered_model_aliases WHERE name = @n AND alias = @a", tx, ("@n", name), ("@a", alias)));

    private static List<string> AliasesOf(string name, int version, DbTransaction tx)
    {
        var list = new List<string>();
        using var cmd = SqlTrackingStore.Command("SELECT alias FROM registered_model_aliases WHERE name = @n AND version = @v ORDER BY alias", tx, ("@n", name), ("@v", (long)version));
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    private void MoveAlias(string name, string alias, int version, string action, string reason, DbTransaction tx)
    {
        RequireVersion(name, version, tx);
        var old = AliasVersion(name, alias, tx);
        SqlTrackingStore.Exec("INSERT INTO registered_model_aliases(name, alias, version) VALUES (@n, @a, @v) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version", tx,
            ("@n", name), ("@a", alias), ("@v", (long)version));
        Audit(name, action, alias, old, version, reason, tx);
    }

    private static readonly HashSet<string> AliasMoves = ["set_alias", "promote", "rollback", "delete_alias"];

    // The values the alias took, oldest first (null = unset), with each rollback undoing the change before it.
    private static List<int?> AliasHistory(string name, string alias, DbTransaction tx)
    {
        var stack = new List<int?>();
        foreach (var e in ReadAudit(name, tx).Where(e => e.Alias == alias && AliasMoves.Contains(e.Action)))
        {
            if (e.Action == "rollback")
            {
                if (stack.Count > 0) stack.RemoveAt(stack.Count - 1);
                // Drop the deleted versions the rollback skipped, so the stack top is the version it restored.
                while (stack.Count > 0 && stack[^1] != e.NewVersion) stack.RemoveAt(stack.Count - 1);
                if (stack.Count == 0) stack.Add(e.NewVersion);
            }
            else
            {
                if (stack.Count == 0 && e.OldVersion is not null) stack.Add(e.OldVersion);
                stack.Add(e.NewVersion);
            }
        }
        return stack;
    }

    private void Audit(string name, string action, string? alias, int? oldVersion, int? newVersion, string reason, DbTransaction tx)
    {
        var seq = Convert.ToInt64(SqlTrackingStore.Scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM registry_audit WHERE name = @n", tx, ("@n", name)), CultureInfo.InvariantCulture);
        SqlTrackingStore.Exec("INSERT INTO registry_audit(name, seq, time, action, alias, old_version, new_version, actor, reason) VALUES (@n, @s, @t, @a, @al, @o, @nv, @ac, @r)", tx,
            ("@n", name), ("@s", seq), ("@t", TrackingNames.NowMs()), ("@a", action), ("@al", alias),
            ("@o", oldVersion is null ? null : (long)oldVersion), ("@nv", newVersion is null ? null : (long)newVersion), ("@ac", Actor), ("@r", reason));
    }

    private static List<AuditEntry> ReadAudit(string name, DbTransaction tx)
    {
        var list = new List<AuditEntry>();
        using var cmd = SqlTrackingStore.Command("SELECT seq, time, action, alias, old_version, new_version, actor, reason FROM registry_audit WHERE name = @n ORDER BY seq", tx, ("@n", name));
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new AuditEntry(name, Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), r.GetString(2),
                r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : Convert.ToInt32(r.GetValue(4), CultureInfo.InvariantCulture),
                r.IsDBNull(5) ? null : Convert.ToInt32(r.GetValue(5), CultureInfo.InvariantCulture), r.GetString(6), r.GetString(7)));
        return list;
    }

    private static void ValidateTag(string key, string value)
    {
        TrackingValidation.ValidateKey(key, "key");
        if (value.Length > 5000)
            throw new RegistryException(RegistryError.InvalidParameter, $"tags[{key}]", $"Tag value is {value.Length} characters long; registry tags allow at most 5000.");
    }

    private static void SetModelTag(string name, string key, string value, DbTransaction tx)
    {
        ValidateTag(key, value);
        SqlTrackingStore.Exec("INSERT INTO registered_model_tags(name, key, value) VALUES (@n, @k, @v) ON CONFLICT (name, key) DO UPDATE SET value = excluded.value", tx,
            ("@n", name), ("@k", key), ("@v", value));
    }

    private static void SetVersionTag(string name, int version, string key, string value, DbTransaction tx)
    {
        ValidateTag(key, value);
        SqlTrackingStore.Exec("INSERT INTO model_version_tags(name, version, key, value) VALUES (@n, @v, @k, @val) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value", tx,
            ("@n", name), ("@v", (long)version), ("@k", key), ("@val", value));
    }

    private static List<string> Names(string sql, DbTransaction tx)
    {
        var names = new List<string>();
        using var cmd = SqlTrackingStore.Command(sql, tx);
        using var r = cmd.ExecuteReader();
        while (r.Read()) names.Add(r.GetString(0));
        return names;
    }

    private static Dictionary<string, string> KeyValues(string sql, DbTransaction tx, params (string, object?)[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        using var cmd = SqlTrackingStore.Command(sql, tx, args);
        using var r = cmd.ExecuteReader();
        while (r.Read()) d[r.GetString(0)] = r.GetString(1);
        return d;
    }

    private static RegisteredModel ReadModel(string name, DbTransaction tx)
    {
        using var cmd = SqlTrackingStore.Command("SELECT description, creation_time, last_updated_time FROM registered_models WHERE name = @n", tx, ("@n", name));
        string description;
        long created, updated;
        using (var r = cmd.ExecuteReader())
        {
            if (!r.Read()) throw ModelNotFound(name);
            (description, created, updated) = (r.GetString(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture));
        }
        var tags = KeyValues("SELECT key, value FROM registered_model_tags WHERE name = @n", tx, ("@n", name));
        var aliases = KeyValues("SELECT alias, CAST(version AS TEXT) FROM registered_model_aliases WHERE name = @n", tx, ("@n", name))
            .ToDictionary(kv => kv.Key, kv => int.Parse(kv.Value, CultureInfo.InvariantCulture));
        return new RegisteredModel(name, description, created, updated, tags, aliases);
    }

    private static ModelVersion ReadVersion(string name, int version, DbTransaction tx, bool includeDeleted)
    {
        if (!includeDeleted) RequireVersion(name, version, tx);
        using var cmd = SqlTrackingStore.Command(
            "SELECT source, run_id, flavor, signature, lineage, description, current_stage, status, creation_time, last_updated_time, deleted " +
            "FROM model_versions WHERE name = @n AND version = @v", tx, ("@n", name), ("@v", (long)version));
        ModelVersion v;
        using (var r = cmd.ExecuteReader())
        {
            if (!r.Read()) throw new RegistryException(RegistryError.NotFound, "version", $"Model version {name}/{version} does not exist.");
#pragma warning disable CS0618 // the stage is read to stay compatible; the property carries the deprecation
            v = new ModelVersion(name, version, r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), Enum.Parse<ModelFlavor>(r.GetString(2)),
                ModelSignature.FromJson(r.GetString(3)), JsonSerializer.Deserialize<ModelLineage>(r.GetString(4), ModelSignature.Json)!,
                r.GetString(5), r.GetString(7), Convert.ToInt64(r.GetValue(8), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(9), CultureInfo.InvariantCulture),
                new Dictionary<string, string>(), [], Convert.ToInt64(r.GetValue(10), CultureInfo.InvariantCulture) == 1) { CurrentStage = r.GetString(6) };
#pragma warning restore CS0618
        }
        return v with
        {
            Tags = KeyValues("SELECT key, value FROM model_version_tags WHERE name = @n AND version = @v", tx, ("@n", name), ("@v", (long)version)),
            Aliases = AliasesOf(name, version, tx),
        };
    }
}
