// Loads the Baton dashboard in Chromium, checks that named things are shown,
// that the page updates live (without reloading) after an external change,
// and saves screenshots. Usage: see run_dashboard_check.sh.
import { chromium } from "playwright-core";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    expect: { type: "string", multiple: true, default: [] },
    "post-path": { type: "string" },
    "post-body": { type: "string", default: "" },
    token: { type: "string", default: "" },
    "wait-for": { type: "string", multiple: true, default: [] },
    screenshot: { type: "string" },
    "phone-screenshot": { type: "string" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
    timeout: { type: "string", default: "30000" },
  },
});

function fail(message) {
  console.error(`dashboard check FAILED: ${message}`);
  process.exitCode = 1;
}

if (!args.url) {
  console.error("--url is required");
  process.exit(2);
}
const base = args.url.replace(/\/$/, "");
const timeout = Number(args.timeout);

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  // Containers often run as root and without a usable /dev/shm.
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.setDefaultTimeout(timeout);

  await page.goto(`${base}/`, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("body[data-loaded='true']");
  await page.waitForFunction(() => document.getElementById("live").textContent === "live");
  console.log("page loaded and the event stream is live");

  for (const text of args.expect) {
    await page.getByText(text, { exact: false }).first().waitFor({ state: "visible" });
    console.log(`shown: ${text}`);
  }

  if (args["post-path"] || args["wait-for"].length) {
    // Marks this document: a reload would lose the mark, so seeing the new
    // text with the mark still there proves the page updated in place.
    await page.evaluate(() => {
      window.__batonLiveMark = "unchanged";
    });
    if (args["post-path"]) {
      const headers = { "content-type": "application/json" };
      if (args.token) headers.authorization = `Bearer ${args.token}`;
      const response = await fetch(`${base}${args["post-path"]}`, { method: "POST", headers, body: args["post-body"] });
      console.log(`POST ${args["post-path"]} -> ${response.status}`);
      if (!response.ok) fail(`POST ${args["post-path"]} answered ${response.status}: ${await response.text()}`);
    }
    for (const text of args["wait-for"]) {
      await page.getByText(text, { exact: false }).first().waitFor({ state: "visible" });
      console.log(`appeared live: ${text}`);
    }
    const mark = await page.evaluate(() => window.__batonLiveMark);
    if (mark !== "unchanged") fail("the page reloaded instead of updating in place");
  }

  if (args.screenshot) {
    await page.screenshot({ path: args.screenshot, fullPage: true });
    console.log(`screenshot: ${args.screenshot}`);
  }
  if (args["phone-screenshot"]) {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: args["phone-screenshot"], fullPage: true });
    console.log(`phone screenshot: ${args["phone-screenshot"]}`);
  }
  if (problems.length) fail(problems.join("\n"));
} catch (error) {
  fail(error.message);
} finally {
  await browser.close();
}
