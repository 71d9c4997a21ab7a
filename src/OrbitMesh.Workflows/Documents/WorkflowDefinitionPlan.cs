using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>What registering a definition would do, worked out without storing anything (<c>apply --dry-run</c>).</summary>
/// <param name="Name">The workflow.</param>
/// <param name="Version">The version the definition carries.</param>
/// <param name="Outcome">
/// <c>new</c> (no workflow of that name), <c>newVersion</c> (a version after those stored),
/// <c>unchanged</c> (that version is stored with the same content) or <c>conflict</c> (that version is
/// stored with other content: registering would be refused).
/// </param>
/// <param name="LatestVersion">The latest stored version, or null when there is none.</param>
/// <param name="ComparedWith">The stored version the steps are compared with (that version when stored, else the latest), or null.</param>
/// <param name="StepsAdded">Step ids the definition has and the compared version lacks.</param>
/// <param name="StepsRemoved">Step ids the compared version has and the definition lacks.</param>
/// <param name="StepsChanged">Step ids in both whose definition differs.</param>
public sealed record WorkflowDefinitionPlan(
    string Name,
    int Version,
    string Outcome,
    int? LatestVersion,
    int? ComparedWith,
    IReadOnlyList<string> StepsAdded,
    IReadOnlyList<string> StepsRemoved,
    IReadOnlyList<string> StepsChanged)
{
    /// <summary>The plan for registering <paramref name="proposed"/> next to what is stored.</summary>
    /// <param name="proposed">The definition to register.</param>
    /// <param name="sameVersion">The stored definition of the same name and version, or null.</param>
    /// <param name="latest">The latest stored definition of that name, or null.</param>
    public static WorkflowDefinitionPlan Of(WorkflowDefinition proposed, WorkflowDefinition? sameVersion, WorkflowDefinition? latest)
    {
        ArgumentNullException.ThrowIfNull(proposed);
        var compared = sameVersion ?? latest;
        var outcome = latest is null ? "new"
            : sameVersion is null ? "newVersion"
            : WorkflowJson.Serialize(sameVersion) == WorkflowJson.Serialize(proposed) ? "unchanged"
            : "conflict";
        var before = compared?.Steps.ToDictionary(s => s.Id, StepJson, StringComparer.Ordinal) ?? [];
        var after = proposed.Steps.ToDictionary(s => s.Id, StepJson, StringComparer.Ordinal);
        return new WorkflowDefinitionPlan(
            proposed.Name,
            proposed.Version,
            outcome,
            latest?.Version,
            compared?.Version,
            [.. after.Keys.Where(id => !before.ContainsKey(id))],
            [.. before.Keys.Where(id => !after.ContainsKey(id))],
            [.. after.Where(pair => before.TryGetValue(pair.Key, out var old) && old != pair.Value).Select(pair => pair.Key)]);
    }

    private static string StepJson(WorkflowStepDefinition step) => JsonSerializer.Serialize(step, WorkflowJson.Options);
}
