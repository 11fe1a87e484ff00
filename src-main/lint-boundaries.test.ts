import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The part boundaries of eslint.config.js, run through ESLint itself: each case lints one import as if it were written
 * in a file of that part (the file need not exist), so a config change that stops catching a bad import fails here.
 * The type-aware rules need a file that is in a tsconfig program, which these are not: the snippets are linted with
 * the project's config minus type information (typescript-eslint's disableTypeChecked on top), which leaves every
 * rule tested here as it is. That the type-aware rules do cover the real files is checked on the computed config.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });
});

async function boundaryErrors(filePath: string, source: string): Promise<string[]> {
  const code = `import type * as _x from '${source}';\nexport type Probe = typeof _x;\n`;
  const results = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  return results.flatMap((r) => r.messages).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

type Case = [file: string, source: string, message: string];

async function expectRefused([file, source, message]: Case): Promise<void> {
  const errors = await boundaryErrors(file, source);
  expect(errors, `${file} importing ${source}`).toHaveLength(1);
  expect(errors[0]).toContain(message);
}

async function expectAllowed(file: string, source: string): Promise<void> {
  expect(await boundaryErrors(file, source), `${file} importing ${source}`).toEqual([]);
}

describe('part boundaries (eslint.config.js)', () => {
  it('shared imports nothing but shared and zod', async () => {
    for (const source of ['node:fs', 'fs', 'path', '../src-main/engine/ca/pem.js', './../src-main/x.js', 'react', 'electron']) {
      await expectRefused(['src-shared/new-part.ts', source, 'shared code imports nothing but other src-shared files and zod']);
    }
    for (const source of ['./model.js', 'zod', 'zod/mini']) await expectAllowed('src-shared/new-part.ts', source);
    await expectAllowed('src-shared/new-part.test.ts', 'vitest');
  });

  it('the engine imports neither server, desktop, cli nor electron, whatever the depth', async () => {
    const refused: Case[] = [
      ['src-main/engine/new-part.ts', '../server/api-server.js', 'the engine imports neither server, desktop nor cli'],
      ['src-main/engine/sessions/new-part.ts', '../../server/headless.js', 'the engine imports neither server, desktop nor cli'],
      ['src-main/engine/machine/new-part.ts', '../../desktop/engine-api.js', 'the engine imports neither server, desktop nor cli'],
      ['src-main/engine/a/b/new-part.ts', '../../../../src-main/cli/main.js', 'the engine imports neither server, desktop nor cli'],
      ['src-main/engine/new-part.ts', 'electron', 'the engine is plain Node: no electron'],
      ['src-main/engine/new-part.test.ts', 'electron', 'the engine is plain Node: no electron'],
    ];
    for (const c of refused) await expectRefused(c);
    for (const source of ['../../os/index.js', '../ca/index.js', './server-like-name.js', 'node:fs', 'mockttp']) {
      await expectAllowed('src-main/engine/machine/new-part.ts', source);
    }
    // Integration tests of the engine may drive it through the REST server.
    await expectAllowed('src-main/engine/store/new-part.int.test.ts', '../../server/api-server.js');
  });

  it('the renderer imports only shared of the other parts, no Node built-ins and no electron', async () => {
    const file = 'src-renderer/features/entries/NewPart.tsx';
    const refused: Case[] = [
      [file, '../../../src-main/engine/ca/pem.js', 'the renderer imports only src-shared of the other parts'],
      [file, '../../../src-preload/bridge.js', 'the renderer imports only src-shared of the other parts'],
      [file, 'node:path', 'the renderer runs in a browser: no Node built-ins'],
      [file, 'fs/promises', 'the renderer runs in a browser: no Node built-ins'],
      [file, 'electron', 'the renderer reaches Electron only through the preload bridge'],
    ];
    for (const c of refused) await expectRefused(c);
    for (const source of ['../../../src-shared/model.js', '../../api/client.js', 'react', 'zustand']) await expectAllowed(file, source);
  });

  it('the preload imports only electron and shared', async () => {
    for (const source of ['node:fs', '../src-main/desktop/ipc-handlers.js', '../src-renderer/App.js', 'react']) {
      await expectRefused(['src-preload/new-part.ts', source, 'the preload imports only electron and src-shared']);
    }
    for (const source of ['electron', '../src-shared/contract.js', './bridge.js']) await expectAllowed('src-preload/new-part.ts', source);
  });

  it('desktop and server do not import each other, nor the cli', async () => {
    const refused: Case[] = [
      ['src-main/desktop/new-part.ts', '../server/headless.js', 'the desktop imports neither server nor cli'],
      ['src-main/server/new-part.ts', '../desktop/engine-api.js', 'the server and OS integration import neither desktop nor cli'],
      ['src-main/os/trust-store/new-part.ts', '../../cli/main.js', 'the server and OS integration import neither desktop nor cli'],
      ['src-main/server/new-part.ts', 'electron', 'the server and OS integration run without Electron'],
    ];
    for (const c of refused) await expectRefused(c);
    await expectAllowed('src-main/desktop/new-part.ts', '../engine/machine/machine-services.js');
    await expectAllowed('src-main/desktop/new-part.ts', 'electron');
  });
});

describe('react-hooks on the renderer (eslint.config.js)', () => {
  it('refuses a hook called conditionally', async () => {
    const code = [
      "import { useState } from 'react';",
      'export function Probe({ on }: { on: boolean }) {',
      '  if (on) useState(0);',
      '  return null;',
      '}',
      '',
    ].join('\n');
    const results = await eslint.lintText(code, { filePath: path.join(root, 'src-renderer/components/Probe.tsx') });
    const rules = results.flatMap((r) => r.messages).map((m) => m.ruleId);
    expect(rules).toContain('react-hooks/rules-of-hooks');
  });
});

describe("import('...') with a literal path (eslint.config.js)", () => {
  async function dynamicErrors(filePath: string, source: string): Promise<string[]> {
    const code = `export const load = () => import('${source}');\n`;
    const results = await eslint.lintText(code, { filePath: path.join(root, filePath) });
    return results.flatMap((r) => r.messages).filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
  }

  it('is held to the same boundaries as a static import', async () => {
    const refused: Case[] = [
      ['src-renderer/features/detail/NewPart.tsx', 'node:fs', 'the renderer runs in a browser: no Node built-ins'],
      ['src-renderer/features/detail/NewPart.tsx', '../../../src-main/engine/ca/pem.js', 'the renderer imports only src-shared'],
      ['src-main/engine/sessions/new-part.ts', '../../server/headless.js', 'the engine imports neither server, desktop nor cli'],
      ['src-shared/new-part.ts', 'node:path', 'shared code imports nothing but other src-shared files and zod'],
      ['src-preload/new-part.ts', '../src-main/desktop/main.js', 'the preload imports only electron and src-shared'],
    ];
    for (const [file, source, message] of refused) {
      const errors = await dynamicErrors(file, source);
      expect(errors, `${file} importing ${source}`).toHaveLength(1);
      expect(errors[0]).toContain(message);
    }
    for (const source of ['monaco-editor/editor/editor.api', '../../editor/JsonEditor.js', '../../../src-shared/model.js']) {
      expect(await dynamicErrors('src-renderer/features/detail/NewPart.tsx', source)).toEqual([]);
    }
    expect(await dynamicErrors('src-shared/new-part.ts', './model.js')).toEqual([]);
  });
});

describe('type-aware rules (eslint.config.js)', () => {
  const projectOf = async (file: string): Promise<unknown> => {
    const config = (await new ESLint({ cwd: root }).calculateConfigForFile(path.join(root, file))) as {
      rules: Record<string, unknown>;
      languageOptions: { parserOptions?: { project?: unknown } };
    };
    // Severity 2 is "error": every part has the floating-promises rule of recommendedTypeChecked on.
    expect(config.rules['@typescript-eslint/no-floating-promises'], file).toEqual([2]);
    return config.languageOptions.parserOptions?.project;
  };

  it('run on every part against its own tsconfig', async () => {
    const node = ['src-main/desktop/main.ts', 'src-main/engine/ca/pem.ts', 'src-main/server/api-server.int.test.ts',
      'src-shared/contract.ts', 'src-preload/bridge.ts', 'e2e/recorder.spec.ts', 'bench/ui-bench.ts', 'vitest.config.ts'];
    for (const file of node) expect(await projectOf(file), file).toBe('./tsconfig.node.json');
    expect(await projectOf('src-renderer/App.tsx')).toBe('./tsconfig.web.json');
  });
});
