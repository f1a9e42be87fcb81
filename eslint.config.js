import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'data/**',
      'e2e/artifacts/**',
      'web/src/api/schema.d.ts',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration in server/src/config.ts only.' },
      ],
    },
  },
  {
    // The entry point and tooling are where the environment is read.
    files: [
      'server/src/main/cli.ts',
      'server/test/**',
      'scripts/**',
      'e2e/**',
      'bench/**',
      '**/*.config.*',
      'web/scripts/**',
      '**/*.test.ts',
      '**/testing/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Services hold the rules: no framework, driver or SDK in them (ARCHITECTURE.md §2).
    files: ['server/src/modules/**/service.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', 'bullmq', 'ioredis', 'pg', '@aws-sdk/*', 'stripe', 'nodemailer'],
              message: 'Services receive ports; they do not import drivers or frameworks.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
);
