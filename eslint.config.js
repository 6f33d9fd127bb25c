// Flat config: typescript-eslint's recommended rules on every TypeScript source.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.bench-dist*/**', 'data/**', 'node_modules/**', 'editor/dist/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': 'off',
    },
  },
  {
    // engine/ must never depend on server/, db/, nodes/ or editor/ (imports flow one way).
    files: ['engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../server/*', '../../server/*', '../db/*', '../../db/*', '../nodes/*', '../../nodes/*', '../editor/*', '../../editor/*'] }],
    },
  },
  {
    files: ['nodes/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../server/*', '../db/*', '../editor/*', '../../server/*', '../../db/*', '../../editor/*'] }],
    },
  },
  {
    // editor/ talks to the server only over HTTP: no imports from the server side, except the
    // API's schemas (server/schemas/*), and those for their types only (erased from the bundle).
    files: ['editor/**/*.ts', 'editor/**/*.tsx'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../engine/*', '../../server/*', '../../db/*', '../../nodes/*', '../../../engine/*', '../../../server/*', '../../../db/*', '../../../nodes/*', '!../../../server/schemas/*'] },
            { group: ['../../../server/schemas/*'], allowTypeImports: true, message: 'the editor may import the API schemas for their types only (import type)' },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
