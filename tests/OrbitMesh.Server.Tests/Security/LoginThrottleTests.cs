using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>Failed logins are limited per account and address, so an attacker cannot lock the owner out from elsewhere.</summary>
public sealed class LoginThrottleTests
{
    [Fact]
    public async Task FailuresFromOneAddress_BlockThatAddressForTheAccount_NotTheOwnerElsewhere_NorOtherAccounts()
    {
        await using var server = await ApiSecurity.StartAsync(o =>
        {
            o.Security.LoginPermitsPerMinute = 100;
            o.Security.LoginFailuresPerAccount = 5;
        });
        await ApiSecurity.CreateUsersAsync(server, "admin", "viewer");
        using var attacker = From(server, IPAddress.Loopback);
        using var owner = From(server, IPAddress.Parse("127.0.0.2"));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var guess = await attacker.PostAsJsonAsync("/api/auth/login", new { username = "admin-user", password = "guess number " + i });
            statuses.Add(guess.StatusCode);
        }

        using var rightPasswordFromTheAttacker = await attacker.PostAsJsonAsync("/api/auth/login", new { username = "admin-user", password = ApiSecurity.Password });
        using var ownerLogin = await owner.PostAsJsonAsync("/api/auth/login", new { username = "admin-user", password = ApiSecurity.Password });
        using var otherAccount = await attacker.PostAsJsonAsync("/api/auth/login", new { username = "viewer-user", password = ApiSecurity.Password });

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightPasswordFromTheAttacker.StatusCode);
        Assert.Contains("Too many failed logins for 'admin-user' from this address", await ApiSecurity.DetailAsync(rightPasswordFromTheAttacker), StringComparison.Ordinal);
        Assert.InRange(int.Parse(rightPasswordFromTheAttacker.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.OK, ownerLogin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherAccount.StatusCode);
    }

    [Fact]
    public void AccountWideLimit_StopsAddressesThatFailed_LetsFreshOnesTry_AndTheWindowEnds()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = Microsoft.Extensions.Options.Options.Create(new OrbitMeshServerOptions());
        options.Value.Security.LoginFailuresPerAccount = 3;
        options.Value.Security.LoginFailuresPerAccountAllAddresses = 4;
        var throttle = new LoginThrottle(options, time);

        foreach (var address in new[] { "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4" })
        {
            Assert.Null(throttle.RetryAfter("admin", address));
            throttle.RecordFailure("admin", address);
        }

        Assert.NotNull(throttle.RetryAfter("admin", "10.0.0.1"));
        Assert.Null(throttle.RetryAfter("admin", "10.0.0.9"));
        Assert.Null(throttle.RetryAfter("other", "10.0.0.1"));

        time.Advance(LoginThrottle.Window);
        Assert.Null(throttle.RetryAfter("admin", "10.0.0.1"));
    }

    [Fact]
    public void CorrectPassword_ClearsThatAddressesFailures()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        var throttle = new LoginThrottle(Microsoft.Extensions.Options.Options.Create(new OrbitMeshServerOptions()), time);
        for (var i = 0; i < 4; i++)
        {
            throttle.RecordFailure("admin", "10.0.0.1");
        }

        throttle.RecordSuccess("admin", "10.0.0.1");
        throttle.RecordFailure("admin", "10.0.0.1");

        Assert.Null(throttle.RetryAfter("admin", "10.0.0.1"));
    }

    /// <summary>A client whose connections come from <paramref name="local"/> (any 127.0.0.0/8 address reaches the loopback server).</summary>
    private static HttpClient From(TestMeshServer server, IPAddress local) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = server.Url };
}
