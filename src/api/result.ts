/** A validation outcome: values come back with warnings; failures list every error found. */
export type Result<T, E> =
  { ok: true; value: T; warnings: E[] } | { ok: false; errors: E[]; warnings: E[] };
