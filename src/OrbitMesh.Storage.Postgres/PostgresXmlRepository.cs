using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace OrbitMesh.Storage.Postgres;

/// <summary>
/// ASP.NET Core Data Protection's key ring in the <c>data_protection_keys</c> table, so that every server of a cluster
/// reads the keys the others made: a secret job parameter sealed by one server is opened by another. (The framework's
/// own database repository needs Entity Framework Core, which OrbitMesh does not otherwise use; this is its interface
/// over the provider's connection pool.) The keys are stored as the framework writes them: encrypt them at rest with
/// <c>ProtectKeysWith...</c> when the database is not trusted with them.
/// </summary>
public sealed class PostgresXmlRepository(PostgresDatabase database) : IXmlRepository
{
    /// <inheritdoc />
    public IReadOnlyCollection<XElement> GetAllElements() =>
        database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT xml FROM data_protection_keys ORDER BY stored_at, name");
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var elements = new List<XElement>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                elements.Add(XElement.Parse(reader.GetString(0)));
            }

            return (IReadOnlyCollection<XElement>)elements;
        }, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        var name = string.IsNullOrEmpty(friendlyName) ? Guid.NewGuid().ToString("N") : friendlyName;
        var xml = element.ToString(SaveOptions.DisableFormatting);
        database.WriteAsync(async (connection, transaction, ct) =>
        {
            using var insert = PostgresDatabase.Command(connection, transaction,
                "INSERT INTO data_protection_keys (name, xml) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET xml = excluded.xml", name, xml);
            return await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, CancellationToken.None).GetAwaiter().GetResult();
    }
}
