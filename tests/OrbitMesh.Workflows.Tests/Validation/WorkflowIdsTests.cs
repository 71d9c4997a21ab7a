namespace OrbitMesh.Workflows.Tests.Validation;

public sealed class WorkflowIdsTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("deploy-app")]
    [InlineData("v1.2_final")]
    [InlineData("9lives")]
    public void IsValid_AcceptsTheRule(string id) => Assert.True(WorkflowIds.IsValid(id));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("_x")]
    [InlineData(".x")]
    [InlineData("a b")]
    [InlineData("a:b")]
    public void IsValid_RefusesTheRest(string? id) => Assert.False(WorkflowIds.IsValid(id));

    [Theory]
    [InlineData("ValidateStep", "validate-step")]
    [InlineData("DeployToNodeA", "deploy-to-node-a")]
    [InlineData("HTTPCheck", "http-check")]
    [InlineData("Step2Go", "step2-go")]
    [InlineData("Wrapper`1", "wrapper")]
    [InlineData("lower", "lower")]
    public void FromTypeName_IsKebabCase(string typeName, string expected)
    {
        var id = WorkflowIds.FromTypeName(typeName);

        Assert.Equal(expected, id);
        Assert.True(WorkflowIds.IsValid(id));
    }
}
