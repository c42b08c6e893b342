using System.Diagnostics;
using System.Globalization;
using Haven.Core.Backup;

namespace Haven.Cli;

/// <summary>
/// Progress on standard error: a redrawn bar on a terminal; a plain line per quarter when redirected,
/// so logs stay readable. Silent for operations that finish within a second.
/// </summary>
internal sealed class TerminalProgress(TextWriter error, string label, bool interactive)
    : IProgress<Progress>, IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _lastQuarter;
    private bool _drawn;

    public void Report(Progress value)
    {
        if (value.Total <= 0 || _clock.Elapsed < TimeSpan.FromSeconds(1))
        {
            return;
        }

        double fraction = Math.Clamp((double)value.Done / value.Total, 0, 1);
        if (interactive)
        {
            int filled = (int)(fraction * 30);
            error.Write(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"\r{label} [{new string('#', filled)}{new string('.', 30 - filled)}] " +
                    $"{fraction:P0} {value.Done}/{value.Total} chunks   "));
            _drawn = true;
            return;
        }

        int quarter = (int)(fraction * 4);
        if (quarter > _lastQuarter)
        {
            _lastQuarter = quarter;
            error.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{label}: {fraction:P0} ({value.Done} of {value.Total} chunks)"));
        }
    }

    public void Dispose()
    {
        if (_drawn)
        {
            error.WriteLine();
        }
    }
}
