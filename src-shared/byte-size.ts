/** Byte sizes people write: `500M`, `2G`, `2GiB`, `64MB` or plain bytes. Units are binary (1024). */
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?$/i;

/** The size in bytes, or undefined when `value` is not one (the caller says what was expected). */
export function parseByteSize(value: string): number | undefined {
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase();
  const bytes = Math.floor(Number(match[1]) * UNITS[unit]!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Words for a byte count a person typed: 16 MiB, 2 GiB, 1536 bytes. */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}
