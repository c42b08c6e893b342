using System.Globalization;
using System.Text;
using Haven.Core.Snapshots;

namespace Haven.Hosting;

/// <summary>
/// The requests one critical-operation snapshot covers: each distinct reason with how often it was
/// given, and the task that completes when the snapshot does.
/// </summary>
internal sealed class CoalescedRequests
{
    /// <summary>Longest reason recorded in a manifest; beyond it the rest are counted, not listed.</summary>
    internal const int MaxReasonLength = 2000;

    private readonly Dictionary<string, int> _reasons = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public TaskCompletionSource<IReadOnlyList<Manifest>> Done { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count { get; private set; }

    public void Add(string reason)
    {
        Count++;
        if (_reasons.TryGetValue(reason, out int n))
        {
            _reasons[reason] = n + 1;
            return;
        }

        _reasons[reason] = 1;
        _order.Add(reason);
    }

    /// <summary>
    /// The manifest's reason: "patient 12 deleted; bulk import (3 requests)", in the order first
    /// requested, so that a reader sees every reason a snapshot covers and how many calls it absorbed.
    /// </summary>
    public string Describe()
    {
        var text = new StringBuilder();
        int listed = 0;
        foreach (string reason in _order)
        {
            string part = _reasons[reason] == 1
                ? reason
                : string.Create(CultureInfo.InvariantCulture, $"{reason} ({_reasons[reason]} requests)");
            if (text.Length + part.Length > MaxReasonLength)
            {
                break;
            }

            text.Append(listed++ == 0 ? "" : "; ").Append(part);
        }

        int rest = _order.Count - listed;
        if (rest > 0)
        {
            int restRequests = _order.Skip(listed).Sum(r => _reasons[r]);
            text.Append(CultureInfo.InvariantCulture, $"; and {rest} more reasons ({restRequests} requests)");
        }

        return text.ToString();
    }
}
