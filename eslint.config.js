// One shared, typed ESLint config for every workspace.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'fs',
  'path',
  'http',
  'https',
  'net',
  'child_process',
  'crypto',
  'os',
  'stream',
  'timers',
  'worker_threads',
  'url',
  'util',
  'dns',
  'tls',
  'zlib',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.tools/**', '.data/**', '**/dist/**', '.turbo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O libraries, no Node built-ins.
    files: ['workflows/src/**/*.workflow.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_BUILTINS.flatMap((m) => [m, `node:${m}`]).map((name) => ({
              name,
              message: 'no Node built-ins in workflow code',
            })),
            { name: 'ioredis', message: 'workflows do no I/O: use an activity' },
            { name: 'jose', message: 'workflows do no crypto I/O: use an activity' },
            { name: '@temporalio/activity', message: 'activity APIs are not for workflows' },
          ],
          patterns: [
            {
              group: ['@federa/ledger', '@federa/auth', '@federa/tokenizer'],
              message: 'workflows import only types from I/O packages',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
