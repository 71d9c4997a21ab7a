using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Storage;

namespace OrbitMesh.Workflows;

/// <summary>Registers the workflow engine on an OrbitMesh server.</summary>
public static class WorkflowServiceCollectionExtensions
{
    /// <summary>
    /// Adds the workflow engine: definitions and runs in the server's event store, step jobs through
    /// the in-process <see cref="IMeshClient"/>, and a hosted service that resumes unfinished runs at
    /// start. Call after <c>AddOrbitMesh()</c>; map the REST API with <c>MapOrbitMeshWorkflows()</c>.
    /// </summary>
    public static IServiceCollection AddOrbitMeshWorkflows(this IServiceCollection services, Action<WorkflowEngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<WorkflowEngineOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkflowEngineOptions>, WorkflowEngineOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var types = new WorkflowStepTypes();
            foreach (var registration in sp.GetServices<WorkflowStepRegistration>())
            {
                types.Add(registration.Type);
            }

            return types;
        });
        services.TryAddSingleton(sp => new WorkflowRunStore(sp.GetRequiredService<IEventStore>()));
        services.TryAddSingleton(sp => new WorkflowDefinitionStore(sp.GetRequiredService<IEventStore>()));
        services.TryAddSingleton(sp => new StepExecutor(
            sp.GetRequiredService<IMeshClient>(),
            sp.GetRequiredService<IServiceScopeFactory>(),
            sp.GetRequiredService<WorkflowStepTypes>(),
            sp.GetRequiredService<IOptions<WorkflowEngineOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton(sp => new WorkflowEngine(
            sp.GetRequiredService<WorkflowRunStore>(),
            sp.GetRequiredService<WorkflowDefinitionStore>(),
            sp.GetRequiredService<StepExecutor>(),
            sp.GetRequiredService<IOptions<WorkflowEngineOptions>>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<IWorkflowSecretProtector>()));
        services.TryAddSingleton(sp => new WorkflowRollout(sp.GetRequiredService<WorkflowEngine>(), sp.GetRequiredService<IMeshClient>(), sp.GetRequiredService<ILogger<WorkflowRollout>>()));
        services.TryAddSingleton<IWorkflowClient>(sp => new EngineWorkflowClient(sp.GetRequiredService<WorkflowEngine>(), sp.GetRequiredService<WorkflowRollout>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WorkflowEngineHostedService>());
        AddTriggers(services);
        return services;
    }

    /// <summary>Configures the triggers (cron, events, webhooks) that <see cref="AddOrbitMeshWorkflows"/> registers.</summary>
    public static IServiceCollection ConfigureWorkflowTriggers(this IServiceCollection services, Action<WorkflowTriggerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.Configure(configure);
        return services;
    }

    private static void AddTriggers(IServiceCollection services)
    {
        services.AddOptions<WorkflowTriggerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkflowTriggerOptions>, WorkflowTriggerOptionsValidator>());
        static TimeProvider Time(IServiceProvider sp) => sp.GetService<TimeProvider>() ?? TimeProvider.System;
        static WorkflowTriggerOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<WorkflowTriggerOptions>>().Value;
        services.TryAddSingleton(sp => new WorkflowTriggerStore(sp.GetRequiredService<IEventStore>()));
        services.TryAddSingleton(sp => new TriggerRegistry(sp.GetRequiredService<WorkflowTriggerStore>(), Time(sp)));
        services.TryAddSingleton(sp => new TriggerRunStarter(sp.GetRequiredService<WorkflowEngine>(), Time(sp), sp.GetRequiredService<ILogger<TriggerRunStarter>>()));
        services.TryAddSingleton(sp => new CronTriggerScheduler(
            sp.GetRequiredService<TriggerRegistry>(),
            sp.GetRequiredService<WorkflowTriggerStore>(),
            sp.GetRequiredService<TriggerRunStarter>(),
            Options(sp),
            Time(sp),
            sp.GetRequiredService<ILogger<CronTriggerScheduler>>()));
        services.TryAddSingleton(sp => new EventTriggerDispatcher(
            sp.GetRequiredService<TriggerRegistry>(),
            sp.GetRequiredService<TriggerRunStarter>(),
            sp.GetRequiredService<WorkflowEngine>(),
            Options(sp),
            sp.GetRequiredService<ILogger<EventTriggerDispatcher>>()));
        services.TryAddSingleton(sp => new WebhookReceiver(sp.GetRequiredService<TriggerRegistry>(), sp.GetRequiredService<TriggerRunStarter>(), sp.GetService<IWorkflowSecretProtector>(), Time(sp)));
        services.TryAddSingleton(sp => new WorkflowTriggers(new TriggerServices(
            sp.GetRequiredService<TriggerRegistry>(),
            sp.GetRequiredService<WorkflowTriggerStore>(),
            sp.GetRequiredService<TriggerRunStarter>(),
            sp.GetRequiredService<CronTriggerScheduler>(),
            sp.GetRequiredService<EventTriggerDispatcher>(),
            sp.GetRequiredService<WebhookReceiver>(),
            sp.GetRequiredService<WorkflowEngine>(),
            Options(sp),
            sp.GetService<IWorkflowSecretProtector>(),
            Time(sp))));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<CronTriggerScheduler>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<EventTriggerDispatcher>());
    }

    /// <summary>
    /// Lets definitions name <typeparamref name="T"/> (an <see cref="IWorkflowStep"/> or
    /// <see cref="ICompensationStep"/>) by its full type name; it is activated from DI for each attempt.
    /// </summary>
    public static IServiceCollection AddWorkflowStep<T>(this IServiceCollection services)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(new WorkflowStepRegistration(typeof(T)));
        return services;
    }

    /// <summary>
    /// Registers a definition at start (before unfinished runs resume), so runs of a definition built in
    /// code, with conditions or configure actions, can resume after a restart.
    /// </summary>
    public static IServiceCollection AddWorkflow(this IServiceCollection services, WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(definition);
        WorkflowValidator.ThrowIfInvalid(definition);
        services.AddSingleton(new WorkflowRegistration(definition));
        return services;
    }
}

/// <summary>A step class registered with <see cref="WorkflowServiceCollectionExtensions.AddWorkflowStep{T}"/>.</summary>
internal sealed record WorkflowStepRegistration(Type Type);

/// <summary>A definition registered with <see cref="WorkflowServiceCollectionExtensions.AddWorkflow"/>.</summary>
internal sealed record WorkflowRegistration(WorkflowDefinition Definition);

/// <summary>Refuses invalid <see cref="WorkflowEngineOptions"/> at start.</summary>
internal sealed class WorkflowEngineOptionsValidator : IValidateOptions<WorkflowEngineOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkflowEngineOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}

/// <summary>Refuses invalid <see cref="WorkflowTriggerOptions"/> at start.</summary>
internal sealed class WorkflowTriggerOptionsValidator : IValidateOptions<WorkflowTriggerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkflowTriggerOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}

/// <summary>Registers the code definitions, then starts the engine (resuming unfinished runs); stops it with the host.</summary>
internal sealed class WorkflowEngineHostedService(WorkflowEngine engine, IEnumerable<WorkflowRegistration> registrations) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await engine.Definitions.LoadAsync(cancellationToken).ConfigureAwait(false);
        foreach (var registration in registrations)
        {
            await engine.RegisterAsync(registration.Definition, cancellationToken).ConfigureAwait(false);
        }

        await engine.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
}
