// Lint rules for lem's TypeScript. typescript-eslint's type-aware "recommended" set catches what the
// compiler does not (floating promises, unsafe any, misused promises); the few rules below are the house's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', 'docker/', 'docs/', 'results/', '.state/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
      // lem matches control characters on purpose: it escapes them before user text reaches a terminal.
      'no-control-regex': 'off',
      // Methods that implement an async interface without awaiting anything are fine as they are.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests and benches: long describe blocks and fixtures are fine; the line/function limits are for src/.
    files: ['test/**', 'bench/**', '*.config.*', 'bin/**', 'scripts/**'],
    // Tests read JSON output and browser objects whose shapes they then assert: the unsafe-* rules only add casts.
    rules: {
      'max-lines': 'off',
      'max-lines-per-function': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['bench/**', 'bin/**', 'scripts/**', '*.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
