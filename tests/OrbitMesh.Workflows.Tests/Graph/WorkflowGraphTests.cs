namespace OrbitMesh.Workflows.Tests.Graph;

public sealed class WorkflowGraphTests
{
    private static IReadOnlySet<string> Set(params string[] ids) => new HashSet<string>(ids, StringComparer.Ordinal);

    private static IEnumerable<string> Ids(IEnumerable<WorkflowStepDefinition> steps) => steps.Select(step => step.Id);

    /// <summary>validate → build → (a, b) → health, as the seed's deploy workflow.</summary>
    private static WorkflowGraph Deploy() => WorkflowGraph.Create(new WorkflowBuilder("deploy")
        .AddCommand("validate", "x")
        .AddCommand("build", "x")
        .AddParallel(branch => branch.AddCommand("a", "x"), branch => branch.AddCommand("b", "x"))
        .AddCommand("health", "x")
        .Build());

    [Fact]
    public void TopologicalOrder_FollowsDependencies()
    {
        Assert.Equal(["validate", "build", "a", "b", "health"], Deploy().TopologicalOrder);
    }

    [Fact]
    public void TopologicalOrder_BreaksTiesByDeclarationOrder()
    {
        // Declared out of dependency order: "late" depends on "early", which comes after it.
        var graph = WorkflowGraph.Create(new WorkflowDefinition
        {
            Name = "ties",
            Steps =
            [
                new() { Id = "late", Command = "x", DependsOn = ["early"] },
                new() { Id = "z-root", Command = "x" },
                new() { Id = "early", Command = "x" },
                new() { Id = "a-root", Command = "x" },
            ],
        });

        Assert.Equal(["z-root", "early", "late", "a-root"], graph.TopologicalOrder);
        Assert.Equal(["z-root", "early", "a-root"], Ids(graph.Roots));
    }

    [Fact]
    public void GetReadySteps_WalksTheDagAsStepsFinish()
    {
        var graph = Deploy();

        Assert.Equal(["validate"], Ids(graph.GetReadySteps(Set())));
        Assert.Equal(["build"], Ids(graph.GetReadySteps(Set("validate"))));
        Assert.Equal(["a", "b"], Ids(graph.GetReadySteps(Set("validate", "build"))));
        Assert.Equal(["b"], Ids(graph.GetReadySteps(Set("validate", "build"), started: Set("a"))));
        Assert.Equal(["b"], Ids(graph.GetReadySteps(Set("validate", "build", "a"))));
        Assert.Equal(["health"], Ids(graph.GetReadySteps(Set("validate", "build", "a", "b"))));
        Assert.Empty(graph.GetReadySteps(Set("validate", "build", "a", "b", "health")));
    }

    [Fact]
    public void GetReadySteps_OneBranchFinished_DoesNotReleaseTheJoin()
    {
        var graph = Deploy();

        Assert.DoesNotContain("health", Ids(graph.GetReadySteps(Set("validate", "build", "a"), started: Set("b"))));
    }

    [Fact]
    public void GetReadySteps_ExecutesEveryStepOnce_InAnOrderThatRespectsDependencies()
    {
        var graph = WorkflowGraph.Create(new WorkflowBuilder("wide")
            .AddCommand("s", "x")
            .AddParallel(
                branch => branch.AddCommand("p1", "x").AddCommand("p2", "x"),
                branch => branch.AddCommand("q1", "x").AddParallel(inner => inner.AddCommand("q2", "x"), inner => inner.AddCommand("q3", "x")),
                branch => branch.AddCommand("r1", "x"))
            .AddCommand("end", "x")
            .Build());

        var finished = new HashSet<string>(StringComparer.Ordinal);
        var executed = new List<string>();
        while (!graph.IsComplete(finished))
        {
            var ready = graph.GetReadySteps(finished);
            Assert.NotEmpty(ready);
            foreach (var step in ready)
            {
                Assert.All(graph.GetDependencies(step.Id), dependency => Assert.Contains(dependency, finished));
                executed.Add(step.Id);
            }

            finished.UnionWith(ready.Select(step => step.Id));
        }

        Assert.Equal(graph.TopologicalOrder.Order(StringComparer.Ordinal), executed.Order(StringComparer.Ordinal));
        Assert.Equal(executed.Count, executed.Distinct().Count());
    }

    [Fact]
    public void DependenciesAndDependents_AreBothWays()
    {
        var graph = Deploy();

        Assert.Equal(["a", "b"], graph.GetDependencies("health"));
        Assert.Equal(["a", "b"], graph.GetDependents("build"));
        Assert.Empty(graph.GetDependents("health"));
        Assert.Empty(graph.GetDependencies("validate"));
    }

    [Fact]
    public void GetDescendants_AreTheStepsThatCanNoLongerRun()
    {
        var graph = Deploy();

        Assert.Equal(["health"], graph.GetDescendants("a"));
        Assert.Equal(["build", "a", "b", "health"], graph.GetDescendants("validate"));
        Assert.Empty(graph.GetDescendants("health"));
    }

    [Fact]
    public void DuplicateDependencyEntries_CountOnce()
    {
        var graph = WorkflowGraph.Create(new WorkflowDefinition
        {
            Name = "dups",
            Steps = [new() { Id = "a", Command = "x" }, new() { Id = "b", Command = "x", DependsOn = ["a", "a"] }],
        });

        Assert.Equal(["a"], graph.GetDependencies("b"));
        Assert.Equal(["b"], graph.GetDependents("a"));
    }

    [Fact]
    public void UnknownStep_Throws()
    {
        var graph = Deploy();

        Assert.Throws<KeyNotFoundException>(() => graph.GetStep("nope"));
        Assert.Throws<KeyNotFoundException>(() => graph.GetDependencies("nope"));
        Assert.Throws<KeyNotFoundException>(() => graph.GetDescendants("nope"));
        Assert.Equal("build", graph.GetStep("build").Id);
    }

    [Fact]
    public void Create_InvalidDefinition_IsRefusedWithEveryError()
    {
        var definition = new WorkflowDefinition
        {
            Name = "bad",
            Steps = [new() { Id = "a", Command = "x", DependsOn = ["b"] }, new() { Id = "b", Command = "x", DependsOn = ["a", "c"] }],
        };

        var error = Assert.Throws<WorkflowValidationException>(() => WorkflowGraph.Create(definition));

        Assert.Equal([WorkflowErrorCodes.UnknownDependency, WorkflowErrorCodes.Cycle], error.Errors.Select(e => e.Code));
    }

    [Fact]
    public void AThousandStepChain_SortsInOrder()
    {
        var steps = Enumerable.Range(0, WorkflowLimits.MaxSteps)
            .Select(i => new WorkflowStepDefinition { Id = $"s{i}", Command = "x", DependsOn = i == 0 ? [] : [$"s{i - 1}"] })
            .Reverse()
            .ToArray();

        var graph = WorkflowGraph.Create(new WorkflowDefinition { Name = "chain", Steps = steps });

        Assert.Equal(Enumerable.Range(0, WorkflowLimits.MaxSteps).Select(i => $"s{i}"), graph.TopologicalOrder);
        Assert.Equal(["s0"], Ids(graph.GetReadySteps(Set())));
    }
}
