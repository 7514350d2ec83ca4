// Books a seat in the appointments flow through `flows preview`, in Debian's headless Chromium,
// finding every control by its accessible role and name only, as a person with a screen reader would.
//
// Usage: node book-a-seat.mjs PREVIEW_URL SCREENSHOT_DIR
// Exits non-zero with the failed step on stderr. Chromium: $CHROMIUM or /usr/bin/chromium.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [url, shots] = process.argv.slice(2);
if (!url || !shots) {
  console.error("usage: node book-a-seat.mjs PREVIEW_URL SCREENSHOT_DIR");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
});
let step = "open the page";
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(15000);
  await page.goto(url);

  const phone = page.getByRole("region", { name: "Phone" });
  const title = (text) => phone.getByRole("heading", { level: 1, name: text });
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });

  step = "APPOINTMENT screen";
  await title("Book an appointment").waitFor();
  // Each choice is a data_exchange that enables the next dropdown: wait for it before choosing.
  for (const label of ["Department", "Location", "Date", "Time"]) {
    step = `choose ${label}`;
    const select = phone.getByRole("combobox", { name: label });
    await expectEnabled(select);
    const first = await select.locator("option:not([value=''])").first().getAttribute("value");
    await select.selectOption(first);
  }
  await shot("1-appointment");
  step = "tap Choose a seat";
  await phone.getByRole("button", { name: "Choose a seat" }).click();

  step = "SEATS screen";
  await title("Choose a seat").waitFor();
  await phone.getByRole("group", { name: "Free seats" }).getByRole("radio").first().check();
  // The choice reaches the engine asynchronously: shoot the screen once it has (Continue enabled).
  await expectEnabled(phone.getByRole("button", { name: "Continue" }));
  await shot("2-seats");
  await phone.getByRole("button", { name: "Continue" }).click();

  step = "DETAILS screen";
  await title("Your details").waitFor();
  await phone.getByRole("textbox", { name: "Name" }).fill("Ana Lima");
  await phone.getByRole("textbox", { name: "Email" }).fill("ana@example.com");
  await phone.getByRole("textbox", { name: /^Phone/ }).fill("+351912345678");
  await shot("3-details");
  await phone.getByRole("button", { name: "Review" }).click();

  step = "SUMMARY screen";
  await title("Confirm your booking").waitFor();
  await shot("4-summary");
  await phone.getByRole("button", { name: "Book" }).click();

  step = "completion";
  await title("Flow completed").waitFor();
  const params = await phone.getByLabel("Completion parameters").textContent();
  await shot("5-completed");

  step = "inspector";
  const exchanges = page.getByRole("list", { name: "Exchanges" }).getByRole("listitem");
  const count = await exchanges.count();
  const summaries = await exchanges.locator("summary").allTextContents();
  console.log(JSON.stringify({ params: JSON.parse(params), exchanges: count, summaries }));
} catch (error) {
  console.error(`browser test failed at "${step}": ${error.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();

async function expectEnabled(locator) {
  for (let i = 0; i < 150; i++) {
    if (await locator.isEnabled()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("control stayed disabled");
}
