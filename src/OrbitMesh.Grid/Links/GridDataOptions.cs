using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Grid;

/// <summary>Settings of a star's data endpoint (<see cref="GridDataEndpoint"/>), which receives direct-link pushes from other stars.</summary>
public sealed class GridDataOptions
{
    /// <summary>The default listen address: loopback and a free port.</summary>
    public const string DefaultAddress = "http://127.0.0.1:0";

    /// <summary>The star's node id (its agent id): link tokens must name it as their target. Required.</summary>
    [Required]
    public string NodeId { get; set; } = "";

    /// <summary>
    /// Where to listen: <c>http://IP:PORT</c> (HTTP/2 without TLS, h2c); port 0 picks a free one. Default
    /// <see cref="DefaultAddress"/>. TLS is not supported yet (docs/grid.md).
    /// </summary>
    [Required]
    public string Address { get; set; } = DefaultAddress;

    /// <summary>The address other stars push to, when it differs from the bound one (behind NAT or a proxy). Default: the bound address.</summary>
    public Uri? AdvertisedAddress { get; set; }
}
