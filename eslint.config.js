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
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  {
    // Tests and benches: long describe blocks and fixtures are fine; the line/function limits are for src/.
    files: ['test/**', 'bench/**', '*.config.*', 'bin/**'],
    rules: { 'max-lines': 'off', 'max-lines-per-function': 'off' },
  },
  {
    files: ['bench/**', 'bin/**', '*.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
