import { expect, test } from "@playwright/test";
import * as fs from "fs";
import { card, hydrated, lastDemoMonth, logIn, logins } from "./helpers";

test("staff see which exchange rates are missing and import them", async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, logins.staff);
  // The demo gives every rate but the yen's in its last month.
  const month = lastDemoMonth();
  // The demo reports load as the server starts; the missing rates follow from them.
  await expect(async () => {
    await page.goto("/rates");
    await expect(card(page, "Missing rates").getByRole("cell", { name: "JPY" }).first()).toBeVisible({
      timeout: 1_000,
    });
  }).toPass({ timeout: 90_000 });

  const form = page.getByRole("form", { name: "Import rates" });
  await form.getByLabel("CSV file").setInputFiles({
    name: "rates.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`month,from_currency,to_currency,rate\n${month},JPY,USD,0.0066\n${month},JPY,EUR,oops\n`),
  });
  await form.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("alert")).toContainText("line 3, column rate");
  await expect(card(page, "Rates").getByRole("cell", { name: "0.0066", exact: true })).toHaveCount(0);

  await page.getByRole("form", { name: "Import rates" }).getByLabel("CSV file").setInputFiles({
    name: "rates.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`month,from_currency,to_currency,rate\n${month},JPY,USD,0.0066\n`),
  });
  await page.getByRole("form", { name: "Import rates" }).getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toContainText("Imported 1 rates.");
  await expect(card(page, "Rates").getByRole("cell", { name: "0.0066", exact: true })).toBeVisible();
});

// Runs after the rates test in the same worker (tests in a file run in order).
test("a payout run goes from label manager to staff to the artist's statement", async ({ browser }) => {
  test.setTimeout(120_000);
  const month = lastDemoMonth();
  const manager = await browser.newPage();
  await logIn(manager, logins.label);
  await manager.goto("/payouts");
  // The demo approved runs for its first months; this one takes the rest of the year.
  await expect(card(manager, "Runs").getByRole("cell", { name: "Paid" })).toBeVisible();
  const form = manager.getByRole("form", { name: "New payout run" });
  await form.getByLabel("Up to and including").fill(month);
  await form.getByRole("button", { name: "Create draft" }).click();
  // Before hydration the form posts without JavaScript and the page reloads without the
  // status message, so open the new draft from the list, which shows it either way.
  await card(manager, "Runs").getByRole("row").filter({ hasText: "Draft" }).getByRole("link").click();
  await expect(manager.getByRole("heading", { level: 1 })).toContainText("Northern Lights Records");
  await expect(manager.getByText("Draft", { exact: true })).toBeVisible();
  await manager.getByRole("button", { name: "Submit for approval" }).click();
  await expect(manager.getByText("Submitted for approval")).toBeVisible();
  await expect(manager.getByRole("button", { name: "Approve" })).toHaveCount(0);
  const runUrl = manager.url();
  const novaRow = card(manager, "Statements").getByRole("row").filter({ hasText: "Nova Reyes" });
  const runPayable = (await novaRow.getByRole("cell").nth(6).innerText()).trim();
  expect(Number(runPayable)).toBeGreaterThan(0);

  const staff = await browser.newPage();
  await logIn(staff, logins.staff);
  await staff.goto(runUrl);
  await staff.getByRole("button", { name: "Approve" }).click();
  await expect(staff.getByText("Approved", { exact: true })).toBeVisible();
  // Staff can trace any statement line back to its report files and line numbers.
  await hydrated(staff);
  await card(staff, "Statements").getByRole("link", { name: "Nova Reyes" }).click();
  await expect(staff.getByRole("heading", { level: 1 })).toHaveText("Statement: Nova Reyes");
  // A click while the page hydrates can be lost: the router takes links over then.
  await hydrated(staff);
  await staff.getByRole("link", { name: "lines" }).first().click();
  await expect(staff.getByRole("heading", { level: 1 })).toHaveText("Where it came from");
  await expect(staff.getByText(/per stream, /).first()).toBeVisible();
  await expect(card(staff, "Report files and lines").getByRole("link").first()).toBeVisible();

  const artist = await browser.newPage();
  await logIn(artist, logins.artist);
  await artist.goto("/statements");
  await hydrated(artist);
  const row = artist.getByRole("row").filter({ hasText: month });
  await row.getByRole("link").click();
  await expect(artist.getByRole("heading", { level: 1 })).toHaveText("Statement: Nova Reyes");
  await expect(artist.getByTestId("payable")).toHaveText(runPayable);
  const [download] = await Promise.all([
    artist.waitForEvent("download"),
    artist.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  const csv = fs.readFileSync(await download.path(), "utf8");
  const payableRow = csv.split("\n").find((line) => line.startsWith("summary,,,Payable,"));
  expect(payableRow?.split(",")[8]).toBe(runPayable);
});
