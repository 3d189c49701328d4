import { expect, Page, test } from "@playwright/test";
import { card, hydrated, lastDemoMonth, logIn, logins } from "./helpers";

/** An amount's exact value, from the title the statement gives each rounded amount. */
async function exact(page: Page, term: string): Promise<number> {
  const title = await page.locator("dl.statement-summary dt", { hasText: term }).locator("+ dd span").getAttribute("title");
  return Number(title!.replace("exactly ", "").split(" ")[0]);
}

/** Held back and closing balance on the payee's statement in `runUrl`. */
async function statement(page: Page, runUrl: string, payee: string) {
  await page.goto(runUrl);
  await hydrated(page);
  await card(page, "Statements").getByRole("link", { name: payee, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Statement: ${payee}`);
  return { held: await exact(page, "Held back"), closing: await exact(page, "Closing balance") };
}

// Harbor & Vine Music's data only: the revenue tests work on Northern Lights Records.
test("staff filter the queue, resolve the top conflict as ours, and the artist's next statement has its held revenue", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const staff = await browser.newPage();
  await logIn(staff, logins.staff);
  // The demo's conflicts are found as its reports load, which the server does as it
  // starts; the statements compared below need every report in.
  await staff.goto("/ingestion");
  const jobs = card(staff, "Jobs");
  for (const [job, loaded] of [
    ["Spotify", 9], ["Amazon Music", 9], ["Apple Music", 9], ["YouTube", 9], ["Deezer", 9], ["TIDAL", 7],
  ]) {
    await expect(jobs.locator(`tr[data-job='${job} drop folder']`)).toContainText(`${loaded} loaded`, {
      timeout: 120_000,
    });
  }
  await staff.goto("/conflicts");
  const filters = staff.getByRole("form", { name: "Filter conflicts" });
  await filters.getByLabel("Kind").selectOption("overlapping_claims");
  await filters.getByLabel("Label").selectOption({ label: "Harbor & Vine Music" });
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(staff).toHaveURL(/kind=overlapping_claims.*label=\d+/);
  const rows = staff.locator("table.conflicts tbody tr");
  await expect(rows.first()).toContainText("Harbor & Vine Music");
  await hydrated(staff);
  await rows.first().getByRole("link").first().click();
  await expect(staff.getByRole("heading", { level: 1 })).toContainText("Overlapping claims");
  await expect(card(staff, "Claims on the track").getByRole("row")).toHaveCount(3);
  const conflictUrl = staff.url();
  // What the conflict holds is the first thing to know if the statement below shows none.
  const conflictHeld = Number(await staff.getByTestId("conflict-held").getAttribute("title"));
  expect(conflictHeld, "the top conflict holds revenue").toBeGreaterThan(0);

  // Whose track it is: its main artist is a payee of the label.
  await hydrated(staff);
  await staff.locator("dl.facts").getByRole("link").click();
  const artist = (await staff.locator("p.subtitle").innerText()).split(" feat.")[0].split(",")[0].trim();
  await expect(staff.getByTestId("track-holds")).toContainText("add up to more than 100%");

  // A draft run for the label previews every payee's next statement.
  await staff.goto("/payouts");
  // Filled before hydration, the month can be put back to the form's default as the
  // page hydrates: a draft of the month after the last run, before the holds began.
  await hydrated(staff);
  const form = staff.getByRole("form", { name: "New payout run" });
  const harbor = await form.locator("option", { hasText: "Harbor & Vine Music" }).getAttribute("value");
  await form.getByLabel("Label").selectOption(harbor!);
  await form.getByLabel("Up to and including").fill(lastDemoMonth());
  await form.getByRole("button", { name: "Create draft" }).click();
  await hydrated(staff);
  await card(staff, "Runs").getByRole("row").filter({ hasText: "Draft" }).filter({ hasText: "Harbor" }).getByRole("link").click();
  await expect(staff.getByRole("heading", { level: 1 })).toContainText(`to ${lastDemoMonth()}`);
  const runUrl = staff.url();
  const before = await statement(staff, runUrl, artist);
  expect(before.held, `${artist}'s held revenue with conflict ${conflictUrl} holding ${conflictHeld}`).toBeGreaterThan(0);

  await staff.goto(conflictUrl);
  await hydrated(staff);
  const decide = staff.getByRole("form", { name: "Decide" });
  await decide.getByLabel(/^Ours/).check();
  await decide.getByLabel("Why").fill("Our delivery predates their claim; the platform confirmed.");
  await decide.getByRole("button", { name: "Decide" }).click();
  await expect(staff.getByRole("status")).toContainText("resolved as ours");
  await expect(staff.getByTestId("conflict-status")).toHaveText("resolved: ours");
  await expect(card(staff, "History")).toContainText("Our delivery predates their claim");

  // The draft is worked out again: what was held back for the track is now the artist's.
  await staff.goto(runUrl);
  await hydrated(staff);
  await staff.getByRole("button", { name: "Recalculate" }).click();
  // A label's every statement line is worked out again: seconds on a slow machine.
  await expect(staff.getByRole("status")).toHaveText("Done.", { timeout: 60_000 });
  const after = await statement(staff, runUrl, artist);
  const released = before.held - after.held;
  expect(released).toBeGreaterThan(0);
  expect(after.closing - before.closing).toBeCloseTo(released, 8);

  // The preview is not kept: the draft is deleted.
  await staff.goto(runUrl);
  await hydrated(staff);
  await staff.getByRole("button", { name: "Delete draft" }).click();
  await expect(staff.getByRole("status")).toHaveText("Done.");
});

test("a label manager sees their label's conflicts without the means to decide them", async ({ page }) => {
  await logIn(page, { email: "label2@backbeat.demo", password: "backbeat-label2" });
  await page.goto("/conflicts");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Conflicts");
  await expect(page.getByRole("form", { name: "Act on the selected conflicts" })).toHaveCount(0);
  const labels = page.getByRole("form", { name: "Filter conflicts" }).getByLabel("Label").locator("option");
  await expect(labels).toHaveText(["Any label", "Harbor & Vine Music"]);
});
