using System.Reflection;
using System.Threading.Channels;

namespace OrbitMesh.Transport;

/// <summary>
/// Recognises upload-stream arguments (<see cref="ChannelReader{T}"/> and <see cref="IAsyncEnumerable{T}"/>)
/// and views them as a stream of objects.
/// </summary>
internal static class StreamAdapters
{
    private static readonly MethodInfo FromAsyncEnumerableMethod =
        typeof(StreamAdapters).GetMethod(nameof(FromAsyncEnumerable), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly MethodInfo FromChannelReaderMethod =
        typeof(StreamAdapters).GetMethod(nameof(FromChannelReader), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static IAsyncEnumerable<object?>? TryAdapt(object argument)
    {
        if (argument is IAsyncEnumerable<object?> objects)
        {
            return objects;
        }

        var type = argument.GetType();
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(ChannelReader<>))
            {
                return (IAsyncEnumerable<object?>)FromChannelReaderMethod.MakeGenericMethod(current.GetGenericArguments()[0]).Invoke(null, [argument, CancellationToken.None])!;
            }
        }

        foreach (var candidate in type.GetInterfaces())
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>))
            {
                return (IAsyncEnumerable<object?>)FromAsyncEnumerableMethod.MakeGenericMethod(candidate.GetGenericArguments()[0]).Invoke(null, [argument, CancellationToken.None])!;
            }
        }

        return null;
    }

    private static async IAsyncEnumerable<object?> FromAsyncEnumerable<T>(IAsyncEnumerable<T> source, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private static async IAsyncEnumerable<object?> FromChannelReader<T>(ChannelReader<T> reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                yield return item;
            }
        }
    }
}
