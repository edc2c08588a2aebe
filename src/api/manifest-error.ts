import type { ErrorCode } from '../errors.js';

/**
 * One problem found in the repository. `field` is a dotted path such as
 * `spec.storage.resources.requests.storage`; `database` is set when the problem can be
 * attributed to one database, so that the others can go on.
 */
export interface ManifestError {
  code: ErrorCode;
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
  /** What the user should do about it. */
  hint?: string;
  database?: string;
}
