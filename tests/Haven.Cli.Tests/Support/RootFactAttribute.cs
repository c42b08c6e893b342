namespace Haven.Cli.Tests.Support;

/// <summary>A test that needs root (to mount a small tmpfs). CI runs as root, so it runs there.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root")
        {
            Skip = "needs root to mount a small tmpfs";
        }
    }
}
