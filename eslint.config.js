import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'e2e-output/**', 'bench-output/**', 'resources/**/*.json', '.devicebench/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The renderer never imports Node or core code: only the contract crosses over.
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', '**/main/**', 'electron'], message: 'The renderer talks to the core only through preload/api.ts.' }] }],
    },
  },
);
