import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import reactHooks from 'eslint-plugin-react-hooks';

/*
 * Boundaries between the parts. ESLint's no-restricted-imports sees only the import string, not where it resolves,
 * so each regex names the folder it must not reach: a relative path into another part has to spell that part's
 * folder (src-main, src-preload, server, ...) after its run of "../", whatever the depth. That is exact as long as no
 * folder inside a part reuses a part's name (no engine/server/): keep it so. import('...') with a literal path is
 * checked too (no-restricted-syntax); a computed one is not.
 * src-main/lint-boundaries.test.ts proves each rule on a bad and a good import.
 */
const NODE_BUILTIN = `^(node:.*|(${builtinModules.filter((m) => !m.startsWith('_')).join('|')})(/.*)?)$`;
const ELECTRON = '^electron(/.*)?$';
/** A relative path that climbs out and then enters one of `dirs` (optionally through src-main/). */
const reaching = (dirs) => `^(\\.\\.?/)*(\\.\\./)+(src-main/)?(${dirs.join('|')})(/|$)`;
/** Anything but a same-folder-or-below path, or one of the named exact packages. */
const onlyLocalAnd = (prefixes) => `^(?!(\\./(?!.*\\.\\./)${prefixes.map((p) => `|${p}`).join('')}))`;
const TESTS = ['**/*.test.ts', '**/*.test.tsx', '**/test-support/**'];

/** The same check for import('...') with a literal path; esquery's regex literals cannot hold a "/" at all. */
const dynamicImport = ([regex, message]) => ({
  selector: `ImportExpression > Literal.source[value=/${regex.replaceAll('/', '\\x2F')}/]`,
  message,
});

function restrict(files, groups, ignores = []) {
  return {
    files, ignores,
    rules: {
      'no-restricted-imports': ['error', { patterns: groups.map(([regex, message]) => ({ regex, message })) }],
      'no-restricted-syntax': ['error', ...groups.map(dynamicImport)],
    },
  };
}

function boundaryBlocks() {
  const sharedOnly = 'shared code imports nothing but other src-shared files and zod (and re2js, pure-JS regexes: it runs in every part)';
  return [
    // re2js: pure JavaScript, linear-time regexes (modifications.ts validates user regexes with the engine that runs them).
    restrict(['src-shared/**/*.ts'], [[onlyLocalAnd(['zod(/|$)', 're2js$']), sharedOnly]], TESTS),
    restrict(['src-shared/**/*.test.ts'], [[onlyLocalAnd(['zod(/|$)', 're2js$', 'vitest$']), sharedOnly]]),
    // The renderer runs in a browser or a sandboxed window: packages it bundles are fine, other parts are not.
    restrict(['src-renderer/**/*.{ts,tsx}'], [
      [reaching(['src-main', 'src-preload', 'bin', 'bench', 'e2e']), 'the renderer imports only src-shared of the other parts'],
      [NODE_BUILTIN, 'the renderer runs in a browser: no Node built-ins'],
      [ELECTRON, 'the renderer reaches Electron only through the preload bridge (window.trafficRecorder)'],
    ]),
    // The preload is the bridge: it alone may use electron (contextBridge, ipcRenderer), and it is bundled for a
    // sandboxed window, so apart from electron it takes only src-shared. Its tests bundle it with esbuild in Node.
    restrict(['src-preload/**/*.ts'], [[onlyLocalAnd(['\\.\\./src-shared/(?!.*\\.\\./)', 'electron$']),
      'the preload imports only electron and src-shared']], TESTS),
    restrict(['src-preload/**/*.test.ts'], [[reaching(['src-main', 'src-renderer']), 'preload tests import only the preload and src-shared']]),
    // The engine is plain Node, run by the server, the desktop's engine process and the CLI alike.
    restrict(['src-main/engine/**/*.ts'], [
      [reaching(['server', 'desktop', 'cli']), 'the engine imports neither server, desktop nor cli'],
      [ELECTRON, 'the engine is plain Node: no electron'],
    ], TESTS),
    // Integration tests of the engine may drive it through the REST server (e.g. a full disk seen by a client).
    restrict(['src-main/engine/**/*.test.ts'], [[ELECTRON, 'the engine is plain Node: no electron']]),
    restrict(['src-main/server/**/*.ts', 'src-main/os/**/*.ts'], [
      [reaching(['desktop', 'cli']), 'the server and OS integration import neither desktop nor cli'],
      [ELECTRON, 'the server and OS integration run without Electron'],
    ]),
    // The desktop shell and the headless server are siblings over the engine.
    restrict(['src-main/desktop/**/*.ts'], [[reaching(['server', 'cli']), 'the desktop imports neither server nor cli']]),
  ];
}

/**
 * Type-aware rules for the renderer, against the renderer's own tsconfig (its tests included). Self-contained:
 * src-main gets its own block against tsconfig.node.json.
 */
function rendererTypeChecked() {
  const files = ['src-renderer/**/*.{ts,tsx}'];
  return [
    ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files })),
    {
      files,
      languageOptions: {
        parserOptions: { project: './tsconfig.web.json', tsconfigRootDir: import.meta.dirname },
      },
    },
  ];
}

/**
 * Type-aware rules for every other TypeScript file (main process, shared, preload, e2e, bench, root configs), against
 * tsconfig.node.json. src-shared is linted here only, not again under the renderer's program.
 */
function nodeTypeChecked() {
  const files = ['**/*.ts'];
  const ignores = ['src-renderer/**'];
  return [
    ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files, ignores })),
    {
      files, ignores,
      languageOptions: {
        parserOptions: { project: './tsconfig.node.json', tsconfigRootDir: import.meta.dirname },
      },
    },
  ];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'docs/**', 'test-results/**', 'src-renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Before the project-wide rule options below, so that they (no-unused-vars' "_" names, tests' any) still apply.
  ...rendererTypeChecked(),
  ...nodeTypeChecked(),
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
        URL: 'readonly', performance: 'readonly', fetch: 'readonly', structuredClone: 'readonly',
      },
    },
    rules: {
      // An async function without await is how an API whose refusals must be rejections (never synchronous throws)
      // is written here: the Recorder's and the engine's operations, test upstreams.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests read JSON answers loosely on purpose: the assertions are the type check.
    files: ['**/*.test.ts', '**/test-support/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The same for the type-aware no-unsafe-* family outside the renderer: tests, benchmarks and e2e specs read JSON
    // answers (res.json(), JSON.parse of a CLI's output) as any and assert on them; typing each read would be ~450
    // casts that check nothing more than the assertions do. Production code keeps the rules.
    files: ['**/*.test.ts', '**/test-support/**/*.ts', '**/*-test-support.ts', 'e2e/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src-renderer/**'],
    rules: {
      // Test upstreams are async handlers by contract whether or not they await, and expect(obj.method) passes
      // methods around on purpose.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  ...boundaryBlocks(),
  { files: ['src-renderer/**/*.{ts,tsx}'], ...reactHooks.configs.flat['recommended-latest'] },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      // Says only that React Compiler skips a component (TanStack Table's hooks); we do not run the compiler.
      'react-hooks/incompatible-library': 'off',
      // Loading goes through useLoad (components/use-load.ts) or sets state in the promise's callbacks; what would be
      // a reset in an effect is derived during render.
      'react-hooks/set-state-in-effect': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'react-hooks/unsupported-syntax': 'error',
    },
  },
);
