#!/usr/bin/env bash
# Runs Haven's benchmarks side by side with restic, borg and a sqlite3+zstd+age pipeline, and
# writes docs/benchmarks.md and docs/benchmarks.svg. Options go to bench/Haven.Bench
# (--size-mib N, --runs N, --work DIR, --skip-latency). Not part of CI: it takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in restic borg sqlite3 zstd age /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic borgbackup sqlite3 zstd age time >/dev/null
fi

dotnet build -c Release src/Haven.Cli -v quiet -nologo
dotnet build -c Release bench/Haven.Bench -v quiet -nologo
dotnet bench/Haven.Bench/bin/Release/net10.0/Haven.Bench.dll \
  --haven src/Haven.Cli/bin/Release/net10.0/haven.dll --out docs/benchmarks.md "$@"
