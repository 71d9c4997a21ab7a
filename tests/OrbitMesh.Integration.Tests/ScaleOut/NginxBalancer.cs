using System.Globalization;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.ScaleOut;

/// <summary>
/// Debian's nginx in front of cluster servers, as the seed draws the scale-out: one address for the agents,
/// sticky sessions by client address (<c>ip_hash</c>, the open-source nginx's stickiness; SignalR needs the negotiate
/// request and the connection after it on one server), WebSocket upgrades passed through, and a dead server skipped.
/// Runs in the foreground from a directory of its own on 127.0.0.1 and a free port; disposing kills it and its workers.
/// </summary>
internal sealed class NginxBalancer : IAsyncDisposable
{
    private readonly CliProcess _process;
    private readonly string _directory;

    private NginxBalancer(CliProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Url = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    public Uri Url { get; }

    public static async Task<NginxBalancer> StartAsync(IEnumerable<Uri> upstreams, ITestOutputHelper output)
    {
        var directory = Directory.CreateTempSubdirectory("orbitmesh-nginx-").FullName;
        var port = FreePort.Next();
        var servers = string.Concat(upstreams.Select(u => $"    server 127.0.0.1:{u.Port} max_fails=1 fail_timeout=5s;\n"));
        // Workers run as the master's user; as root nginx would switch them to nobody, who cannot write here.
        var user = Environment.UserName == "root" ? "user root;\n" : "";
        var config = $$"""
            {{user}}daemon off;
            worker_processes 1;
            error_log {{directory}}/error.log warn;
            pid {{directory}}/nginx.pid;
            events { worker_connections 512; }
            http {
              access_log off;
              client_body_temp_path {{directory}}/body;
              proxy_temp_path {{directory}}/proxy;
              fastcgi_temp_path {{directory}}/fastcgi;
              uwsgi_temp_path {{directory}}/uwsgi;
              scgi_temp_path {{directory}}/scgi;
              map $http_upgrade $connection_upgrade { default upgrade; '' close; }
              upstream mesh {
                ip_hash;
            {{servers}}  }
              server {
                listen 127.0.0.1:{{port}};
                location / {
                  proxy_pass http://mesh;
                  proxy_http_version 1.1;
                  proxy_set_header Upgrade $http_upgrade;
                  proxy_set_header Connection $connection_upgrade;
                  proxy_set_header Host $host;
                  proxy_buffering off;
                  proxy_connect_timeout 2s;
                  proxy_read_timeout 1h;
                  proxy_next_upstream error timeout;
                }
              }
            }
            """;
        var path = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(path, config);
        var process = CliProcess.StartProgram("nginx", TestServers.Nginx, ["-p", directory, "-c", path], directory, output);
        var balancer = new NginxBalancer(process, directory, port);
        try
        {
            await Wait.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {process.Stderr} {ReadLog(directory)}");
                }

                using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
                try
                {
                    using var response = await http.GetAsync(new Uri(balancer.Url, "/health/live"));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "nginx to proxy /health/live", TimeSpan.FromSeconds(20));
        }
        catch
        {
            await balancer.DisposeAsync();
            throw;
        }

        return balancer;
    }

    private static string ReadLog(string directory) =>
        File.Exists(Path.Combine(directory, "error.log")) ? File.ReadAllText(Path.Combine(directory, "error.log")) : "";

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
