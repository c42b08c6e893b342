using System.Reflection;

namespace Haven.Core;

/// <summary>The version of Haven, recorded in every manifest.</summary>
public static class HavenVersion
{
    /// <summary>The informational version of Haven.Core, without build metadata.</summary>
    public static string Current { get; } =
        (typeof(HavenVersion).Assembly
                .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? "0.0.0")
        .Split('+')[0];
}
