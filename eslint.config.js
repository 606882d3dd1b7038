// One ESLint config. Besides the usual checks it enforces the studio's layering (DESIGN.md):
// shared/ imports neither Node built-ins nor DOM code nor main/ or renderer/;
// renderer/ never imports main/ (it reaches the main process only through the typed API).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'build/', 'release/', 'native/build/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
    // Template layout is prettier's job (npm run format:check); these rules fight its output.
    rules: {
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/html-indent': 'off',
      // Data from files is shown as text, never as markup (issue 9: hostile report names).
      'vue/no-v-html': 'error',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: [
      'main/**/*.ts',
      'tests/**/*.ts',
      'bench/**/*.ts',
      '*.config.*',
      'eslint.config.js',
      '.dependency-cruiser.cjs',
    ],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['shared/**/*.ts'],
    // No Node or browser globals are declared here, so `process`, `window`, `document` fail no-undef.
    languageOptions: { globals: {} },
    rules: {
      'no-undef': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'shared/ is pure TypeScript: no Node built-ins (move file access to main/).',
          })),
          patterns: [
            { group: ['**/main/**', '**/main', '../../main/*'], message: 'shared/ must not import main/.' },
            { group: ['**/renderer/**', '**/renderer'], message: 'shared/ must not import renderer/.' },
            { group: ['electron', 'electron/*'], message: 'shared/ must not import Electron.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'navigator',
        'process',
        'Buffer',
        'require',
        '__dirname',
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'renderer/ runs sandboxed: no Node built-ins.' })),
          patterns: [
            {
              group: ['**/main/**', '**/main'],
              message: 'renderer/ never imports main/: use the typed API from shared/contract.',
            },
            { group: ['electron', 'electron/*'], message: 'renderer/ never imports Electron: use the preload API.' },
          ],
        },
      ],
    },
  },
);
