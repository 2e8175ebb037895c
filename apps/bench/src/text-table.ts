/** Plain-text tables: a header, a rule, then the rows, columns padded to their widest cell. */

/** `right[i]`: column i holds numbers, right-aligned. */
export function textTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  right: readonly boolean[],
): string[] {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        right[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}
