import { expect, test } from "@playwright/test";
import { card, hydrated, logIn, logins } from "./helpers";

test("staff add a login, which must change its one-time password first", async ({ page, browser }) => {
  const email = `new.manager.${Date.now()}@harbor.test`;
  await logIn(page, logins.staff);
  await page.getByRole("link", { name: "Users" }).click();
  // The list loaded and the page hydrated: a form filled before either can be drawn
  // again empty (seen in CI, and again with the list shown by the server's HTML).
  await expect(page.locator(`tr[data-email="${logins.staff.email}"]`)).toBeVisible();
  await hydrated(page);
  const form = card(page, "Add a login");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption("label_manager");
  await form.getByLabel("Tied to").selectOption({ label: "Harbor & Vine Music" });
  await form.getByLabel("One-time password").fill("first-time-123");
  await form.getByRole("button", { name: "Add" }).click();
  await expect(page.getByRole("status")).toHaveText(/Login added/);
  await expect(page.locator(`tr[data-email="${email}"]`)).toContainText("Must change password");

  // The new manager logs in elsewhere and is sent to choose a password.
  const manager = await browser.newPage();
  await manager.goto("/login");
  await manager.getByLabel("Email").fill(email);
  await manager.getByLabel("Password").fill("first-time-123");
  await manager.getByRole("button", { name: "Log in" }).click();
  await expect(manager).toHaveURL(/\/account$/);
  await expect(manager.getByText("Choose your own to continue")).toBeVisible();
  await manager.getByLabel("Current password").fill("first-time-123");
  await manager.getByLabel("New password", { exact: true }).fill("my-own-passphrase");
  await manager.getByLabel("New password again").fill("my-own-passphrase");
  await manager.getByRole("button", { name: "Change password" }).click();
  await expect(manager.getByRole("status")).toHaveText(/Password changed/);
  await manager.getByRole("link", { name: "Catalog" }).click();
  await expect(manager.getByRole("heading", { level: 1 })).toHaveText("Harbor & Vine Music");
  await manager.close();
});

test("a page asked for before login opens after it", async ({ page }) => {
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await page.getByLabel("Email").fill(logins.artist2.email);
  await page.getByLabel("Password").fill(logins.artist2.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();
});
