// The dashboard as a person uses it, in Debian's headless Chromium.
// Run by scripts/browser-test, which installs playwright-core and sets:
//   UPROOT_URL, UPROOT_USER, UPROOT_PASSWORD, UPROOT_SCREENS,
//   UPROOT_NODE_MODULES, CHROMIUM.
// Exits non-zero on the first failed step, after a failure screenshot.
import { createRequire } from "node:module";
import path from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`browser-test: ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const base = env("UPROOT_URL").replace(/\/+$/, "");
const user = env("UPROOT_USER");
const password = env("UPROOT_PASSWORD");
const screens = env("UPROOT_SCREENS");
const require = createRequire(path.join(env("UPROOT_NODE_MODULES"), "package.json"));
const { chromium } = require("playwright-core");

const started = Date.now();
const step = (msg) => console.log(`browser-test: [${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const check = (cond, msg) => {
  if (!cond) throw new Error(`check failed: ${msg}`);
};
const shot = async (page, name) => {
  const file = path.join(screens, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  step(`screenshot ${file}`);
};

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  // Root in a container has no user namespaces for Chromium's sandbox.
  chromiumSandbox: false,
  args: ["--disable-gpu", "--disable-dev-shm-usage"],
  timeout: 30_000,
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
const page = await context.newPage();
page.setDefaultTimeout(10_000);
const problems = [];
// A dialog can only come from script the page was tricked into running.
page.on("dialog", async (d) => {
  problems.push(`unexpected dialog: ${d.message()}`);
  await d.dismiss();
});
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
// Chromium logs every 4xx as a console error (the failed login is a 401 on
// purpose), so resources are judged by status here instead: no 5xx, ever.
page.on("console", (m) => {
  if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`console error: ${m.text()}`);
});
page.on("response", (r) => {
  if (r.status() >= 500) problems.push(`${r.status()} from ${r.url()}`);
});

let code = 0;
try {
  step(`open ${base}/ without a session`);
  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === "/login", `expected a redirect to /login, got ${page.url()}`);
  await shot(page, "01-login");

  step("log in with a wrong password");
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', `${password}-wrong`);
  await Promise.all([page.waitForLoadState("load"), page.click('button[type="submit"]')]);
  check((await page.textContent(".error")).includes("Invalid username or password"), "generic login error shown");

  step(`log in as ${user}`);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL((u) => u.pathname === "/"), page.click('button[type="submit"]')]);
  check((await page.textContent("h1")).includes("Overview"), "overview heading");
  check(await page.locator("svg.chart polyline").count() === 3, "burndown chart has three lines");
  await shot(page, "02-overview");

  step("hosts list, affected only");
  await page.goto(`${base}/hosts?status=affected`);
  const hostLink = page.locator("table tbody tr td a").first();
  const hostName = (await hostLink.textContent()).trim();
  await shot(page, "03-hosts");
  await Promise.all([page.waitForURL(/\/hosts\/\d+$/), hostLink.click()]);
  const hostUrl = page.url();
  step(`host ${hostName} at ${hostUrl}`);
  check((await page.textContent("h1")).includes(hostName), "host heading");
  const row = page.locator('tr.finding[data-state="open"]', { hasText: "kaspersky" }).first();
  check(await row.count() === 1, "an open kaspersky finding on the host");
  const key = (await row.locator(".evidence-key").textContent()).trim();
  step(`finding with evidence key ${key}`);
  await shot(page, "04-host");

  step("request a waiver for the finding");
  await Promise.all([page.waitForURL(/\/waivers/), row.locator("a.waive").click()]);
  check(await page.inputValue('select[name="scope_kind"]') === "finding", "scope prefilled as finding");
  check((await page.inputValue('input[name="scope_value"]')).length > 0, "scope value prefilled");
  await page.selectOption('select[name="directive"]', "bod-17-01");
  await page.fill('textarea[name="justification"]', "Isolated lab host; removal is scheduled with the vendor's uninstaller.");
  await page.fill('textarea[name="mitigations"]', "No network egress; monitored by the SOC.");
  await shot(page, "05-waiver-form");
  await Promise.all([
    page.waitForURL(/done=requested-\d+/),
    page.click('#waiver-form button[type="submit"]'),
  ]);
  const id = new URL(page.url()).hash.replace("#waiver-", "");
  check(/^\d+$/.test(id), `waiver id in ${page.url()}`);
  const waiverRow = page.locator(`#waiver-${id}`);
  check(await waiverRow.getAttribute("data-status") === "pending", "new waiver is pending");
  await shot(page, "06-waiver-pending");

  step(`approve waiver ${id}`);
  await Promise.all([page.waitForURL(/done=approved-\d+/), waiverRow.locator("button.approve").click()]);
  check(await page.locator(`#waiver-${id}`).getAttribute("data-status") === "approved", "waiver approved");
  await shot(page, "07-waiver-approved");

  step("the finding shows as waived");
  await page.goto(hostUrl);
  const waived = page.locator("tr.finding", { hasText: key }).first();
  check(await waived.getAttribute("data-state") === "waived", `finding ${key} is waived`);
  check((await waived.locator(".badge").first().textContent()).trim() === "waived", "waived badge");
  await shot(page, "08-host-waived");

  step("directive, findings and exports pages");
  await page.goto(`${base}/directives/bod-17-01`);
  check(await page.locator("#milestones tbody tr").count() === 3, "BOD 17-01 has three milestones");
  await shot(page, "09-directive");
  await page.goto(`${base}/findings?status=waived`);
  check(await page.locator("table tbody tr", { hasText: key }).count() >= 1, "waived finding listed");
  await shot(page, "10-findings");
  await page.goto(`${base}/exports`);
  await shot(page, "11-exports");
  for (const [sel, type] of [["#export-csv", "text/csv"], ["#export-json", "application/json"]]) {
    const href = await page.getAttribute(sel, "href");
    const resp = await page.request.get(new URL(href, base).toString());
    check(resp.status() === 200, `${href} answered ${resp.status()} with the session cookie`);
    check((resp.headers()["content-type"] || "").startsWith(type), `${href} is ${type}`);
  }

  step("log out");
  await Promise.all([page.waitForURL(/\/login/), page.click('header form button[type="submit"]')]);
  await page.goto(`${base}/hosts`);
  check(new URL(page.url()).pathname === "/login", "pages need a session again after logout");

  check(problems.length === 0, problems.join("; "));
  step("all checks passed");
} catch (e) {
  code = 1;
  console.error(`browser-test: FAILED: ${e.message}`);
  if (problems.length) console.error(`browser-test: also: ${problems.join("; ")}`);
  try {
    await shot(page, "failure");
  } catch {}
} finally {
  await browser.close();
}
process.exit(code);
