/**
 * The built-in policy set: the YAML files of the package's top-level `policies/` folder
 * (shipped in the npm package, see `files` in package.json). The one file of src/policy/
 * that does I/O; loadPolicies() stays pure and takes what this returns.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { maxManifestBytes } from '../api/manifest-file.js';
import type { SourceFile } from '../api/manifest-file.js';

// This module runs as src/policy/built-in.ts (tsx, vitest) or dist/policy/built-in.js (the
// build: tsconfig.build.json maps rootDir src to outDir dist): both are two levels below the
// package root. tsconfig.json itself only type-checks (--noEmit).
const folder = new URL('../../policies/', import.meta.url);

/**
 * Reads the built-in policy files, sorted by name, with paths such as
 * `policies/storage.yaml` (loadPolicies shows them as `dbops:policies/storage.yaml`).
 * Rejects when the folder cannot be read: a package without its policies is broken.
 */
export async function builtInPolicyFiles(): Promise<SourceFile[]> {
  const names = (await readdir(folder)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  return Promise.all(
    names.map(async (name): Promise<SourceFile> => {
      const content = await readFile(new URL(name, folder), 'utf8');
      const size = Buffer.byteLength(content);
      return {
        path: `policies/${name}`,
        size,
        content: size > maxManifestBytes ? null : content,
      };
    }),
  );
}

/** The folder the built-in set is read from, for messages and tests. */
export const builtInPolicyFolder = fileURLToPath(folder);
