/**
 * A real browser for the dashboard's tests: Debian's Chromium (CHROMIUM_PATH,
 * /usr/bin/chromium by default) driven by playwright-core, headless, with a
 * fresh profile each time and nothing that phones home.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  page: Page;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<TestBrowser> {
  const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install it (apt-get install --no-install-recommends chromium) or set CHROMIUM_PATH`);
  }
  const profile = mkdtempSync(path.join(tmpdir(), "ops-dashboard-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1440, height: 1000 },
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
