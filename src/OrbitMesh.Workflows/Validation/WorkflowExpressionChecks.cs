namespace OrbitMesh.Workflows;

/// <summary>
/// The validator's expression rules: every step's <c>if</c> and every <c>${{ }}</c> template in its
/// (and its compensation's) parameters parses within the limits, and reads only steps that are sure
/// to have finished before it: its dependencies, direct or indirect (a compensation may also read
/// its own step).
/// </summary>
internal static class WorkflowExpressionChecks
{
    public static void Check(WorkflowDefinition definition, List<WorkflowValidationError> errors)
    {
        var steps = (definition.Steps ?? []).Where(s => s is not null).ToList();
        var byId = new Dictionary<string, WorkflowStepDefinition>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            byId.TryAdd(step.Id ?? string.Empty, step);
        }

        foreach (var step in steps)
        {
            var subject = $"Step {WorkflowIds.Quote(step.Id)}";
            var upstream = new Lazy<HashSet<string>>(() => Ancestors(step, byId));
            if (step.If is { } condition)
            {
                CheckOne(condition, $"{subject}'s if", step.Id, upstream.Value, byId, errors, inParameters: false);
            }

            CheckTemplates(step.Parameters, $"{subject}'s parameters", step.Id, upstream, byId, errors, includeSelf: false);
            if (step.Compensation is { } compensation)
            {
                CheckTemplates(compensation.Parameters, $"{subject}'s compensation parameters", step.Id, upstream, byId, errors, includeSelf: true);
            }
        }

        if (definition.OnFailure?.Parameters is { } onFailure)
        {
            // onFailure runs after any step may have run; it may read every step.
            CheckTemplates(onFailure, "The workflow's onFailure parameters", null, new Lazy<HashSet<string>>(() => [.. byId.Keys]), byId, errors, includeSelf: false);
        }
    }

    private static void CheckTemplates(System.Text.Json.JsonElement? parameters, string subject, string? stepId, Lazy<HashSet<string>> upstream, Dictionary<string, WorkflowStepDefinition> byId, List<WorkflowValidationError> errors, bool includeSelf)
    {
        IReadOnlyList<(string Pointer, string Expression)> templates;
        try
        {
            templates = ExpressionTemplate.Find(parameters);
        }
        catch (WorkflowExpressionException ex)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidExpression, $"{subject}: {ex.Message}", stepId));
            return;
        }

        if (templates.Count > WorkflowExpressionLimits.MaxTemplatesPerStep)
        {
            errors.Add(new(WorkflowErrorCodes.OverLimit, $"{subject} hold {templates.Count} templates; at most {WorkflowExpressionLimits.MaxTemplatesPerStep} are allowed.", stepId));
            return;
        }

        foreach (var (pointer, expression) in templates)
        {
            var readable = includeSelf && stepId is not null ? [.. upstream.Value, stepId] : upstream.Value;
            CheckOne(expression, $"{subject} ({WorkflowSchema.Readable(pointer)})", stepId, readable, byId, errors, inParameters: true);
        }
    }

    private static void CheckOne(string text, string subject, string? stepId, HashSet<string> readable, Dictionary<string, WorkflowStepDefinition> byId, List<WorkflowValidationError> errors, bool inParameters)
    {
        WorkflowExpression expression;
        try
        {
            expression = WorkflowExpression.Parse(text);
        }
        catch (WorkflowExpressionException ex)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidExpression, $"{subject}: {ex.Message}", stepId));
            return;
        }

        foreach (var name in expression.Names)
        {
            var problem = name[0] switch
            {
                "params" or "null" => null,
                "run" when name.Count == 2 && name[1] is "id" or "workflow" or "version" => null,
                "run" => "reads the run as run.id, run.workflow or run.version",
                "steps" when name.Count < 3 || name[2] is not ("output" or "status") || (name[2] == "status" && name.Count > 3) => "reads a step as steps.ID.output[.member...] or steps.ID.status",
                "steps" when !byId.ContainsKey(name[1]) => $"reads the step '{name[1]}', which is not a step of the workflow",
                "steps" when !readable.Contains(name[1]) => $"reads the step '{name[1]}', which it does not depend on (directly or indirectly), so it may not have run yet; add it to dependsOn",
                "steps" => null,
                "secrets" when !inParameters => "reads a secret; secrets may be read only in ${{ }} templates in parameters, where they go to the step's job as secret parameters",
                "secrets" when name.Count != 2 => "reads a secret as secrets.NAME (a secret is text; it has no members)",
                "secrets" when !WorkflowRunSecrets.IsValidName(name[1]) => $"reads the secret '{name[1]}'; {WorkflowRunSecrets.NameRule}",
                "secrets" => null,
                _ => $"reads the unknown name '{name[0]}'; names start with params., steps., run. or secrets.",
            };
            if (problem is not null)
            {
                errors.Add(new(WorkflowErrorCodes.InvalidExpression, $"{subject}: the expression {ExpressionNames.Quote(text)} {problem}.", stepId));
            }
        }
    }

    private static HashSet<string> Ancestors(WorkflowStepDefinition step, Dictionary<string, WorkflowStepDefinition> byId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(step.DependsOn ?? []);
        while (pending.TryPop(out var id))
        {
            if (id is null || !seen.Add(id) || !byId.TryGetValue(id, out var dependency))
            {
                continue;
            }

            foreach (var next in dependency.DependsOn ?? [])
            {
                pending.Push(next);
            }
        }

        return seen;
    }
}
