using Haven.Hosting;
using Haven.Samples.Desktop;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

// A desktop program: the journal is usable at once while Haven takes its launch snapshot in
// the background; each entry asks for a (coalesced) snapshot; quitting stops the host gracefully.
using var host = DesktopHost.Build(args);
var configuration = host.Services.GetRequiredService<IConfiguration>();
var journal = new JournalFile(configuration["App:DatabasePath"] ?? "journal.db");
journal.EnsureCreated();
await host.StartAsync();

var backup = host.Services.GetRequiredService<IBackupTrigger>();
Console.WriteLine("Journal ready. Type an entry and press Enter; an empty line quits.");
while (Console.ReadLine() is { Length: > 0 } line)
{
    journal.Add(line);
    await backup.RequestBackupAsync("journal entry added");
}

await host.StopAsync();
