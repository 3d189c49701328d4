import { expect, test } from "@playwright/test";
import { card, hydrated, logIn, logins } from "./helpers";

test("an artist logs in and sees their own releases", async ({ page }) => {
  await logIn(page, logins.artist);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Nova Reyes");
  await expect(page.locator(".release").first()).toBeVisible();
  // Every track shown credits the artist.
  const artistCells = page.locator(".release tbody tr td:nth-child(3)");
  const count = await artistCells.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) {
    await expect(artistCells.nth(i)).toContainText("Nova Reyes");
  }
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
});

test("a label manager logs in and sees their label's catalog", async ({ page }) => {
  await logIn(page, logins.label);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Northern Lights Records");
  const artists = card(page, "Artists");
  await expect(artists.getByRole("cell", { name: "Nova Reyes", exact: true })).toBeVisible();
  await expect(artists.locator("tbody tr")).toHaveCount(5);
  // Another label's artist is nowhere on the page.
  await expect(page.getByText("Lina Okafor")).toHaveCount(0);
});

test("staff log in and see every label and the users", async ({ page }) => {
  await logIn(page, logins.staff);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Overview");
  for (const label of ["Northern Lights Records", "Harbor & Vine Music", "Kestrel Audio"]) {
    await expect(card(page, "Labels").getByRole("cell", { name: label, exact: true })).toBeVisible();
  }
  await expect(card(page, "Users").getByRole("cell", { name: logins.artist.email })).toBeVisible();
});

test("a wrong password shows an error and no session", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(logins.artist.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("That email and password do not match an account.");
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

test("logging out ends the session on the server", async ({ page, context }) => {
  await logIn(page, logins.label);
  const before = await context.cookies();
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  // Even a copy of the old cookie no longer opens the session.
  await context.clearCookies();
  await context.addCookies(before);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

test("an artist cannot open the staff pages or another artist's track", async ({ page, browser }) => {
  // Find one of artist2's tracks as artist2.
  const other = await browser.newPage();
  await logIn(other, logins.artist2);
  const href = await other.locator(".release tbody a").first().getAttribute("href");
  expect(href).toMatch(/^\/tracks\/\d+$/);
  await other.close();

  await logIn(page, logins.artist);
  const response = await page.goto(href!);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();

  const users = await page.goto("/users");
  expect(users?.status()).toBe(403);
  await expect(page.getByText("You do not have access to this.")).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("pages are rendered on the server and the login form still works", async ({ page }) => {
    const response = await page.goto("/login");
    expect(response?.status()).toBe(200);
    await expect(page.getByRole("heading", { name: "Log in to Backbeat" })).toBeVisible();
    await page.getByLabel("Email").fill(logins.staff.email);
    await page.getByLabel("Password").fill(logins.staff.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Overview");
  });

  test("a wrong password still shows its error", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(logins.label.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert")).toHaveText("That email and password do not match an account.");
  });
});

test("after hydration, navigation happens in the page without reloading", async ({ page }) => {
  await logIn(page, logins.artist);
  await hydrated(page);
  await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
  await page.getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();
  await page.locator(".release").first().waitFor({ state: "detached" });
  expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
});
