// The text of dbops' git notes: deterministic, one block per operation, no secrets. Pure.

/** What formatOperationNote needs of a finished (or failed) operation. */
export interface OperationNoteInput {
  id: string;
  database: string;
  type: string;
  phase: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: {
    name: string;
    phase: string;
    startedAt: string;
    finishedAt: string | null;
    message: string | null;
  }[];
  reason: string | null;
  message: string | null;
  file?: string;
}

/** Renders a duration compactly (`850ms`, `3.2s`, `1m12s`, `2h0m5s`). Pure. */
export function formatDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole < 1000) return `${whole}ms`;
  const tenths = Math.round(whole / 100);
  if (tenths < 600) return `${tenths / 10}s`;
  const secs = Math.round(whole / 1000);
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}

function between(from: string | null, to: string | null): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

// A value never spans lines: a newline in a message must not forge a field or split the block.
function oneLine(value: string): string {
  const flat = value.replace(/\p{Cc}+/gu, ' ').trim();
  return flat.length > 400 ? `${flat.slice(0, 400)}...` : flat;
}

/**
 * Renders an operation as a note block: a summary line (`dbops: <type> <id> on <db>: <phase>
 * in <duration>`, without ` in ...` while unfinished), `key: value` lines (null fields left
 * out) and one line per step. Pure and deterministic.
 */
export function formatOperationNote(op: OperationNoteInput): string {
  const total = between(op.startedAt, op.finishedAt);
  const took = total === undefined ? '' : ` in ${formatDuration(total)}`;
  const lines = [
    `dbops: ${oneLine(op.type)} ${oneLine(op.id)} on ${oneLine(op.database)}: ${oneLine(op.phase)}${took}`,
  ];
  const field = (key: string, value: string | null | undefined) => {
    if (value) lines.push(`${key}: ${oneLine(value)}`);
  };
  field('operation', op.id);
  field('type', op.type);
  field('database', op.database);
  field('result', op.phase);
  field('reason', op.reason);
  field('message', op.message);
  field('started', op.startedAt);
  field('finished', op.finishedAt);
  field('duration', total === undefined ? null : formatDuration(total));
  field('file', op.file);
  if (op.steps.length > 0) lines.push('steps:');
  for (const step of op.steps) {
    const ms = between(step.startedAt, step.finishedAt);
    const dur = ms === undefined ? '' : ` in ${formatDuration(ms)}`;
    const msg = step.message ? `: ${oneLine(step.message)}` : '';
    lines.push(`- ${oneLine(step.name)}: ${oneLine(step.phase)}${dur}${msg}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Normalises a block the way `git notes` stores text: LF, no trailing blanks, one final LF. */
export function noteBlock(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const body = lines
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
  return body ? `${body}\n` : '';
}

/**
 * The note after appending `text` to `existing` with a blank line between (as `git notes
 * append` does); undefined when the same block is already there, so a retry is a no-op. Pure.
 */
export function mergeNote(existing: string | undefined, text: string): string | undefined {
  const block = noteBlock(text);
  const base = noteBlock(existing ?? '');
  if (!base) return block;
  if (`\n\n${base}\n`.includes(`\n\n${block}\n`)) return undefined;
  return `${base}\n${block}`;
}
