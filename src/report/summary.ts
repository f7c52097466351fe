export interface ArtifactSummary {
  file: string;
  target: string;
  package: string;
  toolchain: string;
  size: number;
  sha256: string;
  seconds: number;
}

function humanSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** A fixed-width table of what a build produced, one row per artifact. */
export function formatArtifactTable(rows: readonly ArtifactSummary[]): string {
  const header = ['FILE', 'TOOLCHAIN', 'TARGET', 'PACKAGE', 'SIZE', 'SHA256', 'TIME'];
  const body = rows.map((row) => [
    row.file,
    row.toolchain,
    row.target,
    row.package,
    humanSize(row.size),
    row.sha256.slice(0, 12),
    `${row.seconds.toFixed(1)}s`,
  ]);
  return formatTable([header, ...body]);
}

export function formatTable(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ')).join('\n');
}
