/** Number of hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16384;

/** An inclusive range of slots, `[first, last]`. */
export type SlotRange = readonly [number, number];

/**
 * Splits slots 0..16383 evenly over `shards`: shard i gets one contiguous range, and the first
 * `16384 % shards` shards get one slot more. Pure.
 */
export function splitSlots(shards: number): SlotRange[] {
  if (!Number.isInteger(shards) || shards < 1 || shards > SLOT_COUNT) {
    throw new RangeError(`shard count must be an integer in 1..${SLOT_COUNT}, got ${shards}`);
  }
  const base = Math.floor(SLOT_COUNT / shards);
  const extra = SLOT_COUNT % shards;
  const ranges: SlotRange[] = [];
  let first = 0;
  for (let i = 0; i < shards; i++) {
    const size = base + (i < extra ? 1 : 0);
    ranges.push([first, first + size - 1]);
    first += size;
  }
  return ranges;
}

/** Compresses a sorted list of slots into inclusive ranges. Pure. */
export function toRanges(slots: readonly number[]): SlotRange[] {
  const ranges: SlotRange[] = [];
  let start: number | undefined;
  let prev = -2;
  for (const s of slots) {
    if (start !== undefined && s === prev + 1) {
      prev = s;
      continue;
    }
    if (start !== undefined) ranges.push([start, prev]);
    start = s;
    prev = s;
  }
  if (start !== undefined) ranges.push([start, prev]);
  return ranges;
}

/** Renders ranges the way redis-cli does: `0-5460,5462`. */
export function formatRanges(ranges: readonly SlotRange[]): string {
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}
