import type { Page } from 'playwright-core';
import type { TestUser } from '../test/factories.ts';

/** Signs in through the login page and waits to land on `next`. */
export async function signIn(page: Page, user: Pick<TestUser, 'email' | 'password'>, next = '/'): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next.split('?')[0]);
}

/** Waits until the page's collaboration status says connected. */
export const connected = (page: Page) => page.locator('.status[data-state="connected"]').waitFor();

/** Waits until some element matching `selector` contains `text`. */
export async function seesText(page: Page, selector: string, text: string, options: { timeout?: number } = {}): Promise<void> {
  await page.waitForFunction(
    ([sel, wanted]) => [...document.querySelectorAll(sel!)].some((el) => el.textContent?.includes(wanted!)),
    [selector, text],
    options,
  );
}

/**
 * Marks the page's window, so that `isSamePageLoad` can later tell whether anything reloaded it: what
 * a test needs to show that an update arrived live.
 */
export async function markPageLoad(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { e2eLoadMark?: boolean }).e2eLoadMark = true));
}

/** True when the window marked by `markPageLoad` is still the one shown (no reload, no full navigation). */
export async function isSamePageLoad(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { e2eLoadMark?: boolean }).e2eLoadMark === true);
}
