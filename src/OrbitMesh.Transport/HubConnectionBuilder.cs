using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Transport;

/// <summary>
/// Builds a <see cref="HubConnection"/>, in the shape of the official SignalR client's builder.
/// </summary>
public sealed class HubConnectionBuilder
{
    private readonly HubConnectionOptions _options = new();
    private bool _built;

    /// <summary>The hub's URL.</summary>
    public HubConnectionBuilder WithUrl(string url, Action<HubConnectionOptions>? configure = null) =>
        WithUrl(new Uri(url, UriKind.Absolute), configure);

    /// <summary>The hub's URL.</summary>
    public HubConnectionBuilder WithUrl(Uri url, Action<HubConnectionOptions>? configure = null)
    {
        _options.Url = url;
        configure?.Invoke(_options);
        return this;
    }

    /// <summary>A fixed bearer token.</summary>
    public HubConnectionBuilder WithAccessToken(string token)
    {
        _options.AccessTokenProvider = _ => ValueTask.FromResult<string?>(token);
        return this;
    }

    /// <summary>A bearer token supplier, asked on every connect.</summary>
    public HubConnectionBuilder WithAccessToken(Func<CancellationToken, ValueTask<string?>> provider)
    {
        _options.AccessTokenProvider = provider;
        return this;
    }

    /// <summary>Reconnect automatically with <see cref="DecorrelatedJitterRetryPolicy"/> defaults (forever).</summary>
    public HubConnectionBuilder WithAutomaticReconnect() => WithAutomaticReconnect(new DecorrelatedJitterRetryPolicy());

    /// <summary>Reconnect automatically with the given policy.</summary>
    public HubConnectionBuilder WithAutomaticReconnect(IRetryPolicy policy)
    {
        _options.ReconnectPolicy = policy;
        return this;
    }

    /// <summary>The keep-alive interval.</summary>
    public HubConnectionBuilder WithKeepAliveInterval(TimeSpan interval)
    {
        _options.KeepAliveInterval = interval;
        return this;
    }

    /// <summary>The server timeout.</summary>
    public HubConnectionBuilder WithServerTimeout(TimeSpan timeout)
    {
        _options.ServerTimeout = timeout;
        return this;
    }

    /// <summary>Adjust the payload JSON settings.</summary>
    public HubConnectionBuilder ConfigureJson(Action<JsonSerializerOptions> configure)
    {
        _options.ConfigureJson = configure;
        return this;
    }

    /// <summary>Log through this factory.</summary>
    public HubConnectionBuilder WithLoggerFactory(ILoggerFactory loggerFactory)
    {
        _options.LoggerFactory = loggerFactory;
        return this;
    }

    /// <summary>Use this clock.</summary>
    public HubConnectionBuilder WithTimeProvider(TimeProvider timeProvider)
    {
        _options.TimeProvider = timeProvider;
        return this;
    }

    /// <summary>Any other setting.</summary>
    public HubConnectionBuilder Configure(Action<HubConnectionOptions> configure)
    {
        configure(_options);
        return this;
    }

    /// <summary>Builds the connection. A builder builds once.</summary>
    public HubConnection Build()
    {
        if (_built)
        {
            throw new InvalidOperationException("This HubConnectionBuilder has already built a connection; create a new builder.");
        }

        _built = true;
        return new HubConnection(_options);
    }
}
