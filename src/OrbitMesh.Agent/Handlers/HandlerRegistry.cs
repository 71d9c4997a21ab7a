using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Agent;

/// <summary>The commands an agent can execute and how to run each one.</summary>
internal sealed class HandlerRegistry
{
    private readonly Dictionary<string, HandlerRegistration> _handlers = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Commands => _handlers.Keys;

    public void Add(string command, HandlerRegistration registration)
    {
        if (!Protocol.RegistrationValidator.IsValidIdentifier(command))
        {
            throw new ArgumentException($"'{command}' is not a valid command name: 1 to {Protocol.ProtocolLimits.MaxIdentifierLength} characters without control characters.", nameof(command));
        }

        if (!_handlers.TryAdd(command, registration))
        {
            throw new InvalidOperationException($"A handler for '{command}' is already registered.");
        }
    }

    public bool TryGet(string command, out HandlerRegistration registration) => _handlers.TryGetValue(command, out registration!);
}

/// <summary>One registered handler.</summary>
internal abstract class HandlerRegistration
{
    /// <summary>The most items a stream handler may produce when its result is collected into one array.</summary>
    public const int MaxCollectedItems = 100_000;

    /// <summary>Runs the handler for a single result.</summary>
    public async Task<object?> ExecuteAsync(MeshCommand command, CancellationToken cancellationToken)
    {
        if (!IsStream)
        {
            return await RunAsync(command, cancellationToken).ConfigureAwait(false);
        }

        var items = new List<object?>();
        await foreach (var item in StreamAsync(command, cancellationToken).ConfigureAwait(false))
        {
            if (items.Count == MaxCollectedItems)
            {
                throw new InvalidOperationException($"'{command.Command}' streamed more than {MaxCollectedItems} items; call it as a stream instead.");
            }

            items.Add(item);
        }

        return items;
    }

    public abstract bool IsStream { get; }

    protected abstract Task<object?> RunAsync(MeshCommand command, CancellationToken cancellationToken);

    public abstract IAsyncEnumerable<object?> StreamAsync(MeshCommand command, CancellationToken cancellationToken);

    /// <summary>A handler type activated from the execution's service scope.</summary>
    public static HandlerRegistration ForType(Type handlerType)
    {
        var isHandler = typeof(IMeshHandler).IsAssignableFrom(handlerType);
        var isStream = typeof(IMeshStreamHandler).IsAssignableFrom(handlerType);
        if (!isHandler && !isStream)
        {
            throw new ArgumentException($"{handlerType} implements neither IMeshHandler nor IMeshStreamHandler.", nameof(handlerType));
        }

        return new TypeHandler(handlerType, isStream && !isHandler);
    }

    public static HandlerRegistration ForDelegate(Func<MeshCommand, CancellationToken, Task<object?>> handler) => new DelegateHandler(handler);

    public static HandlerRegistration ForStream(Func<MeshCommand, CancellationToken, IAsyncEnumerable<object?>> handler) => new DelegateStreamHandler(handler);

    private sealed class TypeHandler(Type type, bool isStream) : HandlerRegistration
    {
        public override bool IsStream => isStream;

        protected override Task<object?> RunAsync(MeshCommand command, CancellationToken cancellationToken) =>
            ((IMeshHandler)Activate(command)).HandleAsync(command, cancellationToken);

        public override IAsyncEnumerable<object?> StreamAsync(MeshCommand command, CancellationToken cancellationToken) =>
            Activate(command) is IMeshStreamHandler stream
                ? stream.StreamAsync(command, cancellationToken)
                : throw new InvalidOperationException($"'{command.Command}' is not a stream handler.");

        private object Activate(MeshCommand command) => ActivatorUtilities.GetServiceOrCreateInstance(command.Services, type);
    }

    private sealed class DelegateHandler(Func<MeshCommand, CancellationToken, Task<object?>> handler) : HandlerRegistration
    {
        public override bool IsStream => false;

        protected override Task<object?> RunAsync(MeshCommand command, CancellationToken cancellationToken) => handler(command, cancellationToken);

        public override IAsyncEnumerable<object?> StreamAsync(MeshCommand command, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"'{command.Command}' is not a stream handler.");
    }

    private sealed class DelegateStreamHandler(Func<MeshCommand, CancellationToken, IAsyncEnumerable<object?>> handler) : HandlerRegistration
    {
        public override bool IsStream => true;

        protected override Task<object?> RunAsync(MeshCommand command, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("Stream handlers are collected, not run.");

        public override IAsyncEnumerable<object?> StreamAsync(MeshCommand command, CancellationToken cancellationToken) => handler(command, cancellationToken);
    }
}
