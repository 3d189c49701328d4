import { expect, test } from "@playwright/test";
import { card, logIn, logins } from "./helpers";

// The demo writes a year of reports into every platform's drop folder; the server's
// scheduler loads them as it starts (TIDAL's last two months are missing on purpose).

test("staff watch the demo reports load and see a late platform flagged", async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, logins.staff);
  await page.getByRole("link", { name: "Ingestion" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Ingestion");
  const jobs = card(page, "Jobs");
  await expect(jobs.locator("tr[data-job='Spotify drop folder']")).toBeVisible();
  // The page reloads itself while runs are queued or running. The demo loaded the first
  // three months itself (for its approved payout runs); the job loads the other nine.
  await expect(jobs.locator("tr[data-job='YouTube drop folder']")).toContainText("9 loaded", {
    timeout: 90_000,
  });
  await expect(jobs.locator("tr[data-job='TIDAL drop folder']").getByTestId("overdue")).toBeVisible();
  await expect(jobs.locator("tr[data-job='Spotify drop folder']")).toContainText("On time");

  await card(page, "Report files").getByRole("link", { name: /youtube_music_revenue_/ }).first().click();
  await expect(page.getByText("Gross")).toBeVisible();
  await expect(page.locator(".subtitle .badge")).toHaveText("loaded");
});

test("an upload that is not a report is quarantined with its errors shown", async ({ page }) => {
  test.setTimeout(130_000);
  await logIn(page, logins.staff);
  await page.goto("/ingestion");
  await page.getByLabel(/Report file/).setInputFiles({
    name: "not-a-report.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("name,amount\nsomething,12\n"),
  });
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByRole("status")).toContainText("not-a-report.csv");
  const link = card(page, "Report files").getByRole("link", { name: /not-a-report\.csv/ });
  // The upload job runs once the scheduler has worked through the demo's drop folders,
  // which it starts on as the server comes up.
  await expect(async () => {
    await page.reload();
    await expect(link).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 100_000 });
  await link.click();
  await expect(page.locator(".subtitle .badge")).toHaveText("quarantined");
  const errors = card(page, "Errors");
  await expect(errors.getByRole("cell", { name: "not a report format Backbeat reads (see docs/formats.md)" })).toBeVisible();
  await expect(errors.getByText("Nothing of this file was loaded")).toBeVisible();
});

test("the ingestion page is for staff only", async ({ page }) => {
  await logIn(page, logins.label);
  await expect(page.getByRole("link", { name: "Ingestion" })).toHaveCount(0);
  await page.goto("/ingestion");
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Jobs" })).toHaveCount(0);
});
