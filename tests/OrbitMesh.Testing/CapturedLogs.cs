using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Testing;

/// <summary>A logger provider that keeps every entry (with the scopes it was logged in), so tests can assert that something was logged.</summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private IExternalScopeProvider? _scopes;

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    public bool Contains(Func<LogEntry, bool> predicate) => _entries.Any(predicate);

    public bool Contains(int eventId) => _entries.Any(e => e.EventId.Id == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
    {
        /// <summary>The key-value pairs of the scopes the entry was logged in, outermost first (a scope that is not a list of pairs appears as ("Scope", its text)).</summary>
        public IReadOnlyList<KeyValuePair<string, object?>> Scopes { get; init; } = [];

        /// <summary>The innermost scope value with this key, or null.</summary>
        public object? Scope(string key) => Scopes.LastOrDefault(s => s.Key == key).Value;
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<KeyValuePair<string, object?>>();
            owner._scopes?.ForEachScope((scope, list) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    list.AddRange(pairs);
                }
                else if (scope is not null)
                {
                    list.Add(new KeyValuePair<string, object?>("Scope", scope.ToString()));
                }
            }, scopes);
            owner._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception) { Scopes = scopes });
        }
    }
}
