// Lint configuration: typescript-eslint recommended, zero warnings, and the purity rule of src/core.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const corePurity = {
  patterns: [
    { group: ['node:*'], message: 'src/core is pure: no Node built-ins (pass platform APIs as parameters).' },
    {
      group: ['fastify', 'fastify/*', '@fastify/*', 'kysely', 'pg', 'better-sqlite3', 'idb'],
      message: 'src/core is pure: no server or storage libraries.',
    },
    {
      group: ['**/extension/**', '**/server/**', '**/dashboard/**'],
      message: 'src/core must not depend on the add-on, the server or the dashboard.',
    },
  ],
  paths: ['fs', 'path', 'crypto', 'os', 'http', 'https', 'child_process', 'url', 'util'].map((name) => ({
    name,
    message: 'src/core is pure: no Node built-ins.',
  })),
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'build/',
      'coverage/',
      'data/',
      'test-results/',
      '**/*.min.js',
      'src/dashboard/vendor/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        crypto: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'eslint-comments/require-description': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', corePurity],
      'no-restricted-globals': [
        'error',
        { name: 'messenger', message: 'src/core is pure: no messenger API.' },
        { name: 'browser', message: 'src/core is pure: no browser API.' },
        { name: 'document', message: 'src/core is pure: no DOM.' },
        { name: 'window', message: 'src/core is pure: no DOM.' },
        { name: 'process', message: 'src/core is pure: no Node globals.' },
        { name: 'Buffer', message: 'src/core is pure: no Node globals.' },
      ],
    },
  },
);
