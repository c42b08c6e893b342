namespace Haven.Core;

/// <summary>Folders only this user may enter (0700): for anything that holds data or secrets in the clear.</summary>
internal static class PrivateFolder
{
    public static void Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
