using OrbitMesh.Protocol;

namespace OrbitMesh.Core.Tests.Protocol;

/// <summary>The names and codes that appear on the wire.</summary>
public sealed class HubMethodNamesTests
{
    [Fact]
    public void DisconnectCodes_AreStable()
    {
        Assert.Equal("replaced", DisconnectCodes.Replaced);
        Assert.Equal("server_shutdown", DisconnectCodes.ServerShutdown);
        Assert.Equal("registration_timeout", DisconnectCodes.RegistrationTimeout);
        Assert.Equal("revoked", DisconnectCodes.Revoked);
    }

    [Fact]
    public void HubMethodNames_MatchTheContractMethods()
    {
        Assert.Equal("/mesh", HubMethodNames.HubPath);
        Assert.Equal("Register", HubMethodNames.Register);
        Assert.Equal("Heartbeat", HubMethodNames.Heartbeat);
        Assert.Equal("Invoke", HubMethodNames.Invoke);
        Assert.Equal("Disconnect", HubMethodNames.Disconnect);
    }
}
