import { defineConfig } from '@playwright/test';
import type { AppTarget } from './e2e/fixtures/test.js';

// Servers started by the specs may only contact this machine, and Chromium resolves no outside name itself.
process.env.TRAFFIC_RECORDER_LOOPBACK_ONLY = '1';

// Debian's Chromium: `npx playwright install` cannot download browsers here, and need not.
const chromiumLaunch = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
  ],
};

export default defineConfig<{ appTarget: AppTarget }>({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  outputDir: 'test-results/e2e',
  use: {
    launchOptions: chromiumLaunch,
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'chromium', use: { appTarget: 'browser' } },
    // Same specs against the desktop app; skipped with a printed reason where no Electron binary exists.
    { name: 'electron', use: { appTarget: 'electron' } },
  ],
});
