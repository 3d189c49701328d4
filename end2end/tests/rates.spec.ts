import { expect, test } from "@playwright/test";
import { card, lastDemoMonth, logIn, logins } from "./helpers";

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
  await expect(card(page, "Rates").getByRole("cell", { name: "0.0066" })).toHaveCount(0);

  await page.getByRole("form", { name: "Import rates" }).getByLabel("CSV file").setInputFiles({
    name: "rates.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`month,from_currency,to_currency,rate\n${month},JPY,USD,0.0066\n`),
  });
  await page.getByRole("form", { name: "Import rates" }).getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toContainText("Imported 1 rates.");
  await expect(card(page, "Rates").getByRole("cell", { name: "0.0066" })).toBeVisible();
});
