namespace OrbitMesh;

/// <summary>
/// A named capability an agent declares and jobs can require, e.g. <c>new AgentCapability("gpu")</c>.
/// </summary>
/// <param name="Name">The capability's name: 1 to 128 characters, no control characters.</param>
public sealed record AgentCapability(string Name)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}
