namespace OrbitMesh.Core.Tests.Errors;

/// <summary>The exception hierarchy: codes, retryability and messages.</summary>
public sealed class OrbitMeshExceptionTests
{
    [Fact]
    public void OrbitMeshException_Defaults_AreInternalAndNotRetryable()
    {
        var exception = new OrbitMeshException();

        Assert.Equal(MeshErrorCodes.Internal, exception.Code);
        Assert.False(exception.IsRetryable);
        Assert.Null(exception.RetryAfter);
        Assert.Equal("An OrbitMesh operation failed.", exception.Message);
    }

    [Fact]
    public void OrbitMeshException_WithMessageAndInner_KeepsBoth()
    {
        var inner = new IOException("disk");

        var exception = new OrbitMeshException("failed", inner);

        Assert.Equal(MeshErrorCodes.Internal, exception.Code);
        Assert.Equal("failed", exception.Message);
        Assert.Same(inner, exception.InnerException);
    }

    [Fact]
    public void OrbitMeshException_WithCode_KeepsCodeRetryabilityAndRetryAfter()
    {
        var exception = new OrbitMeshException("server_busy", "busy", null, isRetryable: true, TimeSpan.FromSeconds(3));

        Assert.Equal("server_busy", exception.Code);
        Assert.True(exception.IsRetryable);
        Assert.Equal(TimeSpan.FromSeconds(3), exception.RetryAfter);
    }

    [Fact]
    public void MeshConnectionException_Defaults_AreConnectionFailedAndRetryable()
    {
        var exception = new MeshConnectionException();
        var withMessage = new MeshConnectionException("refused");

        Assert.Equal("connection_failed", exception.Code);
        Assert.True(exception.IsRetryable);
        Assert.Equal("The connection failed.", exception.Message);
        Assert.Equal("connection_failed", withMessage.Code);
        Assert.True(withMessage.IsRetryable);
        Assert.IsAssignableFrom<OrbitMeshException>(exception);
    }

    [Fact]
    public void MeshConnectionException_WithCode_KeepsIt()
    {
        var exception = new MeshConnectionException("handshake_failed", "no", null, isRetryable: false);

        Assert.Equal("handshake_failed", exception.Code);
        Assert.False(exception.IsRetryable);
    }

    [Fact]
    public void MeshAuthenticationException_IsUnauthorizedNotRetryableAnd401ByDefault()
    {
        var exception = new MeshAuthenticationException();
        var forbidden = new MeshAuthenticationException("no", null) { StatusCode = 403 };

        Assert.Equal("unauthorized", exception.Code);
        Assert.False(exception.IsRetryable);
        Assert.Equal(401, exception.StatusCode);
        Assert.Equal("The server refused the credentials.", exception.Message);
        Assert.Equal(403, forbidden.StatusCode);
        Assert.IsAssignableFrom<MeshConnectionException>(exception);
    }

    [Fact]
    public void MeshRegistrationException_IsRegistrationRefusedAndNotRetryable()
    {
        var exception = new MeshRegistrationException();
        var withMessage = new MeshRegistrationException("bad id");

        Assert.Equal("registration_refused", exception.Code);
        Assert.False(exception.IsRetryable);
        Assert.Equal("The registration was refused.", exception.Message);
        Assert.Equal("registration_refused", withMessage.Code);
        Assert.Equal("bad id", withMessage.Message);
    }

    [Fact]
    public void MeshInvocationException_CarriesTheWireErrorAndItsCode()
    {
        var error = new JobError(MeshErrorCodes.UnknownCommand, "no handler for 'x'");

        var exception = new MeshInvocationException(error);

        Assert.Equal(MeshErrorCodes.UnknownCommand, exception.Code);
        Assert.Same(error, exception.Error);
        Assert.Null(exception.AgentId);
        Assert.Equal("no handler for 'x'", exception.Message);
    }

    [Fact]
    public void MeshInvocationException_MessageWithAgentIdAndType()
    {
        var exception = new MeshInvocationException(new JobError(MeshErrorCodes.HandlerFailed, "boom", "System.InvalidOperationException"), agentId: "agent-7");

        Assert.Equal("agent-7", exception.AgentId);
        Assert.Equal("Agent 'agent-7': System.InvalidOperationException: boom", exception.Message);
    }

    [Fact]
    public void MeshInvocationException_MessageWithAgentIdWithoutType()
    {
        var exception = new MeshInvocationException(new JobError(MeshErrorCodes.Timeout, "too slow"), agentId: "a");

        Assert.Equal("Agent 'a': too slow", exception.Message);
    }

    [Fact]
    public void MeshInvocationException_MessageWithTypeWithoutAgent()
    {
        var exception = new MeshInvocationException(new JobError(MeshErrorCodes.HandlerFailed, "boom", "T"));

        Assert.Equal("T: boom", exception.Message);
    }

    [Theory]
    [InlineData(MeshErrorCodes.Busy, true)]
    [InlineData(MeshErrorCodes.AgentDisconnected, true)]
    [InlineData(MeshErrorCodes.NoAgent, true)]
    [InlineData(MeshErrorCodes.HandlerFailed, false)]
    [InlineData(MeshErrorCodes.UnknownCommand, false)]
    [InlineData(MeshErrorCodes.InvalidParameters, false)]
    [InlineData(MeshErrorCodes.Timeout, false)]
    [InlineData(MeshErrorCodes.Cancelled, false)]
    [InlineData(MeshErrorCodes.Internal, false)]
    public void MeshInvocationException_IsRetryableOnlyForTransientCodes(string code, bool retryable)
    {
        Assert.Equal(retryable, new MeshInvocationException(new JobError(code, "m")).IsRetryable);
    }

    [Fact]
    public void MeshInvocationException_Inner_IsKept()
    {
        var inner = new IOException("gone");

        var exception = new MeshInvocationException(new JobError(MeshErrorCodes.AgentDisconnected, "gone"), inner, "a");

        Assert.Same(inner, exception.InnerException);
    }

    [Fact]
    public void MeshInvocationException_NullError_BecomesInternal()
    {
        var exception = new MeshInvocationException((JobError)null!);

        Assert.Equal(MeshErrorCodes.Internal, exception.Code);
        Assert.Equal(MeshErrorCodes.Internal, exception.Error.Code);
        Assert.Equal("The invocation failed.", exception.Message);
        Assert.False(exception.IsRetryable);
    }

    [Fact]
    public void MeshInvocationException_MessageConstructors_AreHandlerFailed()
    {
        var plain = new MeshInvocationException();
        var withMessage = new MeshInvocationException("failed here");
        var withInner = new MeshInvocationException("failed there", new InvalidOperationException());

        Assert.Equal(MeshErrorCodes.HandlerFailed, plain.Code);
        Assert.Equal("The invocation failed.", plain.Message);
        Assert.Equal("failed here", withMessage.Message);
        Assert.Equal(MeshErrorCodes.HandlerFailed, withMessage.Error.Code);
        Assert.IsType<InvalidOperationException>(withInner.InnerException);
    }
}
