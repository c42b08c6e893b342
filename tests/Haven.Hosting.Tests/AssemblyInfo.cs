// Each test boots a whole host with background services; run them one at a time so that no test
// waits on a thread another test's host is holding.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
