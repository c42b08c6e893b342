using System.CommandLine;
using System.Text;
using Haven.Core;
using Haven.Core.Report;
using Haven.Core.Repository;

namespace Haven.Cli.Commands;

/// <summary>
/// <c>haven report</c>: compliance evidence from the repository and audit log; exit 3 if a claim is unsupported.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format")
        {
            Description = "md, html or json.",
            DefaultValueFactory = _ => "md"
        };
        format.AcceptOnlyFromAmong("md", "html", "json");
        var output = new Option<string?>("--out")
        {
            Description = "Write the report to this file instead of standard output."
        };
        var days = new Option<int>("--days")
        {
            Description = "Days covered, up to now.",
            DefaultValueFactory = _ => 30
        };
        var command = new Command(
            "report",
            "Generate compliance evidence from the repository and its audit " +
            "log; exit 3 when any claim is not supported.")
        {
            format, output, days,
        };
        command.SetAction(HavenCli.Action(context =>
        {
            int period = context.Parse.GetValue(days);
            if (period is < 1 or > 3660)
            {
                throw new UsageException($"--days must be between 1 and 3660, not {period}.");
            }

            var settings = SettingsFile.Load(context);
            using var repository = context.OpenRepository();
            var report = ComplianceReportBuilder.Build(repository, settings, period);
            string text = context.Parse.GetValue(format) switch
            {
                "html" => ReportRenderer.ToHtml(report),
                "json" => ReportRenderer.ToJson(report),
                _ => ReportRenderer.ToMarkdown(report),
            };
            if (context.Parse.GetValue(output) is { } path)
            {
                string full = Path.GetFullPath(path);
                AtomicFile.Write(full, Encoding.UTF8.GetBytes(text), Path.GetDirectoryName(full)!, overwrite: true);
                context.Out.WriteLine($"Wrote {full}");
            }
            else
            {
                context.Out.Write(text);
            }

            foreach (var claim in report.Claims.Where(c => c.Status == Haven.Core.Report.ClaimStatus.Unsupported))
            {
                context.Error.WriteLine($"Unsupported claim: {claim.Claim} {claim.Finding}");
            }

            return report.AllSupported ? ExitCodes.Ok : ExitCodes.Integrity;
        }));
        return command;
    }
}
