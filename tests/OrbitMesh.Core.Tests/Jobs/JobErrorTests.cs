namespace OrbitMesh.Core.Tests.Jobs;

public sealed class JobErrorTests
{
    [Fact]
    public void FromException_OperationCanceled_IsCancelled()
    {
        var error = JobError.FromException(new OperationCanceledException("stop"));

        Assert.Equal(MeshErrorCodes.Cancelled, error.Code);
        Assert.Equal("stop", error.Message);
        Assert.Equal("System.OperationCanceledException", error.Type);
    }

    [Fact]
    public void FromException_TaskCanceled_IsCancelledToo()
    {
        var error = JobError.FromException(new TaskCanceledException());

        Assert.Equal(MeshErrorCodes.Cancelled, error.Code);
        Assert.Equal("System.Threading.Tasks.TaskCanceledException", error.Type);
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ArgumentException))]
    [InlineData(typeof(TimeoutException))]
    [InlineData(typeof(IOException))]
    public void FromException_OtherExceptions_AreHandlerFailed(Type type)
    {
        var exception = (Exception)Activator.CreateInstance(type, "it broke")!;

        var error = JobError.FromException(exception);

        Assert.Equal(MeshErrorCodes.HandlerFailed, error.Code);
        Assert.Equal("it broke", error.Message);
        Assert.Equal(type.FullName, error.Type);
    }

    [Fact]
    public void FromException_WithoutDetails_HasNoStackTrace()
    {
        var error = JobError.FromException(Thrown());

        Assert.Null(error.Details);
    }

    [Fact]
    public void FromException_WithDetails_CarriesTheStackTrace()
    {
        var exception = Thrown();

        var error = JobError.FromException(exception, includeDetails: true);

        Assert.Equal(exception.ToString(), error.Details);
        Assert.Contains(nameof(Thrown), error.Details, StringComparison.Ordinal);
        Assert.Contains("deliberate", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void FromException_NestedType_UsesTheFullName()
    {
        var error = JobError.FromException(new CustomFailure());

        Assert.Equal("OrbitMesh.Core.Tests.Jobs.JobErrorTests+CustomFailure", error.Type);
    }

    [Fact]
    public void FromException_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => JobError.FromException(null!));
    }

    [Fact]
    public void ToString_IncludesTheTypeWhenThereIsOne()
    {
        Assert.Equal("timeout: too slow", new JobError("timeout", "too slow").ToString());
        Assert.Equal("handler_failed: System.Exception: boom", new JobError("handler_failed", "boom", "System.Exception").ToString());
    }

    private static InvalidOperationException Thrown()
    {
        try
        {
            throw new InvalidOperationException("deliberate");
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }

    private sealed class CustomFailure : Exception;
}
