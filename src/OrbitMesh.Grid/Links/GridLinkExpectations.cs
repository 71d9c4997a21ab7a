using System.Security.Cryptography;
using OrbitMesh.Agent;

namespace OrbitMesh.Grid.Links;

/// <summary>
/// The pushes a receiving star has been told to expect, one per job, and the receive running for each:
/// bounded (<see cref="Capacity"/>; when full of unexpired entries a new one is refused), and each entry
/// lives only as long as a link token may (<see cref="GridLinkTokenIssuer.MaxLifetime"/>). The server's
/// public key comes with each expectation; one token validator per key remembers the spent nonces.
/// </summary>
internal sealed class GridLinkExpectations
{
    public const int Capacity = 1024;

    private readonly Dictionary<string, Expectation> _expected = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _receiving = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GridLinkTokenValidator> _validators = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    public GridLinkExpectations(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Records what the server announced; replaces an earlier announcement for the same job.</summary>
    public void Expect(LinkExpectRequest request, long offset)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var stale in _expected.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList())
            {
                _expected.Remove(stale);
            }

            if (_expected.Count >= Capacity && !_expected.ContainsKey(request.JobId))
            {
                throw new MeshAccessDeniedException("Too many direct links are expected on this star; try again later.");
            }

            if (!_validators.TryGetValue(request.ServerKey, out var validator))
            {
                if (_validators.Count >= 16)
                {
                    _validators.Clear();
                }

                validator = new GridLinkTokenValidator(ImportKey(request.ServerKey), _time);
                _validators[request.ServerKey] = validator;
            }

            _expected[request.JobId] = new Expectation(request, offset, validator, now + GridLinkTokenIssuer.MaxLifetime);
        }
    }

    /// <summary>
    /// Takes the expectation for <paramref name="jobId"/> when <paramref name="token"/> is valid for it (one push per
    /// announcement) and marks the job as receiving; throws <see cref="MeshAccessDeniedException"/> otherwise.
    /// </summary>
    public (LinkExpectRequest Request, long Offset, TaskCompletionSource Done) Take(string jobId, string? token, string targetNodeId, long offset, long length)
    {
        lock (_gate)
        {
            if (!_expected.TryGetValue(jobId, out var expectation) || expectation.ExpiresAt <= _time.GetUtcNow())
            {
                throw new MeshAccessDeniedException("No direct link is expected for this job.");
            }

            var claims = expectation.Validator.Validate(token, jobId, expectation.Request.SourceNodeId, targetNodeId, offset, length);
            if (claims.Path != expectation.Request.Path || offset != expectation.Offset || offset + length != expectation.Request.Length)
            {
                throw new MeshAccessDeniedException("The link token was issued for another range.");
            }

            if (_receiving.ContainsKey(jobId))
            {
                throw new MeshAccessDeniedException("A push for this job is already running.");
            }

            _expected.Remove(jobId);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _receiving[jobId] = done;
            return (expectation.Request, offset, done);
        }
    }

    /// <summary>Ends the receive for <paramref name="jobId"/>.</summary>
    public void Finish(string jobId, TaskCompletionSource done)
    {
        lock (_gate)
        {
            _receiving.Remove(jobId);
        }

        done.TrySetResult();
    }

    /// <summary>Completes when no push for <paramref name="jobId"/> is running (a resume waits for the broken one to let go of the file).</summary>
    public Task IdleAsync(string jobId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _receiving.TryGetValue(jobId, out var done) ? done.Task.WaitAsync(cancellationToken) : Task.CompletedTask;
        }
    }

    private static ECDsa ImportKey(string serverKey)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(serverKey), out _);
            return key;
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            key.Dispose();
            throw new MeshParameterException("'serverKey' is not a public key.");
        }
    }

    private sealed record Expectation(LinkExpectRequest Request, long Offset, GridLinkTokenValidator Validator, DateTimeOffset ExpiresAt);
}
