/** A document placed in its file, with its final value (origin and digest filled in). */
import type { Autoscaler, DatabaseSpec, OpsRequest, Origin } from '../api/desired.js';
import type { ManifestError } from '../api/manifest-error.js';
import type { ConfigMapDoc } from './config-maps.js';
import type { DocResult } from './document.js';
import type { StorageSection } from './normalise-autoscaler.js';
import type { Problem } from './problem.js';
import { fieldName } from './problem.js';
import type { Locator } from './yaml.js';

/** One document of the repository after it was read on its own. */
export interface Entry extends DocResult {
  file: string;
  origin: Origin;
  locate: Locator;
  /** Set when the document is a valid database. */
  spec?: DatabaseSpec;
  /** metadata.labels of a valid database (policies select by them). */
  labels?: Record<string, string>;
  /** Set when the document is a valid OpsRequest. */
  op?: OpsRequest;
  /** Set when the document is a valid autoscaler. */
  autoscaler?: Autoscaler;
  section?: StorageSection;
  /** Set when the document is a valid ConfigMap (init scripts). */
  configMap?: ConfigMapDoc;
}

/** Places a problem of an entry's document in its file, attributed to the entry's database. */
export function toManifestError(
  entry: Pick<Entry, 'file' | 'locate' | 'database'>,
  p: Problem,
): ManifestError {
  const at = entry.locate(p.path, {
    atKey: p.atKey ?? false,
    ...(p.textLine === undefined ? {} : { textLine: p.textLine }),
  });
  return {
    code: p.code,
    file: entry.file,
    line: at.line,
    column: at.column,
    field: fieldName(p.path),
    message: p.message,
    ...(p.hint === undefined ? {} : { hint: p.hint }),
    ...(entry.database === undefined ? {} : { database: entry.database }),
  };
}
