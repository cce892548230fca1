// Headless Chromium for the report's browser tests: Debian's package, launched with the flags this
// machine's closed network needs. A missing browser FAILS with the fix in the message (never a skip).
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** A launcher that starts the browser once, on first use (so each test reports a missing one). */
export interface LazyBrowser {
  (): Promise<Browser>;
  /** closes the browser if it was started */
  close(): Promise<void>;
}

export function lazyBrowser(): LazyBrowser {
  let launched: Promise<Browser> | undefined;
  const get = () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: install the browser with \`apt-get update && apt-get install -y chromium\`.`,
      );
    // launch() already gives Chromium a fresh throwaway profile directory of its own.
    launched ??= chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    return launched;
  };
  return Object.assign(get, {
    close: async () => {
      if (launched !== undefined) await (await launched).close();
    },
  });
}
