using Haven.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Haven.Samples.Desktop;

/// <summary>
/// The desktop program's host: the same Haven lines as the web sample, in a .NET Generic Host.
/// Settings come from desktop.json beside the program (lowest priority, since a desktop program
/// is started from any folder), then appsettings.json, <c>Haven__*</c> environment variables
/// and <c>--Haven:Key=value</c> arguments.
/// </summary>
public static class DesktopHost
{
    /// <summary>Builds the host; <paramref name="configure"/> lets tests swap services such as the clock.</summary>
    public static IHost Build(string[] args, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(args);
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, new JsonConfigurationSource
        {
            Path = "desktop.json",
            Optional = true,
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
        });
        builder.Services.AddHaven();
        configure?.Invoke(builder.Services);
        return builder.Build();
    }
}
