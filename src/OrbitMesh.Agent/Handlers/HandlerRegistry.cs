using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Agent;

/// <summary>The commands an agent can execute and how to run each one.</summary>
internal sealed class HandlerRegistry
{
    /// <summary>A command family is advertised as its prefix followed by this wildcard (<c>wasm:*</c>).</summary>
    public const string FamilyWildcard = "*";

    private readonly Dictionary<string, HandlerRegistration> _handlers = new(StringComparer.Ordinal);
    private readonly List<(string Prefix, HandlerRegistration Registration)> _families = [];

    /// <summary>The commands the agent advertises: each exact one, and each family as <c>prefix*</c>.</summary>
    public IReadOnlyCollection<string> Commands => [.. _handlers.Keys, .. _families.Select(f => f.Prefix + FamilyWildcard)];

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

    /// <summary>
    /// Registers a family of commands sharing a prefix that ends in <c>:</c> (<c>wasm:</c>): every command
    /// that starts with it and has more after it runs <paramref name="registration"/>, unless an exact handler exists.
    /// </summary>
    public void AddFamily(string prefix, HandlerRegistration registration)
    {
        if (string.IsNullOrEmpty(prefix) || !prefix.EndsWith(':') || prefix.Length < 2 || !Protocol.RegistrationValidator.IsValidIdentifier(prefix + FamilyWildcard))
        {
            throw new ArgumentException($"'{prefix}' is not a valid command family prefix: a command name prefix ending in ':'.", nameof(prefix));
        }

        if (_families.Any(f => f.Prefix == prefix))
        {
            throw new InvalidOperationException($"A handler for the command family '{prefix}*' is already registered.");
        }

        _families.Add((prefix, registration));
    }

    public bool TryGet(string command, out HandlerRegistration registration)
    {
        if (_handlers.TryGetValue(command, out registration!))
        {
            return true;
        }

        foreach (var (prefix, family) in _families)
        {
            if (command.Length > prefix.Length && command.StartsWith(prefix, StringComparison.Ordinal))
            {
                registration = family;
                return true;
            }
        }

        return false;
    }
}

/// <summary>One registered handler.</summary>
internal abstract class HandlerRegistration
{
    /// <summary>The most items a stream handler may produce when its result is collected into one array.</summary>
    public const int MaxCollectedItems = 100_000;

    /// <summary>Runs the handler for a single result.</summary>
    public virtual async Task<object?> ExecuteAsync(MeshCommand command, CancellationToken cancellationToken)
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

    /// <summary>
    /// A handler that streams its items when the job streams and otherwise returns one result computed
    /// its own way (not the items collected into an array).
    /// </summary>
    public static HandlerRegistration ForDual(
        Func<MeshCommand, CancellationToken, Task<object?>> execute,
        Func<MeshCommand, CancellationToken, IAsyncEnumerable<object?>> stream) => new DualHandler(execute, stream);

    private sealed class DualHandler(
        Func<MeshCommand, CancellationToken, Task<object?>> execute,
        Func<MeshCommand, CancellationToken, IAsyncEnumerable<object?>> stream) : HandlerRegistration
    {
        public override bool IsStream => true;

        public override Task<object?> ExecuteAsync(MeshCommand command, CancellationToken cancellationToken) => execute(command, cancellationToken);

        protected override Task<object?> RunAsync(MeshCommand command, CancellationToken cancellationToken) => execute(command, cancellationToken);

        public override IAsyncEnumerable<object?> StreamAsync(MeshCommand command, CancellationToken cancellationToken) => stream(command, cancellationToken);
    }

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
