import { expect, test } from "@playwright/test";
import { card, hydrated, logIn, logins } from "./helpers";

/** A UPC-A no other test uses: 11 random digits and their check digit. */
function freshUpc(): string {
  const body = Array.from({ length: 11 }, () => Math.floor(Math.random() * 10));
  const sum = body.reduce((total, digit, i) => total + digit * (i % 2 === 0 ? 3 : 1), 0);
  return body.join("") + String((10 - (sum % 10)) % 10);
}

test("staff add a release and its track in the browser, and a refused save keeps what they typed", async ({ page }) => {
  const upc = freshUpc();
  const isrc = `QZE2E${upc.slice(-7)}`;
  await logIn(page, logins.staff);
  await page.goto("/catalog");
  await hydrated(page);

  const release = page.getByRole("form", { name: "New release" });
  await release.getByLabel("Label").selectOption({ label: "Northern Lights Records (USD)" });
  await release.getByLabel("Title").fill("Browser Sessions");
  await release.getByLabel("Artist").fill("Nova Reyes");
  await release.getByLabel("UPC or EAN").fill(upc);
  await release.getByRole("button", { name: "Add release" }).click();
  // A saved release opens, ready for its tracks.
  await expect(page.getByRole("heading", { name: "Release: Browser Sessions" })).toBeVisible();
  await expect(page).toHaveURL(/release=\d+/);

  const track = page.getByRole("form", { name: "New track" });
  await track.getByLabel("Title").fill("Tape Hiss");
  await track.getByLabel("ISRC").fill("QZ-E2E-26");
  await track.getByLabel("Main artist").fill("Nova Reyes");
  await track.getByLabel(/Platform ids/).fill(`spotify: e2e-${upc}`);
  await track.getByRole("button", { name: "Add track" }).click();
  await expect(card(page, "New track").getByRole("alert")).toContainText("ISRC: ");
  await expect(track.getByLabel("Title")).toHaveValue("Tape Hiss");

  await track.getByLabel("ISRC").fill(isrc);
  await track.getByRole("button", { name: "Add track" }).click();
  await expect(card(page, "New track").getByRole("status")).toContainText("Track saved");
  const row = card(page, "Tracks").getByRole("row").filter({ hasText: "Tape Hiss" });
  await expect(row).toContainText(isrc);
  await expect(row).toContainText(`spotify: e2e-${upc}`);

  // The release is found by its track's ISRC.
  await page.goto(`/catalog?q=${isrc}`);
  await expect(card(page, "Releases").getByRole("link", { name: "Browser Sessions" })).toBeVisible();
});
