namespace OrbitMesh.Workflows;

/// <summary>The parts <see cref="WorkflowTriggers"/> is made of, resolved together so that its constructor stays small.</summary>
internal sealed record TriggerServices(
    TriggerRegistry Registry,
    WorkflowTriggerStore Store,
    TriggerRunStarter Starter,
    CronTriggerScheduler Scheduler,
    EventTriggerDispatcher Events,
    WebhookReceiver Webhooks,
    WorkflowEngine Engine,
    WorkflowTriggerOptions Options,
    IWorkflowSecretProtector? Protector,
    TimeProvider Time);
