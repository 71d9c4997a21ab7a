using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack;

namespace OrbitMesh.MessagePack.Formatters;

/// <summary>
/// How a contract type of OrbitMesh.Core maps to a MessagePack map: the same member names as its JSON encoding
/// (camelCase, or <see cref="JsonPropertyNameAttribute"/>), the members <see cref="JsonIgnoreAttribute"/> leaves out
/// left out, built through its constructor (positional records) or its setters, with required members enforced.
/// </summary>
internal sealed class ContractShape
{
    private readonly ConstructorInfo constructor;
    private readonly int[] constructorMembers;
    private readonly object?[] constructorDefaults;
    private readonly Dictionary<string, int> byName;

    private ContractShape(Type type)
    {
        var members = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => new Member(
                p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name),
                p,
                p.GetCustomAttribute<RequiredMemberAttribute>() is not null))
            .ToArray();
        Members = members;
        byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < members.Length; i++)
        {
            byName[members[i].Name] = i;
        }

        constructor = type.GetConstructor(Type.EmptyTypes)
            ?? type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
                .Where(c => c.GetParameters() is not [{ } only] || only.ParameterType != type)
                .OrderByDescending(c => c.GetParameters().Length)
                .FirstOrDefault()
            ?? throw new InvalidOperationException($"{type} has no public constructor for MessagePack to build it with.");
        var parameters = constructor.GetParameters();
        constructorMembers = new int[parameters.Length];
        constructorDefaults = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            constructorMembers[i] = byName.TryGetValue(parameter.Name!, out var member) ? member : -1;
            constructorDefaults[i] = parameter.HasDefaultValue ? parameter.DefaultValue
                : parameter.ParameterType.IsValueType ? Activator.CreateInstance(parameter.ParameterType) : null;
        }
    }

    /// <summary>The members, in declaration order.</summary>
    public Member[] Members { get; }

    public static ContractShape Of(Type type) => new(type);

    public bool TryFind(string name, out int index) => byName.TryGetValue(name, out index);

    /// <summary>Builds the object from the members read (<paramref name="present"/> marks which).</summary>
    public object Create(object?[] values, bool[] present)
    {
        for (var i = 0; i < Members.Length; i++)
        {
            if (Members[i].Required && !present[i])
            {
                throw new MessagePackSerializationException($"'{Members[i].Name}' is required.");
            }
        }

        var arguments = new object?[constructorMembers.Length];
        var bound = new bool[Members.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            var member = constructorMembers[i];
            arguments[i] = member >= 0 && present[member] ? values[member] : constructorDefaults[i];
            if (member >= 0)
            {
                bound[member] = true;
            }
        }

        var instance = constructor.Invoke(arguments);
        for (var i = 0; i < Members.Length; i++)
        {
            if (present[i] && !bound[i] && Members[i].Property.SetMethod is { IsPublic: true })
            {
                Members[i].Property.SetValue(instance, values[i]);
            }
        }

        return instance;
    }

    internal sealed record Member(string Name, PropertyInfo Property, bool Required)
    {
        public Type Type => Property.PropertyType;
    }
}
