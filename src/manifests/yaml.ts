/**
 * YAML parsing with locations: every document of a file, its plain value, and a locator
 * that maps a path inside the document to the line and column of the node (or of the
 * nearest existing parent when the path is missing).
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { codes } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { PathSegment } from './problem.js';

/** A line and a column, both 1-based. */
export interface Position {
  line: number;
  column: number;
}

/** Maps a path inside a document to a position; `atKey` points at the mapping key. */
export type Locator = (
  path: readonly PathSegment[],
  opts?: { atKey?: boolean; textLine?: number },
) => Position;

/** One non-empty document of a file. */
export interface ParsedDoc {
  /** 0-based index among the file's documents (empty ones included). */
  index: number;
  value: unknown;
  /** Where the document's content starts. */
  start: Position;
  locate: Locator;
}

/** A problem of the file itself (syntax, aliases) with its position. */
export interface FileProblem extends Position {
  code: ErrorCode;
  message: string;
  severity: 'error' | 'warning';
}

/** Alias expansions above this are treated as an alias bomb. */
export const maxAliasCount = 100;

/** Parses every document of a YAML text; never throws. */
export function parseYaml(text: string): { docs: ParsedDoc[]; problems: FileProblem[] } {
  const lc = new LineCounter();
  const pos = (offset: number): Position => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const docs: ParsedDoc[] = [];
  const problems: FileProblem[] = [];
  const all = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, lineCounter: lc });
  const list = Array.isArray(all) ? all : [];
  list.forEach((doc, index) => {
    for (const w of doc.warnings)
      problems.push({
        ...errPos(w.linePos),
        code: codes.yamlSyntax,
        severity: 'warning',
        message: firstLine(w.message),
      });
    if (doc.errors.length > 0) {
      for (const e of doc.errors)
        problems.push({
          ...errPos(e.linePos),
          code: codes.yamlSyntax,
          severity: 'error',
          message: `${firstLine(e.message)}: fix the YAML syntax`,
        });
      return;
    }
    if (doc.contents === null) return;
    const start = pos(doc.contents.range[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (err) {
      const message = `too many alias expansions (more than ${maxAliasCount}): expand the document without aliases (${err instanceof Error ? err.message : String(err)})`;
      problems.push({ ...start, code: codes.yamlAliases, severity: 'error', message });
      return;
    }
    if (value === null || value === undefined) return;
    docs.push({
      index,
      value,
      start,
      locate: locator(doc, pos, (line) => indentOf(text, lc, line)),
    });
  });
  return { docs, problems };
}

function errPos(
  linePos: [{ line: number; col: number }] | [{ line: number; col: number }, unknown] | undefined,
): Position {
  const p = linePos?.[0];
  return { line: p?.line ?? 1, column: p?.col ?? 1 };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

function findPair(node: unknown, seg: PathSegment): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
}

function locator(
  doc: Document,
  pos: (offset: number) => Position,
  indent: (line: number) => number,
): Locator {
  return (path, opts = {}) => {
    let node: unknown = doc.contents;
    let best = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as PathSegment;
      const last = i === path.length - 1;
      if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
      } else {
        const pair = findPair(node, seg);
        if (!pair) break;
        const keyStart = rangeStart(pair.key);
        if (last && opts.atKey && keyStart !== undefined) return pos(keyStart);
        node = pair.value;
        // A key with no value (`storage:`) is best shown at the key itself.
        if (node === null || node === undefined)
          return keyStart === undefined ? pos(best) : pos(keyStart);
      }
      const start = rangeStart(node);
      if (start === undefined) break;
      best = start;
    }
    const at = pos(best);
    if (
      opts.textLine !== undefined &&
      isScalar(node) &&
      (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')
    ) {
      // Block scalar content starts on the line after the indicator.
      const line = at.line + opts.textLine;
      return { line, column: indent(line) + 1 };
    }
    return at;
  };
}

function indentOf(text: string, lc: LineCounter, line: number): number {
  const start = lc.lineStarts[line - 1];
  if (start === undefined) return 0;
  let i = start;
  while (text[i] === ' ') i++;
  return i - start;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
