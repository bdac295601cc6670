namespace Courseware.Registry;

/// <summary>
/// The registry's tables, created beside the tracking tables by every SQL store (the same DDL in SQLite and
/// PostgreSQL). Deleted versions stay as rows flagged <c>deleted</c>, so a version number is never handed out twice.
/// The audit log has no foreign key: it outlives the model it describes.
/// </summary>
internal static class RegistrySchema
{
    public const string Tables = """

        CREATE TABLE IF NOT EXISTS registered_models (
            name TEXT PRIMARY KEY,
            description TEXT NOT NULL,
            creation_time BIGINT NOT NULL,
            last_updated_time BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS registered_model_tags (
            name TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
            key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (name, key));
        CREATE TABLE IF NOT EXISTS model_versions (
            name TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
            version BIGINT NOT NULL,
            source TEXT NOT NULL,
            run_id TEXT,
            flavor TEXT NOT NULL,
            signature TEXT NOT NULL,
            lineage TEXT NOT NULL,
            model_card TEXT,
            description TEXT NOT NULL,
            current_stage TEXT NOT NULL,
            status TEXT NOT NULL,
            creation_time BIGINT NOT NULL,
            last_updated_time BIGINT NOT NULL,
            deleted BIGINT NOT NULL,
            PRIMARY KEY (name, version));
        CREATE TABLE IF NOT EXISTS model_version_tags (
            name TEXT NOT NULL, version BIGINT NOT NULL,
            key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (name, version, key),
            FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS registered_model_aliases (
            name TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            version BIGINT NOT NULL,
            PRIMARY KEY (name, alias));
        CREATE TABLE IF NOT EXISTS model_version_evaluations (
            name TEXT NOT NULL, version BIGINT NOT NULL,
            dataset TEXT NOT NULL, metric TEXT NOT NULL,
            scores TEXT NOT NULL,
            PRIMARY KEY (name, version, dataset, metric),
            FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON DELETE CASCADE);
        CREATE TABLE IF NOT EXISTS registry_audit (
            name TEXT NOT NULL,
            seq BIGINT NOT NULL,
            time BIGINT NOT NULL,
            action TEXT NOT NULL,
            alias TEXT,
            old_version BIGINT,
            new_version BIGINT,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (name, seq));
        """;
}
