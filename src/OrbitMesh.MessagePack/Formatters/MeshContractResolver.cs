using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;

namespace OrbitMesh.MessagePack.Formatters;

/// <summary>
/// Formatters for what crosses the hub: OrbitMesh.Core's contracts (<see cref="ContractFormatter{T}"/>) and enums
/// (<see cref="EnumNameFormatter{T}"/>), <see cref="JsonElement"/> and <see cref="DateTimeOffset"/>, each also as a
/// nullable. Everything else (numbers, strings, lists, dictionaries, bytes) is left to MessagePack's standard resolver.
/// </summary>
internal sealed class MeshContractResolver : IFormatterResolver
{
    public static readonly MeshContractResolver Instance = new();

    private static readonly System.Reflection.Assembly Contracts = typeof(OrbitMeshJson).Assembly;

    private MeshContractResolver()
    {
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    private static object? Create(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return ForValue(underlying) is { } inner
                ? Activator.CreateInstance(typeof(StaticNullableFormatter<>).MakeGenericType(underlying), inner)
                : null;
        }

        if (ForValue(type) is { } formatter)
        {
            return formatter;
        }

        return type.IsClass && !type.IsAbstract && type.Assembly == Contracts && !typeof(Delegate).IsAssignableFrom(type)
            ? typeof(ContractFormatter<>).MakeGenericType(type).GetField(nameof(ContractFormatter<object>.Instance))!.GetValue(null)
            : null;
    }

    private static object? ForValue(Type type)
    {
        if (type == typeof(JsonElement))
        {
            return JsonElementFormatter.Instance;
        }

        if (type == typeof(DateTimeOffset))
        {
            return DateTimeOffsetFormatter.Instance;
        }

        return type.IsEnum && type.Assembly == Contracts
            ? typeof(EnumNameFormatter<>).MakeGenericType(type).GetField(nameof(EnumNameFormatter<DayOfWeek>.Instance))!.GetValue(null)
            : null;
    }

    private static class Cache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = (IMessagePackFormatter<T>?)Create(typeof(T));
    }
}
