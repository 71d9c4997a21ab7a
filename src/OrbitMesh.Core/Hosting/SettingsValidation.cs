using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Hosting;

/// <summary>Checks a provider's settings object against its data annotations when the provider is registered.</summary>
public static class SettingsValidation
{
    /// <summary>
    /// Throws <see cref="OrbitMeshException"/> (<c>invalid_options</c>) listing every failed annotation, as
    /// "The <paramref name="what"/> settings are invalid: ...".
    /// </summary>
    public static void ThrowIfInvalid(object settings, string what)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(settings, new ValidationContext(settings), results, validateAllProperties: true))
        {
            throw new OrbitMeshException("invalid_options", $"The {what} settings are invalid: " + string.Join(" ", results.Select(r => r.ErrorMessage)));
        }
    }
}
