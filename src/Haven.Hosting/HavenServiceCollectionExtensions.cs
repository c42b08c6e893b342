using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Haven.Hosting;

/// <summary>Adds Haven to a .NET Generic Host or ASP.NET Core app.</summary>
public static class HavenServiceCollectionExtensions
{
    /// <summary>
    /// Adds Haven: options bound from the configuration section <c>Haven</c>, then changed by
    /// <paramref name="configure"/>, and validated when the host starts; the launch snapshot, the
    /// critical-operation trigger (<see cref="IBackupTrigger"/>), the schedules, the "haven" health
    /// check (map it with <c>app.MapHealthChecks("/health")</c>) and the metrics of meter
    /// <see cref="HavenMetrics.MeterName"/>.
    /// </summary>
    public static IServiceCollection AddHaven(this IServiceCollection services, Action<HavenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<HavenOptions>()
            .Configure<IServiceProvider>((options, provider) =>
                provider.GetService<IConfiguration>()?.GetSection(HavenOptions.SectionName).Bind(options))
            .ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HavenOptions>, HavenOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<HavenStatus>();
        services.TryAddSingleton<HavenMetrics>();
        services.TryAddSingleton<RepositoryAccess>();
        services.TryAddSingleton<BackupEngine>();
        services.TryAddSingleton<CriticalOperationQueue>();
        services.TryAddSingleton<IBackupTrigger>(provider => provider.GetRequiredService<CriticalOperationQueue>());
        services.AddHostedService<HavenHostedService>();
        services.AddHealthChecks().AddCheck<HavenHealthCheck>("haven");
        return services;
    }
}
