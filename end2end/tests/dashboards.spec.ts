import { expect, Page, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { hydrated, logIn, logins, settledDemoMonths } from "./helpers";

/** A dashboard table, found by its caption ("Earnings by territory"). */
function table(page: Page, caption: string) {
  return page.locator("table", { has: page.locator("caption", { hasText: caption }) });
}

/** The headline number labelled `label` ("earned", "revenue"). */
function headline(page: Page, label: string) {
  return page.getByTestId("headline").locator(".stat", { hasText: label }).locator(".stat-value");
}

/** Marks the window: a full page load would lose the mark. */
async function mark(page: Page) {
  await page.evaluate(() => ((window as unknown as { backbeatMark: number }).backbeatMark = 1));
}

async function stillMarked(page: Page) {
  return page.evaluate(() => (window as unknown as { backbeatMark?: number }).backbeatMark === 1);
}

test("an artist's dashboard: charts with text, filters in the URL without a reload, the per-song page", async ({ page }, testInfo) => {
  await logIn(page, logins.artist);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Nova Reyes");
  await expect(page.getByTestId("freshness")).toContainText("Spotify: through");
  const charts = page.locator("figure.chart svg");
  await expect(charts).toHaveCount(3);
  await expect(charts.first().locator("text", { hasText: "Earnings by month and platform" })).toHaveCount(1);
  await expect(charts.first().locator("text", { hasText: "Earnings (USD)" })).toHaveCount(1);
  await expect(charts.nth(2).locator("text", { hasText: "Spotify" })).toHaveCount(1);
  await expect(table(page, "Earnings by month")).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("artist-overview.png"), fullPage: true });

  await hydrated(page);
  const before = await headline(page, "earned").textContent();
  await mark(page);
  await page.getByTestId("filters").getByLabel("Platform").selectOption({ label: "Spotify" });
  await expect(page).toHaveURL(/[?&]platform=spotify/);
  const platforms = table(page, "Earnings by platform").locator("tbody tr");
  await expect(platforms).toHaveCount(1);
  await expect(platforms.first()).toContainText("Spotify");
  await expect(headline(page, "earned")).not.toHaveText(before ?? "");
  expect(await stillMarked(page), "the filter navigated in place").toBe(true);

  // A track's own page, with the filter kept.
  await table(page, "Earnings by track").locator("tbody tr a").first().click();
  await expect(page).toHaveURL(/\/tracks\/\d+\?platform=spotify/);
  await expect(page.getByRole("heading", { name: "Performance" })).toBeVisible();
  await expect(page.locator("figure.chart svg").first().locator("text").first()).toBeAttached();
  await expect(table(page, "Earnings by territory")).toBeVisible();
  await expect(table(page, "Earnings by usage type")).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("artist-song.png"), fullPage: true });
});

test("a label's tables sort and page on the server and download as the same CSV", async ({ page }, testInfo) => {
  await logIn(page, logins.label);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Northern Lights Records");
  await expect(page.getByTestId("comparison")).toContainText("against");
  await expect(page.getByTestId("movers").locator("tbody tr").first()).toBeVisible();
  // The demo approves a run per label (another test may have marked it paid): it shows
  // with what it pays each payee and what it carries forward.
  await expect(page.getByTestId("payouts").locator("caption", { hasText: "Per payee, latest run" })).toBeVisible();
  await expect(page.getByTestId("payouts").getByRole("row", { name: /Nova Reyes/ })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("label-overview.png"), fullPage: true });

  // The table is read twice (page, then CSV): over months the scheduler is not loading.
  const { from, to } = settledDemoMonths();
  await page.goto(`/?from=${from}&to=${to}`);
  await hydrated(page);

  const territories = table(page, "Revenue by territory");
  await territories.getByRole("link", { name: "Streams" }).click();
  await expect(page).toHaveURL(/territory_sort=-streams/);
  await expect(territories.locator("th[aria-sort=descending]")).toContainText("Streams");
  const streams = async () =>
    (await territories.locator("tbody tr td:nth-child(2)").allTextContents()).map((s) => Number(s.replace(/,/g, "")));
  const first = await streams();
  expect(first.length).toBe(10);
  expect([...first].sort((a, b) => b - a)).toEqual(first);

  const pager = page.getByRole("navigation", { name: "Pages of territory" });
  await expect(pager).toContainText("1–10 of");
  await pager.getByRole("link", { name: "Next →" }).click();
  await expect(page).toHaveURL(/territory_page=2/);
  await expect(pager).toContainText("11–");
  const second = await streams();
  expect(second[0]).toBeLessThanOrEqual(first[first.length - 1]);

  const total = Number((await pager.textContent())!.match(/of ([\d,]+)/)![1].replace(/,/g, ""));
  const download = page.waitForEvent("download");
  await territories.getByRole("link", { name: "CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`by-territory-${from}-${to}.csv`);
  const lines = readFileSync((await file.path())!, "utf8").trim().split("\n");
  expect(lines[0]).toBe("territory,name,streams,revenue,per_stream,awaiting_rate,currency");
  expect(lines.length - 1).toBe(total);
  // The file is in the table's order: its 11th row is the second page's first.
  const eleventh = lines[11].split(",");
  await expect(territories.locator("tbody tr").first().locator("td").first()).toHaveText(eleventh[1]);
  expect(Number(eleventh[2])).toBe(second[0]);
});

test("staff see sources, conflicts, every label and suspense, and can narrow to one label", async ({ page }, testInfo) => {
  await logIn(page, logins.staff);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Overview");
  await expect(page.getByTestId("sources")).toContainText("Spotify");
  await expect(page.locator("table caption", { hasText: "Latest report files" })).toBeVisible();
  const labels = table(page, "Revenue by label");
  await expect(labels.getByRole("row", { name: /Northern Lights Records/ })).toBeVisible();
  await expect(labels.getByRole("row", { name: /Suspense/ })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("staff-overview.png"), fullPage: true });
  await hydrated(page);
  await labels.getByRole("link", { name: "Northern Lights Records" }).click();
  await expect(page).toHaveURL(/[?&]label=\d+/);
  await expect(page.getByTestId("filters").getByLabel("Label")).toHaveValue(/\d+/);
  await expect(table(page, "Revenue by label").locator("tbody tr")).toHaveCount(1);
});

test("an artist editing the URL to another label's numbers finds nothing", async ({ page }) => {
  await logIn(page, logins.artist);
  await page.goto("/?label=1");
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await page.goto("/?platform=myspace");
  await expect(page.getByRole("alert").first()).toContainText("'myspace' is not a platform");
});
