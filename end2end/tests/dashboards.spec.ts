import { expect, test } from "@playwright/test";
import { logIn, logins } from "./helpers";

test("an artist's home shows their earnings with charts drawn on the server", async ({ page }, testInfo) => {
  await logIn(page, logins.artist);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Nova Reyes");
  // The demo loads its first months before the server starts: there are earnings.
  await expect(page.getByTestId("freshness")).toContainText("Spotify: through");
  await expect(page.getByText("earned, all time")).toBeVisible();
  const charts = page.locator("figure.chart svg");
  await expect(charts).toHaveCount(2);
  await expect(charts.first().locator("text", { hasText: "Your earnings by month" })).toHaveCount(1);
  await expect(charts.nth(1).locator("text", { hasText: "Spotify" })).toHaveCount(1);
  // Each chart has its numbers beside it.
  await expect(page.locator("table caption", { hasText: "Earnings by month" })).toBeVisible();
  await expect(page.locator("table caption", { hasText: "By platform, all time" })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("artist-overview.png"), fullPage: true });
});

test("a label manager's home shows the label's revenue by month, platform, artist and release", async ({ page }, testInfo) => {
  await logIn(page, logins.label);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Northern Lights Records");
  await expect(page.getByTestId("freshness")).toContainText("through");
  await expect(page.getByText("revenue, all time")).toBeVisible();
  const charts = page.locator("figure.chart svg");
  await expect(charts).toHaveCount(2);
  await expect(charts.first().locator("text", { hasText: "Revenue (USD)" })).toHaveCount(1);
  await expect(page.locator("table caption", { hasText: "By artist" })).toBeVisible();
  await expect(page.locator("table", { has: page.locator("caption", { hasText: "By artist" }) }).getByRole("row")).not.toHaveCount(1);
  await page.screenshot({ path: testInfo.outputPath("label-overview.png"), fullPage: true });
});

test("staff's overview shows revenue per label, suspense, conflicts and the latest files", async ({ page }, testInfo) => {
  await logIn(page, logins.staff);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Overview");
  await expect(page.getByText("reported revenue, all time")).toBeVisible();
  const labels = page.locator("table", { has: page.locator("caption", { hasText: "Revenue by label" }) });
  await expect(labels.getByRole("row", { name: /Northern Lights Records/ })).toBeVisible();
  await expect(labels.getByRole("row", { name: /Suspense/ })).toBeVisible();
  await expect(page.locator("table caption", { hasText: "Latest report files" })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("staff-overview.png"), fullPage: true });
});
