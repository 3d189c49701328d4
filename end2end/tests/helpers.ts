import { expect, Locator, Page } from "@playwright/test";

// The demo logins that `backbeat demo` creates (server/src/demo/mod.rs).
export const logins = {
  staff: { email: "staff@backbeat.demo", password: "backbeat-staff" },
  label: { email: "label@backbeat.demo", password: "backbeat-label" },
  artist: { email: "artist@backbeat.demo", password: "backbeat-artist" },
  artist2: { email: "artist2@backbeat.demo", password: "backbeat-artist2" },
};

export async function logIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("whoami")).toHaveText(who.email);
}

/** The card on the page whose heading starts with `title`. */
export function card(page: Page, title: string): Locator {
  return page.locator("section.card").filter({ has: page.getByRole("heading", { name: title }) });
}

/** The month `back` months before this one, as YYYY-MM (the demo's year ends last month). */
function monthsAgo(back: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1)).toISOString().slice(0, 7);
}

/** The last month the demo has reports for (the one before this), as YYYY-MM. */
export function lastDemoMonth(): string {
  return monthsAgo(1);
}

/** The months the demo loads itself before the server starts (the first three of its
 * year, with their approved payout runs), as `from` and `to` (YYYY-MM). The scheduler
 * loads the other nine while tests run, so a test that compares two readings of the
 * same numbers narrows to these, which nothing changes under it. */
export function settledDemoMonths(): { from: string; to: string } {
  return { from: monthsAgo(12), to: monthsAgo(10) };
}

/** Waits until the page is hydrated (the wasm app sets `data-hydrated` on the body), so
 * that forms answer in the page rather than posting without JavaScript. */
export async function hydrated(page: Page) {
  await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
}
