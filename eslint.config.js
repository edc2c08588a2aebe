// Typed ESLint: floating promises are bugs in a controller. The import rules make the layering
// of STYLE.md mechanical: each third-party client is imported in one folder only (subpaths
// such as `ioredis/built/...` or `pg/lib/...` included), and the pure folders import no I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Each client package and the one folder under src/ that may import it.
const clients = [
  { pkg: 'isomorphic-git', folder: 'source' },
  { pkg: 'ioredis', folder: 'db/redis' },
  { pkg: 'pg', folder: 'db/postgres' },
  { pkg: '@kubernetes/client-node', folder: 'runtime/kubernetes' },
  { pkg: 'prom-client', folder: 'http' },
  { pkg: '@marcbachmann/cel-js', folder: 'policy' },
  { pkg: 'croner', folder: 'policy' },
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const clientPattern = ({ pkg, folder }) => ({
  regex: `^${escape(pkg)}(/.*)?$`,
  message: `${pkg} is used only under src/${folder}/.`,
});

// Pure code takes values and returns values (STYLE.md habits 1 and 6): it imports api/ and
// its own folder, never an interface, orchestration or entry-point folder, a platform
// primitive, a Node module that does I/O, or the logger. `import type` counts too: a type
// that pure code needs belongs in api/.
const pureFiles = [
  'src/api/**/*.ts',
  'src/manifests/**/*.ts',
  'src/plan/**/*.ts',
  'src/autoscale/decide.ts',
];
const pure = 'pure code (api/, manifests/, plan/, autoscale/decide.ts)';
const purePatterns = [
  {
    regex: '^(\\.\\./)+(source|runtime|db|http|execute|reconcile|cli|platform)(/|$)',
    message: `That folder does I/O or orchestrates it: ${pure} imports none; a shared type belongs in src/api/.`,
  },
  { regex: '^(\\.\\./)+main\\.js$', message: `The composition root: ${pure} imports none of it.` },
  {
    regex: '^(\\.\\./)+autoscale/(?!decide\\.js$)',
    message: `The autoscaler's I/O: ${pure} imports only decide.ts of autoscale/.`,
  },
  {
    regex:
      '^(node:)?(fs|child_process|net|tls|dgram|dns|http|https|http2|os|process|readline|worker_threads|cluster)(/.*)?$',
    message: `A Node module that does I/O: ${pure} takes the values as arguments.`,
  },
  { regex: '^pino(-pretty)?(/.*)?$', message: `Logging: ${pure} returns what happened instead.` },
  ...clients.map(clientPattern),
];

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

// A later config's options replace an earlier one's for the same rule: each config below lists
// every restriction of the files it matches, the more specific ones last.
const importRules = [
  { files: ['src/**/*.ts'], rules: restrict(clients.map(clientPattern)) },
  ...clients.map((own) => ({
    files: [`src/${own.folder}/**/*.ts`],
    rules: restrict(clients.filter((c) => c.folder !== own.folder).map(clientPattern)),
  })),
  { files: pureFiles, rules: restrict(purePatterns) },
  {
    // The rest of src/autoscale/ reads volumes and commits: decide.ts imports none of it.
    files: ['src/autoscale/decide.ts'],
    rules: restrict([
      ...purePatterns,
      { regex: '^\\./', message: 'The rest of autoscale/ does I/O: decide.ts imports only api/.' },
    ]),
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.dbops/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  ...importRules,
);
