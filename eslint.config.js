// Typed ESLint: floating promises are bugs in a controller; third-party clients stay in one folder each.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const onlyIn = (pkg, folder) => ({
  ignores: [`src/${folder}/**`],
  files: ['src/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      { paths: [{ name: pkg, message: `${pkg} is used only under src/${folder}/` }] },
    ],
  },
});

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
  onlyIn('isomorphic-git', 'source'),
  onlyIn('ioredis', 'db/redis'),
  onlyIn('pg', 'db/postgres'),
  onlyIn('@kubernetes/client-node', 'runtime/kubernetes'),
);
