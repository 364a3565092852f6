// ESLint flat config: @eslint/js and typescript-eslint's type-aware recommended rules, with
// eslint-config-prettier last so formatting is Prettier's alone (`npm run lint` runs both).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['dist/', 'dist-*/', 'docs/', 'node_modules/', 'coverage/', 'test/pack/', 'bench/results/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_`-prefixed parameters and variables are deliberately unused (interface shapes, skipped
      // tuple entries); `const { a, ...rest } = x` drops `a` on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `async` without `await` is deliberate here: it turns a callback's throw into a rejection
      // (`runInTransactionScope(async () => original.apply(this, args))`) or satisfies a
      // Promise-returning signature (`attach(async () => primary)`, test doubles).
      '@typescript-eslint/require-await': 'off',
      // Handing a caught error on as it is (`catch (error) { return Promise.reject(error); }`), as
      // a rethrow would: its type is `unknown`, whatever was thrown.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // `let endSpan; ... register(() => endSpan?.()); endSpan = start()`: declared before a
      // closure that reads it and assigned once after, so that an early call sees `undefined`
      // rather than a temporal-dead-zone ReferenceError.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // StompConnection declares its typed on()/once() overloads in an interface merged into the
    // class; EventEmitter implements them, so nothing the interface adds is left unimplemented.
    files: ['lib/connection/stomp-connection.ts'],
    rules: { '@typescript-eslint/no-unsafe-declaration-merging': 'off' },
  },
  {
    // Plain JavaScript (build scripts, jest's global setup, these config files): no type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
