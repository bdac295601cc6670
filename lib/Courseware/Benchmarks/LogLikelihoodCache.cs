using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Courseware.Models;
using Microsoft.Data.Sqlite;

namespace Courseware.Benchmarks;

/// <summary>
/// Log-likelihoods on disk, one SQLite file per model key, keyed by SHA-256 of (context, continuation), like the
/// harness's CachingLM. A rerun of the same tasks on the same model reads every answer back without calling the
/// model. SQLite commits each batch in one transaction, so an interrupted run leaves whole batches and never a
/// half-written file; the next run resumes from them.
/// </summary>
public sealed class LogLikelihoodCache : IDisposable
{
    private readonly SqliteConnection _connection;

    /// <summary>Opens (or creates) the cache of <paramref name="modelKey"/> in <paramref name="folder"/>.</summary>
    /// <param name="folder">Cache folder.</param>
    /// <param name="modelKey">What identifies the model's answers: name plus weights hash or endpoint and model id.</param>
    public LogLikelihoodCache(string folder, string modelKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelKey);
        Directory.CreateDirectory(folder);
        string file = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelKey)))[..16] + ".sqlite";
        Path = System.IO.Path.Combine(folder, file);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL;");
        Execute("CREATE TABLE IF NOT EXISTS model (key TEXT NOT NULL);");
        Execute("CREATE TABLE IF NOT EXISTS loglikelihood (request TEXT PRIMARY KEY, sum REAL NOT NULL, greedy INTEGER NOT NULL, tokens TEXT NOT NULL, truncated INTEGER NOT NULL);");
        using var insert = _connection.CreateCommand();
        insert.CommandText = "INSERT INTO model (key) SELECT $key WHERE NOT EXISTS (SELECT 1 FROM model);";
        insert.Parameters.AddWithValue("$key", modelKey);
        insert.ExecuteNonQuery();
    }

    /// <summary>The SQLite file.</summary>
    public string Path { get; }

    /// <summary>Number of cached answers.</summary>
    public long Count
    {
        get
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM loglikelihood;";
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <summary>The cached answer, or null.</summary>
    public LogLikelihood? Get(LogLikelihoodRequest request)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT sum, greedy, tokens, truncated FROM loglikelihood WHERE request = $request;";
        command.Parameters.AddWithValue("$request", Key(request));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        return new LogLikelihood(reader.GetDouble(0), reader.GetInt64(1) != 0, JsonSerializer.Deserialize<double[]>(reader.GetString(2))!, (int)reader.GetInt64(3));
    }

    /// <summary>Stores answers in one transaction.</summary>
    public void Put(IReadOnlyList<LogLikelihoodRequest> requests, IReadOnlyList<LogLikelihood> results)
    {
        using var transaction = _connection.BeginTransaction();
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO loglikelihood (request, sum, greedy, tokens, truncated) VALUES ($request, $sum, $greedy, $tokens, $truncated);";
        var request = command.Parameters.Add("$request", SqliteType.Text);
        var sum = command.Parameters.Add("$sum", SqliteType.Real);
        var greedy = command.Parameters.Add("$greedy", SqliteType.Integer);
        var tokens = command.Parameters.Add("$tokens", SqliteType.Text);
        var truncated = command.Parameters.Add("$truncated", SqliteType.Integer);
        for (int i = 0; i < requests.Count; i++)
        {
            request.Value = Key(requests[i]);
            sum.Value = results[i].Sum;
            greedy.Value = results[i].IsGreedy ? 1 : 0;
            tokens.Value = JsonSerializer.Serialize(results[i].TokenLogProbs);
            truncated.Value = results[i].TruncatedTokens;
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        _connection.Dispose();
    }

    private static string Key(LogLikelihoodRequest request) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.Context + "\u0000" + request.Continuation)));

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
