// Time to interactive of the artist overview, for `make bench` (frontend.rs): logs in
// once, then loads "/" in a fresh browser context each run (nothing cached) and prints
// the milliseconds from navigation start until the app has hydrated the page (it sets
// data-hydrated on the body).
//   node time-to-interactive.mjs <base url> <email> <password> <runs>
// (Here rather than under server/benches/: Node resolves @playwright/test from the
// script's own folder.)
import { chromium } from "@playwright/test";

const [base, email, password, runs] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const login = await browser.newContext({ baseURL: base });
  const response = await login.request.post("/api/login", { form: { email, password } });
  if (!response.ok()) throw new Error(`logging in as ${email}: ${response.status()}`);
  const { cookies } = await login.storageState();
  await login.close();
  for (let run = 0; run < Number(runs); run++) {
    const context = await browser.newContext({ baseURL: base });
    await context.addCookies(cookies);
    const page = await context.newPage();
    // Notes the moment the attribute appears, in the page's own clock.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.body?.hasAttribute("data-hydrated")) {
          window.__hydratedAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
    });
    // A server error the second try does not repeat is reported, not fatal (see the
    // dashboards' page check in dashboards.rs).
    let response = await page.goto("/");
    if (response && response.status() >= 500) {
      console.log(`server-error ${response.status()}`);
      response = await page.goto("/");
    }
    if (!response || !response.ok()) throw new Error(`the overview answered ${response?.status()}`);
    await page.locator("body[data-hydrated]").waitFor({ state: "attached", timeout: 60_000 });
    const ms = await page.evaluate(() => window.__hydratedAt);
    console.log(`tti-ms ${ms.toFixed(1)}`);
    await context.close();
  }
} finally {
  await browser.close();
}
