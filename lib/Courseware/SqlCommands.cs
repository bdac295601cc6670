using System.Data.Common;

namespace Courseware;

/// <summary>Parameterised commands on any ADO.NET connection (SQLite, PostgreSQL): the one place values are bound.</summary>
public static class SqlCommands
{
    /// <summary>A command for <paramref name="sql"/> on <paramref name="connection"/>, in <paramref name="transaction"/> when given, with its parameters bound (null as DBNull).</summary>
    public static DbCommand Create(DbConnection connection, string sql, DbTransaction? transaction, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }
}
