using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Grid;

/// <summary>How a <see cref="RemoteSystem"/> calls its star.</summary>
public sealed class RemoteSystemOptions
{
    /// <summary>Default <see cref="CallTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="LongCallTimeout"/>: 1 hour.</summary>
    public static readonly TimeSpan DefaultLongCallTimeout = TimeSpan.FromHours(1);

    /// <summary>How long one short call (stat, header, one chunk) may take. Default: 30 seconds.</summary>
    public TimeSpan CallTimeout { get; set; } = DefaultCallTimeout;

    /// <summary>How long a hash or a scan may take on the star. Default: 1 hour.</summary>
    public TimeSpan LongCallTimeout { get; set; } = DefaultLongCallTimeout;

    /// <summary>Bytes per read or write message. Default and maximum: <see cref="GridLimits.MaxChunkLength"/>.</summary>
    [Range(4096, GridLimits.MaxChunkLength)]
    public int ChunkLength { get; set; } = GridLimits.MaxChunkLength;

    /// <summary>Throws <see cref="ArgumentException"/> listing every invalid setting.</summary>
    public void Validate()
    {
        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), errors, validateAllProperties: true);
        if (CallTimeout <= TimeSpan.Zero || LongCallTimeout <= TimeSpan.Zero)
        {
            errors.Add(new ValidationResult("The timeouts must be positive."));
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid RemoteSystemOptions: " + string.Join(" ", errors.Select(e => e.ErrorMessage)));
        }
    }
}
