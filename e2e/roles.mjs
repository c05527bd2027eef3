// End-to-end browser test: log in as every demo role, check what each one sees.
//
// Usage: node e2e/roles.mjs BASE_URL LABEL
//   BASE_URL  e.g. http://127.0.0.1:8080 (a server started with `hemaflow serve --demo`)
//   LABEL     e.g. sqlite or postgres; used in screenshot names
//             (target/screenshots/LABEL-ROLE.png, relative to the current directory)
//
// Environment (optional, for local iteration):
//   E2E_ROLES=admin,quality   run only these roles (order stays the canonical one)
//   E2E_TIMEOUT_MS=10000      timeout of each action / navigation
//   CHROMIUM=/usr/bin/chromium
//
// Uses playwright-core with Debian's chromium; never downloads a browser.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const USAGE = 'usage: node e2e/roles.mjs BASE_URL LABEL';
const [rawBase, label] = process.argv.slice(2);
if (!rawBase || !label) {
  console.error(USAGE);
  process.exit(2);
}
if (!/^[A-Za-z0-9_.-]+$/.test(label)) {
  console.error(`LABEL must be a plain word (got ${JSON.stringify(label)})\n${USAGE}`);
  process.exit(2);
}
const BASE = rawBase.replace(/\/+$/, '');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 10_000);
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT_DIR = path.join(process.cwd(), 'target', 'screenshots');

// Demo roles in the order they must run (admin first: quality's audit check
// looks for admin's login records).
const EXPECTED_NAV = {
  admin: ['dashboard', 'donors', 'recruitment', 'outbox', 'appointments', 'sites', 'hospitals', 'rules', 'audit', 'users'],
  recruiter: ['dashboard', 'donors', 'recruitment', 'outbox', 'appointments', 'sites', 'rules'],
  collector: ['dashboard', 'donors', 'appointments', 'sites', 'dins', 'rules'],
  lab: ['dashboard', 'donors', 'sites', 'dins', 'labels', 'processing', 'results', 'stock', 'put_away', 'storage', 'excursions', 'notifications', 'lookback'],
  distribution: ['dashboard', 'sites', 'hospitals', 'orders', 'new_order', 'returns', 'standing', 'supply', 'contracts', 'stock', 'put_away', 'storage', 'excursions'],
  apheresis: ['dashboard', 'apheresis', 'apheresis_new', 'apheresis_calendar', 'apheresis_resources', 'apheresis_reports', 'sites', 'hospitals'],
  apheresis_nurse: ['dashboard', 'apheresis', 'apheresis_calendar'],
  sales: ['dashboard', 'sites', 'hospitals', 'orders', 'returns', 'standing', 'supply', 'contracts', 'invoices', 'stock', 'storage', 'excursions'],
  quality: ['dashboard', 'donors', 'recruitment', 'sites', 'hospitals', 'rules', 'deviations', 'audit', 'stock', 'storage', 'excursions', 'notifications', 'lookback', 'recalls'],
  physician: ['dashboard', 'donors', 'sites', 'rules', 'stock', 'storage', 'excursions', 'notifications', 'lookback', 'apheresis', 'apheresis_calendar', 'apheresis_resources'],
  hospital: ['dashboard', 'hospitals', 'orders', 'new_order', 'returns', 'standing', 'notices', 'contracts', 'invoices', 'apheresis', 'apheresis_new', 'apheresis_calendar'],
};
// The apheresis nurse comes last: the coordinator books the request the hospital user
// sent in this run, then the nurse finds it in their calendar.
const ROLE_ORDER = ['admin', 'recruiter', 'collector', 'lab', 'distribution', 'apheresis', 'sales', 'quality', 'physician', 'hospital', 'apheresis_nurse'];

// Each role's dashboard: its own section (id dash-ROLE) with these headings.
const DASHBOARD = {
  admin: ['Administrator'],
  recruiter: ['Donor recruiter', 'Needs by blood group', 'Running campaigns'],
  collector: ['Collection staff'],
  lab: ['Laboratory'],
  distribution: ['Distribution'],
  apheresis: ['Apheresis coordinator'],
  apheresis_nurse: ['Apheresis nurse'],
  sales: ['Sales / account manager'],
  quality: ['Quality'],
  physician: ['Physician / medical director'],
  hospital: ['Hospital user'],
};

const DEMO_SITE_COUNT = 7;
const DEMO_HOSPITAL_COUNT = 20;
const HOSPITAL_USER_HOSPITAL = "St Mary's Medical Center";

let roles = ROLE_ORDER;
if (process.env.E2E_ROLES) {
  const wanted = process.env.E2E_ROLES.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((r) => !ROLE_ORDER.includes(r));
  if (unknown.length) {
    console.error(`E2E_ROLES names unknown roles: ${unknown.join(', ')} (known: ${ROLE_ORDER.join(', ')})`);
    process.exit(2);
  }
  roles = ROLE_ORDER.filter((r) => wanted.includes(r));
}

// ---------------------------------------------------------------- helpers

class CheckError extends Error {}

function fail(message) {
  throw new CheckError(message);
}

function url(p) {
  return BASE + p;
}

function pathOf(page) {
  return new URL(page.url()).pathname;
}

function expectPath(page, predicate, what) {
  const p = pathOf(page);
  if (!predicate(p)) fail(`expected ${what}, but the page is at ${page.url()}`);
}

const isLogin = (p) => p === '/login' || p.startsWith('/login/') || p.startsWith('/login?');
const isRoot = (p) => p === '/';

// Runs `action` (which should trigger a main-frame navigation: a link click or
// a form submission, redirects included) and waits until the new document has loaded.
async function navigating(page, action) {
  const committed = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
    timeout: TIMEOUT,
  });
  await action();
  await committed;
  await page.waitForLoadState('load', { timeout: TIMEOUT });
}

async function goto(page, p) {
  const response = await page.goto(url(p), { waitUntil: 'load', timeout: TIMEOUT });
  if (!response) fail(`no response for ${url(p)}`);
  return response;
}

async function visible(locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: TIMEOUT });
  } catch {
    fail(`${what} did not become visible within ${TIMEOUT} ms`);
  }
}

async function attached(locator, what) {
  try {
    await locator.first().waitFor({ state: 'attached', timeout: TIMEOUT });
  } catch {
    fail(`${what} was not found within ${TIMEOUT} ms`);
  }
}

// The submit button of the form that contains `fieldSelector` (the header also
// holds a form: the logout button, so a bare button[type=submit] is ambiguous).
function submitOf(page, fieldSelector) {
  return page.locator('form', { has: page.locator(fieldSelector) }).locator('button[type=submit]').first();
}

async function login(page, username, password) {
  await visible(page.locator('input[name=username]'), 'the login form field input[name=username]');
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await navigating(page, () => submitOf(page, 'input[name=username]').click());
}

async function navLinks(page) {
  await visible(page.locator('nav#main-nav'), 'nav#main-nav');
  return page.locator('nav#main-nav a[data-nav]').evaluateAll((as) => as.map((a) => a.getAttribute('data-nav')));
}

async function clickNav(page, key) {
  const link = page.locator(`nav#main-nav a[data-nav="${key}"]`).first();
  // A page of an area with several pages sits in that area's menu: open it first.
  const menu = page.locator(`nav#main-nav details:has(a[data-nav="${key}"]) > summary`);
  if ((await menu.count()) && !(await link.isVisible())) await menu.first().click();
  await visible(link, `the navigation link data-nav="${key}"`);
  const href = await link.getAttribute('href');
  if (!href) fail(`the navigation link data-nav="${key}" has no href`);
  const target = new URL(href, page.url());
  if (target.href === page.url()) {
    await link.click();
    return;
  }
  await navigating(page, () => link.click());
  if (pathOf(page) !== target.pathname) {
    fail(`clicking nav "${key}" (href ${href}) ended at ${page.url()}, expected path ${target.pathname}`);
  }
}

async function rowCount(page, rowsSelector, tableSelector) {
  await attached(page.locator(tableSelector), tableSelector);
  return page.locator(rowsSelector).count();
}

async function pageTextSnippet(page, max = 1500) {
  try {
    const text = await page.locator('body').innerText({ timeout: 2000 });
    const squeezed = text.replace(/\n{3,}/g, '\n\n').trim();
    return squeezed.length > max ? squeezed.slice(0, max) + ' […]' : squeezed;
  } catch (e) {
    return `(could not read the page text: ${e.message.split('\n')[0]})`;
  }
}

// ---------------------------------------------------------------- checks

async function checkNav(page, role) {
  const got = await navLinks(page);
  const expected = EXPECTED_NAV[role];
  const gotSet = [...new Set(got)].sort();
  const expSet = [...expected].sort();
  const missing = expSet.filter((k) => !gotSet.includes(k));
  const extra = gotSet.filter((k) => !expSet.includes(k));
  if (missing.length || extra.length) {
    fail(
      `navigation for ${role} differs:\n` +
        `    expected: ${expSet.join(', ')}\n` +
        `    got:      ${gotSet.join(', ') || '(nothing)'}\n` +
        (missing.length ? `    missing:  ${missing.join(', ')}` + (extra.length ? '\n' : '') : '') +
        (extra.length ? `    extra:    ${extra.join(', ')}` : ''),
    );
  }
}

// The role's own section with its headings and at least one count (thousands
// separated, linking to its list); no promise of modules to come.
async function checkDashboard(page, role) {
  const section = page.locator(`section#dash-${role}`);
  await visible(section, `the dashboard section #dash-${role}`);
  const text = await section.innerText();
  for (const h of DASHBOARD[role]) {
    if (!text.includes(h)) fail(`the ${role} dashboard lacks the heading "${h}"`);
  }
  if (/arrives? with/i.test(await page.locator('main').innerText())) fail(`the ${role} dashboard still says a feature "arrives with" a module`);
  if (role === 'hospital') {
    await visible(section.locator('a', { hasText: 'Your account' }), 'the hospital user\'s account link');
    return 'account';
  }
  const nums = await section.locator('.stat a.num').allInnerTexts();
  if (!nums.length) fail(`the ${role} dashboard shows no count`);
  const bad = nums.filter((n) => !/^\d{1,3}(,\d{3})*$/.test(n.trim()));
  if (bad.length) fail(`the ${role} dashboard shows counts not written with thousands separators: ${bad.join(', ')}`);
  return nums.join('/');
}

// The demo has no mail server: an email campaign's messages are captured and
// shown in the Outbox, marked as not sent.
async function checkCampaignOutbox(page) {
  const name = `E2E outbox ${label} ${Date.now()}`;
  await goto(page, '/recruitment/segments/new');
  await page.locator('#f-name').fill(name);
  await page.locator('#f-consent').selectOption('email');
  await navigating(page, () => page.locator('#segment-form button.primary').click());
  await goto(page, '/recruitment/campaigns/new');
  await page.locator('#f-name').fill(name);
  await page.locator('#f-segment_id').selectOption({ label: name });
  await page.locator('#f-channel').selectOption('email');
  await page.locator('#f-subject').fill('Hello {{first_name}}, ' + name);
  await page.locator('#f-body').fill('Dear {{first_name}}, please book: {{booking_url}}');
  await page.locator('#f-limit').fill('3');
  await navigating(page, () => page.locator('#campaign-form button.primary').click());
  if (!/^\/recruitment\/campaigns\/[0-9a-f-]+$/.test(pathOf(page))) {
    fail(`creating an email campaign in the demo ended at ${page.url()}: ${await pageTextSnippet(page, 600)}`);
  }
  // The server's worker captures the messages within a few seconds.
  const deadline = Date.now() + TIMEOUT;
  let found = 0;
  while (Date.now() < deadline) {
    await goto(page, '/outbox');
    found = await page.locator('article.captured-message', { hasText: name }).count();
    if (found >= 1) break;
    await page.waitForTimeout(500);
  }
  if (!found) fail(`no captured message of campaign "${name}" in the Outbox: ${await pageTextSnippet(page, 600)}`);
  const banner = await page.locator('#outbox-banner').innerText();
  if (!banner.includes('Not sent — captured because no mail server is configured')) fail(`the Outbox banner says: ${banner}`);
  return found;
}

async function checkWrongPassword(page) {
  // On the login page already.
  await login(page, 'lab', 'definitely-not-the-lab-password');
  await visible(page.locator('.form-error'), 'a .form-error after a wrong password for lab');
  expectPath(page, isLogin, 'to stay on /login after a wrong password');
}

async function checkAdminUsers(page) {
  await clickNav(page, 'users');
  await visible(page.locator('table', { hasText: 'quality' }), 'a table listing the user "quality" on the users page');
}

async function checkBadSiteInput(page) {
  await goto(page, '/sites/new');
  const code = page.locator('input[name=code]');
  await visible(code, 'input[name=code] on /sites/new');
  await code.fill('bad code!');
  const name = page.locator('input[name=name]');
  if (await name.count()) await name.first().fill('');
  // Test the server's validation, not the browser's: switch off HTML5
  // constraint validation (required, pattern, …) on that form.
  await page.locator('form', { has: code }).evaluate((form) => {
    form.noValidate = true;
  });
  await navigating(page, () => submitOf(page, 'input[name=code]').click());
  await visible(page.locator('input[name=code]'), 'the site form (input[name=code]) after submitting bad input');
  const errors = await page.locator('.field-error').count();
  if (errors < 2) fail(`expected at least 2 .field-error elements after a bad code and an empty name, got ${errors}`);
  const codeValue = await page.locator('input[name=code]').first().inputValue();
  if (codeValue !== 'bad code!') {
    console.log(`  note: the re-rendered site form does not keep the entered code (value ${JSON.stringify(codeValue)})`);
  }

  await goto(page, '/sites');
  const sites = await rowCount(page, 'table#sites-table tbody tr', 'table#sites-table');
  if (sites !== DEMO_SITE_COUNT) {
    fail(`expected ${DEMO_SITE_COUNT} sites in table#sites-table after the rejected form, got ${sites}`);
  }
}

async function checkQualityAudit(page) {
  await clickNav(page, 'audit');
  const before = await rowCount(page, 'table#audit-table tbody tr', 'table#audit-table');
  if (before < 1) fail('table#audit-table has no rows');

  const actor = page.locator('form#audit-filter input[name=actor]');
  const actorInput = (await actor.count()) ? actor : page.locator('input[name=actor]');
  await visible(actorInput, 'input[name=actor] in the audit filter');
  await actorInput.first().fill('admin');
  await navigating(page, () => page.locator('form#audit-filter button[type=submit]').first().click());

  await attached(page.locator('table#audit-table'), 'table#audit-table after filtering by actor');
  const actors = await page
    .locator('table#audit-table tbody tr')
    .evaluateAll((rows) =>
      rows
        .filter((r) => r.offsetParent !== null || r.getClientRects().length > 0)
        .map((r) => {
          const cell = r.querySelector('td.actor');
          return cell ? cell.innerText.trim() : null;
        }),
    );
  if (actors.length < 1) fail('no audit rows for actor "admin" (admin logged in before quality, so there must be some)');
  const bad = actors.filter((a) => a !== 'admin');
  if (bad.length) {
    const shown = bad.slice(0, 10).map((a) => (a === null ? '(row without td.actor)' : JSON.stringify(a)));
    fail(`after filtering by actor=admin, ${bad.length} of ${actors.length} rows have another actor: ${shown.join(', ')}`);
  }
}

// Quality opens Deviations: the demo's reportable deviation whose report to FDA is late
// is listed among the overdue ones, said in words.
async function checkDeviations(page) {
  await clickNav(page, 'deviations');
  await visible(page.locator('table#deviations-table'), 'table#deviations-table');
  await navigating(page, () => page.locator('#deviation-filters a', { hasText: 'Overdue reports' }).first().click());
  const rows = page.locator('table#deviations-table tbody tr.overdue');
  await visible(rows, 'an overdue deviation row');
  const text = await rows.first().innerText();
  if (!text.includes('OVERDUE')) fail(`the overdue deviation does not say so in words: ${text.slice(0, 200)}`);
  return (await rows.first().getAttribute('data-number')) || '?';
}

// Quality changes the tattoo deferral on its rule's form: a title still naming the old
// period is refused next to its field; with the title fixed, the boundary cases of the
// new period show and hold. Nothing is stored (the check button only).
async function checkRuleChange(page) {
  await goto(page, '/quality/rules/EVENT_TATTOO');
  await visible(page.locator('form#rule-change-form input[name=period]'), 'the period field of the tattoo rule');
  await page.fill('form#rule-change-form input[name=period]', '4');
  const check = page.locator('form#rule-change-form button[value=check]');
  await navigating(page, () => check.click());
  await visible(page.locator('#e-title'), 'the error next to the title that still says 3 months');
  const title = await page.locator('#f-title').inputValue();
  await page.fill('#f-title', title.replace('3 months', '4 months'));
  await navigating(page, () => page.locator('form#rule-change-form button[value=check]').click());
  const cases = await page.locator('#boundary-cases').innerText().catch(() => '');
  if (!cases.includes('Every case holds') || !cases.includes('a day less than 4 months before')) {
    fail(`the boundary cases of a 4-month tattoo deferral are not shown as holding: ${cases.slice(0, 400)}`);
  }
  if (!cases.includes('In the past 4 months')) fail('the tattoo question does not follow the new period');
  if (process.env.E2E_GUIDE_SHOTS) {
    await page.locator('#boundary-cases').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(process.env.E2E_GUIDE_SHOTS, 'quality-rule-check-1280.png'), timeout: TIMEOUT });
  }
}

// The lab separates the newest donation (the collector's, recorded just before) into
// red cells and plasma, then irradiates the red cells: a new unit, the old one ended.
async function checkManufacture(page) {
  await clickNav(page, 'labels');
  const din = (await page.locator('#label-candidates tbody tr').first().locator('td').first().innerText()).trim();
  await goto(page, `/donations/${din}`);
  await visible(page.locator('form#separation-form'), `the separation form of donation ${din}`);
  await navigating(page, () => page.click('form#separation-form button[type=submit]'));
  const red = page.locator('#components-table a', { hasText: 'Red Blood Cells' }).first();
  await visible(red, `the red cells of ${din} (the page says: ${await pageTextSnippet(page, 300)})`);
  await navigating(page, () => red.click());
  await page.selectOption('#f-step', 'irradiate');
  await navigating(page, () => page.click('form#modify-form button[type=submit]'));
  const title = (await page.locator('h1').innerText()).trim();
  if (!title.includes('Irradiated')) fail(`after irradiation the unit is ${JSON.stringify(title)}`);
  const made = await page.locator('#genealogy').innerText();
  if (!made.includes('Made from')) fail('the irradiated unit does not show what it was made from');
  if (process.env.E2E_GUIDE_SHOTS) {
    await page.screenshot({ path: path.join(process.env.E2E_GUIDE_SHOTS, 'lab-component-1280.png'), fullPage: true, timeout: TIMEOUT });
  }
  // A new donor's group is not confirmed: the label is refused until two determinations agree.
  const unitPath = pathOf(page);
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/label') && r.request().method() === 'POST', { timeout: TIMEOUT }),
    page.click('form#label-form button[value=svg]'),
  ]);
  if (refused.status() !== 409) fail(`a label for a donor without a confirmed group answered HTTP ${refused.status()}`);
  await page.waitForLoadState('load');
  if (!(await page.locator('.form-error').innerText().catch(() => '')).includes('not confirmed')) fail('the refusal does not say the group is not confirmed');
  const donorLink = page.locator('main a[href^="/donors/D"]').first();
  await navigating(page, () => donorLink.click());
  for (const [when, withDin] of [['2025-01-10', ''], [new Date().toLocaleString('sv-SE', { timeZone: 'America/Chicago' }).slice(0, 10), din]]) {
    await page.selectOption('form#blood-group-form select[name=abo]', 'A');
    await page.selectOption('form#blood-group-form select[name=rhd]', 'pos');
    await page.fill('form#blood-group-form input[name=determined_on]', when);
    await page.fill('form#blood-group-form input[name=din]', withDin);
    await navigating(page, () => page.click('form#blood-group-form button[type=submit]'));
  }
  await goto(page, unitPath);
  // The label of the irradiated unit, from its record (SVG: the browser shows it).
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/label') && r.request().method() === 'POST', { timeout: TIMEOUT }),
    page.click('form#label-form button[value=svg]'),
  ]);
  const type = resp.headers()['content-type'] || '';
  if (resp.status() !== 200 || !type.startsWith('image/svg+xml')) {
    fail(`the unit's label was not drawn: HTTP ${resp.status()} ${type} (${(await resp.text()).slice(0, 200)})`);
  } else if (!(await resp.text()).includes(`${din.slice(0, 5)} ${din.slice(5, 7)} ${din.slice(7)}`)) {
    fail('the unit label lacks the eye-readable DIN');
  }
  await goto(page, unitPath);
  await checkTestingAndRelease(page, din, unitPath);
  return din;
}

// The lab enters every test of the donation on its page (the typing agrees with the
// donor's group, the rest non-reactive), then scans the unit's label and signs its
// release with the password: the unit becomes available stock.
async function checkTestingAndRelease(page, din, unitPath) {
  await goto(page, unitPath);
  if (!(await page.locator('#release-reasons').innerText().catch(() => '')).toLowerCase().includes('not determined')) {
    fail('before testing, the unit page does not say what stands in the way of release');
  }
  await goto(page, `/donations/${din}`);
  for (let i = 0; i < 40; i += 1) {
    const waiting = await page.locator('#f-test option').evaluateAll((os) => os.filter((o) => o.textContent.includes('waiting for the result')).map((o) => o.value));
    if (waiting.length === 0) break;
    const code = waiting[0];
    await page.selectOption('#f-test', code);
    await page.selectOption('#f-phase', 'initial');
    await page.fill('#f-value', code === 'ABO_RH' ? 'A+' : 'non-reactive');
    await navigating(page, () => page.click('form#result-form button[type=submit]'));
    const error = await page.locator('.form-error, .field-error').first().innerText().catch(() => '');
    if (error) fail(`the result for ${code} was refused: ${error}`);
  }
  if (!(await page.locator('#tests').innerText()).includes('Testing complete')) fail(`testing of ${din} is not complete after entering every result`);
  await goto(page, unitPath);
  const state = await page.locator('#release-state').innerText();
  if (!state.includes('Every release condition holds')) fail(`after testing the unit is not releasable: ${state} ${await page.locator('#release-reasons').innerText().catch(() => '')}`);
  const code = unitPath.split('/').pop();
  await page.fill('#f-scan', `=${din}00 =<${code} =%6200`);
  await page.fill('#f-password', 'lab-demo-pass');
  await navigating(page, () => page.click('form#release-form button[type=submit]'));
  const after = await page.locator('#release-state').innerText().catch(() => '');
  if (!after.includes('available stock')) fail(`the release was not done: ${after} ${await pageTextSnippet(page, 300)}`);
  if (process.env.E2E_GUIDE_SHOTS) {
    await page.screenshot({ path: path.join(process.env.E2E_GUIDE_SHOTS, 'lab-release-1280.png'), fullPage: true, timeout: TIMEOUT });
  }
  await checkPutAway(page, din, code);
}

// The released unit is put away by scanning: the plasma freezer refuses red cells, the
// blood refrigerator takes them; the stock page counts it.
async function checkPutAway(page, din, code) {
  const putAway = async (location) => {
    await clickNav(page, 'put_away');
    await page.fill('#f-location', location);
    await page.fill('#f-units', `=${din}00 =<${code}`);
    await navigating(page, () => page.click('form#move-form button[type=submit]'));
    return page.locator('#move-results').innerText().catch(() => '');
  };
  const refused = await putAway('FZ-01');
  if (!refused.includes('0 of 1 put away') || !refused.includes('wrong storage')) fail(`red cells were not refused by the freezer: ${refused}`);
  const done = await putAway('FR-01');
  if (!done.includes('1 of 1 put away')) fail(`the unit was not put away in the refrigerator: ${done}`);
  await clickNav(page, 'stock');
  const stock = await page.locator('#stock-table').innerText().catch(() => '');
  if (!stock.includes('Red cells')) fail(`the stock page lists no red cells: ${stock.slice(0, 300)}`);
  if (process.env.E2E_GUIDE_SHOTS) {
    await page.screenshot({ path: path.join(process.env.E2E_GUIDE_SHOTS, 'lab-stock-1280.png'), fullPage: true, timeout: TIMEOUT });
  }
}

// Distribution fills the hospital's STAT order of the demo: a unit not reserved for it is
// refused beside the scan field, the reserved units are scanned into their box, and the
// shipment leaves with its courier. Returns the order number.
// What distribution shipped in this run (the demo's STAT order, to the hospital user's
// hospital): sales invoices it, quality withdraws its unit, the hospital answers.
let shippedToday = null;

const squash = (t) => t.replace(/\s+/g, '');

// Sales invoices the shipment distribution just sent (an unknown number is refused
// beside its field), opens the invoice with the unit on it and its PDF, and finds the
// revenue on the sales and supply page.
async function checkInvoicing(page) {
  if (!shippedToday) return 'no shipment of this run to invoice (distribution did not run)';
  await clickNav(page, 'invoices');
  await page.fill('#f-shipment', 'SH-1999-999999');
  await navigating(page, () => page.click('#invoice-shipment button[type=submit]'));
  await visible(page.locator('#shipment-error'), 'the refusal of an unknown shipment beside its field');
  await page.fill('#f-shipment', shippedToday.shipment);
  await navigating(page, () => page.click('#invoice-shipment button[type=submit]'));
  const title = await page.locator('h1').innerText();
  if (!/Invoice INV-\d{4}-\d{6}/.test(title)) fail(`invoicing ${shippedToday.shipment} did not open an invoice: ${title}`);
  const lines = await page.locator('table#lines').innerText();
  const din = shippedToday.unit.split(/\s+/).slice(0, -1).join('');
  if (!squash(lines).includes(din)) fail(`the invoice does not name the unit shipped (${shippedToday.unit}): ${lines.slice(0, 300)}`);
  const pdf = await page.request.get(url(await page.locator('#pdf-link').getAttribute('href')));
  if (pdf.status() !== 200 || !(pdf.headers()['content-type'] || '').includes('application/pdf')) fail(`the invoice PDF answered ${pdf.status()}`);
  const number = title.match(/INV-\d{4}-\d{6}/)[0];
  shippedToday.invoice = number;
  await clickNav(page, 'supply');
  await visible(page.locator('section.revenue'), 'the revenue section on the sales and supply page');
  return number;
}

// Quality withdraws the unit shipped in this run (no unit named: refused beside the
// field), and sends the notice to the hospital that received it.
async function checkWithdrawal(page) {
  if (!shippedToday) return 'no shipped unit of this run to withdraw (distribution did not run)';
  await clickNav(page, 'recalls');
  await page.selectOption('#f-kind', 'withdrawal');
  await page.fill('#f-reason', 'Browser test: bag set lot E2E-1 withdrawn by its manufacturer');
  await navigating(page, () => page.click('form#recall-form button[type=submit]'));
  const unitsError = await page.locator('#f-units ~ .field-error').innerText().catch(() => '');
  if (!unitsError) fail('no refusal beside the units field when no unit is named');
  await page.fill('#f-units', shippedToday.unit);
  await navigating(page, () => page.click('form#recall-form button[type=submit]'));
  const consignee = page.locator('#consignees .consignee').filter({ hasText: HOSPITAL_USER_HOSPITAL });
  await visible(consignee, `the hospital that received ${shippedToday.unit} among the consignees`);
  await navigating(page, () => consignee.locator('button[type=submit]').click());
  const status = await page.locator('#consignees .consignee').filter({ hasText: HOSPITAL_USER_HOSPITAL }).innerText();
  if (!/Notice: sent/i.test(status)) fail(`the notice does not show as sent: ${status.slice(0, 300)}`);
  shippedToday.recall = await page.locator('h1').innerText();
  return shippedToday.recall;
}

// The hospital user answers the withdrawal notice for the unit received in this run
// (an answer without a unit's action is refused beside the units), and sees this
// run's invoice among its own.
async function checkNoticeAnswer(page) {
  if (!shippedToday || !shippedToday.recall) return 'no notice of this run to answer (quality did not run)';
  await clickNav(page, 'notices');
  const din = shippedToday.unit.split(/\s+/).slice(0, -1).join('');
  let card = null;
  for (const c of await page.locator('section.notice-card').all()) {
    if ((await c.locator('form').count()) && squash(await c.innerText()).includes(din)) card = c;
  }
  if (!card) fail(`no open notice names the unit ${shippedToday.unit}`);
  const id = await card.getAttribute('id');
  await navigating(page, () => card.locator('button[type=submit]').click());
  await visible(page.locator(`#${id} .field-error`), 'the refusal of an answer without what was done');
  for (const select of await page.locator(`#${id} select`).all()) await select.selectOption('quarantined');
  await page.fill(`#${id} input[name=note]`, 'set aside in the blood bank refrigerator');
  await navigating(page, () => page.locator(`#${id} button[type=submit]`).click());
  const after = await page.locator(`#${id}`).innerText();
  if (!after.includes('Acknowledged')) fail(`the notice is not acknowledged: ${after.slice(0, 300)}`);
  if (shippedToday.invoice) {
    await clickNav(page, 'invoices');
    await visible(page.locator('a', { hasText: shippedToday.invoice }).first(), `this run's invoice ${shippedToday.invoice} in the hospital's list`);
  }
  return id;
}

// The apheresis request of this run: the hospital user sends it, the coordinator books
// it, the nurse finds it in their calendar.
let aphRequest = null;

// The coordinator's own pages over the demo: requests waiting, the week's bookings, the
// overdue device marked; a travel time to the same place is refused beside its field.
async function checkApheresisCoordinator(page) {
  await clickNav(page, 'apheresis');
  const waiting = await rowCount(page, 'table#requests-open tbody tr', 'table#requests-open');
  if (!waiting) fail('no demo request waits for a step');
  await clickNav(page, 'apheresis_calendar');
  await visible(page.locator('#calendar .calendar-entries li').first(), 'a treatment booked in the coming week');
  await clickNav(page, 'apheresis_resources');
  await visible(page.locator('#devices .tag', { hasText: 'overdue' }), 'the device past its maintenance date marked overdue');
  await page.fill('#f-travel-from', 'MAIN');
  await page.fill('#f-travel-to', 'MAIN');
  await page.fill('#f-travel-minutes', '10');
  await navigating(page, () => page.click('form#travel-form button[type=submit]'));
  await visible(page.locator('#e-travel-to'), 'the refusal beside the second place of a travel time');
  return waiting;
}

// The hospital user requests apheresis from the portal: a hematocrit typed as a
// percentage is refused beside its field, then the request is sent.
async function checkApheresisRequest(page) {
  await clickNav(page, 'apheresis_new');
  const fields = {
    mrn: 'SM-E2E-1', patient_name: 'Browser Test Patient', height_cm: '176', weight_kg: '82', hematocrit: '38',
    ordering_physician: 'Dr. E. Twoe', indication: 'Hyperleukocytosis in acute myeloid leukaemia', treatments: '1', every_days: '1',
    location: 'Haematology ward, room 12', vascular_access: 'Dialysis catheter',
  };
  for (const [k, v] of Object.entries(fields)) await page.fill(`#f-${k}`, v);
  await page.fill('#f-birth_date', '1961-05-04');
  await page.selectOption('#f-sex', 'M');
  await page.selectOption('#f-asfa_category', 'III');
  await page.selectOption('#f-asfa_grade', '2B');
  await page.selectOption('#f-procedure', 'leukocytapheresis');
  await page.selectOption('#f-urgency', 'scheduled');
  await navigating(page, () => submitOf(page, '#f-mrn').click());
  const hctError = await page.locator('#e-hematocrit').innerText().catch(() => '');
  if (!hctError.includes('0.38')) fail(`no refusal beside the hematocrit typed as 38: "${hctError}"`);
  await page.fill('#f-hematocrit', '0.38');
  await navigating(page, () => submitOf(page, '#f-mrn').click());
  const state = await page.locator('#request-state').innerText().catch(() => '');
  if (!state.includes('Submitted')) fail(`the request does not show as submitted: ${state}`);
  aphRequest = pathOf(page).split('/').pop();
  return aphRequest;
}

// The coordinator accepts the hospital's request (a rejection without its reason is
// refused beside the note) and books it; returns the first treatment's local day.
async function coordinatorBooks(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await goto(page, '/');
    await login(page, 'apheresis', 'apheresis-demo-pass');
    await goto(page, `/apheresis/${aphRequest}`);
    await page.check('#decide input[value=reject]');
    await navigating(page, () => page.click('#decide button[type=submit]'));
    await visible(page.locator('#decision-error'), 'the refusal of a rejection without its reason');
    await page.check('#decide input[value=accept]');
    await page.fill('#f-decision-note', '');
    await navigating(page, () => page.click('#decide button[type=submit]'));
    await visible(page.locator('#schedule button[type=submit]'), 'the booking form of the accepted request');
    await navigating(page, () => page.click('#schedule button[type=submit]'));
    const state = await page.locator('#request-state').innerText();
    if (!state.includes('Scheduled')) fail(`the coordinator could not book ${aphRequest}: ${state} ${await pageTextSnippet(page, 400)}`);
    const when = (await page.locator('#treatment-table tbody tr').first().locator('td').nth(1).innerText()).trim();
    return when.slice(0, 10);
  } finally {
    await context.close().catch(() => {});
  }
}

// Sales invoices the hospital's month: the procedure the nurse just signed is charged on
// it under the hospital's contract, beside the products. Returns the invoice number.
async function salesInvoicesTheProcedure(browser, month) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await goto(page, '/');
    await login(page, 'sales', 'sales-demo-pass');
    await clickNav(page, 'invoices');
    const option = page.locator('#f-month-hospital option', { hasText: HOSPITAL_USER_HOSPITAL }).first();
    await page.selectOption('#f-month-hospital', await option.getAttribute('value'));
    await page.fill('#f-month', month);
    await navigating(page, () => page.click('#invoice-month button[type=submit]'));
    const title = await page.locator('h1').innerText();
    if (!/Invoice INV-\d{4}-\d{6}/.test(title)) fail(`invoicing ${month} did not open an invoice: ${title} ${await pageTextSnippet(page, 400)}`);
    const charged = page.locator('table#lines tbody tr', { hasText: `${aphRequest} treatment 1 of 1` });
    if (!(await charged.count())) fail(`the invoice of ${month} does not charge ${aphRequest}: ${(await page.locator('table#lines').innerText()).slice(0, 400)}`);
    const text = await charged.first().innerText();
    if (!/Leukocytapheresis/i.test(text)) fail(`the charge does not name the procedure: ${text}`);
    return title.match(/INV-\d{4}-\d{6}/)[0];
  } finally {
    await context.close().catch(() => {});
  }
}

// The nurse (leukocytapheresis is Alex Reed's alone in the demo) finds the booked
// treatment in their calendar on its day and opens the request with its patient.
async function checkNurse(page, browser) {
  if (!aphRequest) return 'no request of this run to find (the hospital user did not run)';
  const day = await coordinatorBooks(browser);
  await clickNav(page, 'apheresis_calendar');
  await goto(page, `/apheresis/calendar?span=day&date=${day}`);
  const entry = page.locator('#calendar .calendar-entries li', { has: page.locator(`a[href="/apheresis/${aphRequest}"]`) });
  await visible(entry, `the treatment of ${aphRequest} in the nurse's calendar on ${day}`);
  await navigating(page, () => entry.locator('a').first().click());
  const text = await page.locator('main').innerText();
  if (!text.includes('Browser Test Patient') || !text.includes('Leukocytapheresis')) fail(`the nurse's request page lacks the patient or the procedure: ${text.slice(0, 300)}`);
  // At the bedside, on a tablet: the record (vitals missing: refused beside the field),
  // then signed with the password.
  await page.setViewportSize({ width: 820, height: 1180 });
  await navigating(page, () => page.locator('#treatment-table a[href^="/apheresis/treatments/"]').first().click());
  // The times it really ran (the booking is ahead): the demo facility's clock.
  const local = (hoursAgo) => new Date(Date.now() - hoursAgo * 3600e3).toLocaleString('sv-SE', { timeZone: 'America/Chicago' }).replace(' ', 'T').slice(0, 16);
  await page.fill('#f-started_at', local(3));
  await page.fill('#f-ended_at', local(1));
  await page.fill('#f-processed_ml', '9000');
  await page.fill('#f-removed_ml', '350');
  await page.fill('#f-vitals_before', '');
  await page.fill('#f-vitals_after', 'BP 130/82, pulse 88');
  await navigating(page, () => page.click('#record-form button[type=submit]'));
  await visible(page.locator('#e-vitals_before'), 'the refusal beside the missing vitals');
  await page.fill('#f-vitals_before', 'BP 128/80, pulse 92, SpO2 97 %');
  await navigating(page, () => page.click('#record-form button[type=submit]'));
  await visible(page.locator('#sign-form'), 'the signature form of the saved record');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) fail(`at 820 px wide, the procedure record scrolls sideways by ${overflow} px`);
  await page.fill('#f-sign-password', 'apheresis_nurse-demo-pass');
  await navigating(page, () => page.click('#sign-form button[type=submit]'));
  const state = await page.locator('#procedure-state').innerText();
  if (!state.includes('Signed')) fail(`the record is not signed: ${state}`);
  if (process.env.E2E_GUIDE_SHOTS) {
    await page.screenshot({ path: path.join(process.env.E2E_GUIDE_SHOTS, 'apheresis_nurse-procedure-820.png'), fullPage: true, timeout: TIMEOUT });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  const invoice = await salesInvoicesTheProcedure(browser, local(3).slice(0, 7));
  return `${aphRequest} on ${day}, recorded and signed at the bedside, charged on ${invoice}`;
}

async function checkDistribution(page) {
  await clickNav(page, 'orders');
  const stat = page.locator('table#orders tbody tr', { hasText: 'STAT' }).first();
  await visible(stat, 'the STAT order in the order list');
  const number = (await stat.getAttribute('data-number')) || '';
  await navigating(page, () => stat.locator('a').first().click());
  const reserved = page.locator('table#order-units tbody tr');
  await visible(reserved.first(), 'the units reserved for the STAT order');
  await page.fill('#f-pack-scan', 'W0000 26 000000 E0000V00');
  await navigating(page, () => page.click('form#pack-form button[type=submit]'));
  await visible(page.locator('#e-pack'), 'the refusal next to the scan field');
  const units = await reserved.count();
  for (let i = 0; i < units; i += 1) {
    const cell = (await page.locator('table#order-units tbody tr').nth(i).locator('td').nth(1).innerText()).trim();
    if (!page.url().includes(number)) await goto(page, `/orders/${number}`);
    await page.fill('#f-pack-scan', cell);
    await navigating(page, () => page.click('form#pack-form button[type=submit]'));
    if (await page.locator('#e-pack').count()) fail(`packing ${cell} was refused: ${await page.locator('#e-pack').innerText()}`);
  }
  const ship = page.locator('form.ship-form').first();
  await visible(ship, 'the ship form of the packed shipment');
  await ship.locator('input[name=courier]').fill('Riverside van 2');
  await navigating(page, () => ship.locator('button[type=submit]').click());
  const text = await page.locator('section.shipment').first().innerText();
  if (!text.includes('on its way')) fail(`the shipment did not leave: ${text.slice(0, 300)}`);
  const shipment = (text.match(/SH-\d{4}-\d{6}/) || [''])[0];
  if (!shipment) fail(`no shipment number on the shipped shipment: ${text.slice(0, 300)}`);
  const unit = (await page.locator('table.shipment-units tbody tr').first().locator('td').nth(1).innerText()).trim();
  shippedToday = { shipment, unit };
  if (process.env.E2E_GUIDE_SHOTS) {
    // From the top: a full-page picture of a page scrolled to an anchor repeats the sticky bar.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(process.env.E2E_GUIDE_SHOTS, 'distribution-order-1280.png'), fullPage: true, timeout: TIMEOUT });
  }
  return number;
}

// The hospital user orders from the portal (a missing group is refused beside its field,
// in its line), then confirms receipt of the STAT shipment distribution sent.
async function checkHospitalOrders(page) {
  await clickNav(page, 'new_order');
  await page.selectOption('#f-priority', 'asap');
  await page.selectOption('#f-product_1', 'red_cells');
  await page.fill('#f-quantity_1', '2');
  await navigating(page, () => page.click('form#order-form button[type=submit]'));
  const lineError = await page.locator('#line-1 .field-error').innerText().catch(() => '');
  if (!lineError.includes('ABO/RhD')) fail(`no error next to the group of line 1: ${lineError}`);
  await page.selectOption('#f-group_1', 'A+');
  await page.check('#f-substitution_1');
  await navigating(page, () => page.click('form#order-form button[type=submit]'));
  const state = await page.locator('#order-state').innerText().catch(() => '');
  if (!state.includes('Received')) fail(`the new order does not show as received: ${state}`);
  const placed = pathOf(page).split('/').pop();
  if (process.env.E2E_GUIDE_SHOTS) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(process.env.E2E_GUIDE_SHOTS, 'hospital-order-1280.png'), fullPage: true, timeout: TIMEOUT });
  }
  await clickNav(page, 'orders');
  const stat = page.locator('table#orders tbody tr', { hasText: 'STAT' }).first();
  await navigating(page, () => stat.locator('a').first().click());
  const receive = page.locator('form.receive-form').first();
  await visible(receive, 'the receipt form of the shipment on its way');
  await navigating(page, () => receive.locator('button[type=submit]').click());
  const after = await page.locator('#order-state').innerText();
  if (!after.includes('Delivered')) fail(`the STAT order is not delivered after the receipt: ${after}`);
  return placed;
}

// The lab previews a unit label from a recent donation: "Fill in" copies the record's
// DIN, group and collection day; the server checks them and draws the label as SVG.
async function checkLabelPreview(page) {
  await clickNav(page, 'labels');
  const fill = page.locator('#label-candidates a.fill-label').first();
  await visible(fill, 'a recent donation to label (#label-candidates a.fill-label)');
  await navigating(page, () => fill.click());
  const din = await page.locator('input[name=din]').inputValue();
  if (!/^[A-Z][0-9A-Z]{4}[0-9]{8}$/.test(din)) throw new Error(`"Fill in" left the DIN field as ${JSON.stringify(din)}`);
  await page.fill('input[name=product_code]', 'E0398V00');
  // Tomorrow 23:59: after the collection and within the 28 days of irradiated red cells.
  const t = new Date(Date.now() + 24 * 3600 * 1000);
  const day = `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, '0')}-${String(t.getDate()).padStart(2, '0')}`;
  await page.fill('input[name=expires_at]', `${day}T23:59`);
  await navigating(page, () => page.click('#label-form button[value=preview]'));
  await visible(page.locator('#label-preview svg'), `the label preview (the page says: ${await pageTextSnippet(page, 400)})`);
  const text = await page.locator('#label-preview').innerText();
  const eye = `${din.slice(0, 5)} ${din.slice(5, 7)} ${din.slice(7)}`;
  if (!text.includes(eye)) throw new Error(`the label preview lacks the DIN text ${eye}: ${text.slice(0, 200)}`);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${label}-lab-label.png`), fullPage: true, timeout: TIMEOUT });
}

async function checkHospitalsCount(page, expected, mustContain) {
  await clickNav(page, 'hospitals');
  const rows = await rowCount(page, 'table#hospitals-table tbody tr', 'table#hospitals-table');
  if (rows !== expected) fail(`expected ${expected} rows in table#hospitals-table, got ${rows}`);
  if (mustContain) {
    const text = await page.locator('table#hospitals-table tbody').innerText();
    if (!text.includes(mustContain)) fail(`table#hospitals-table does not contain ${JSON.stringify(mustContain)}: ${JSON.stringify(text.slice(0, 300))}`);
  }
}

// Collection staff register a new donor, screen them (questions + measurements),
// get an eligible decision and collect (a DIN is assigned); screened again the same
// day with a low hemoglobin, the decision is "not eligible" with its reasons.
async function screenDonor(page, hemoglobin) {
  await navigating(page, () => page.click('#start-screening'));
  await visible(page.locator('form#screening-form'), 'the screening form');
  const vitals = { weight_kg: '82', hemoglobin_g_dl: hemoglobin, pulse_bpm: '68', bp_systolic: '122', bp_diastolic: '78', temperature_c: '36.7' };
  for (const [name, value] of Object.entries(vitals)) await page.fill(`#f-${name}`, value);
  // "No" to every question, except "yes, I feel healthy and well today".
  for (const radio of await page.locator('#questions input[type=radio][value=no]').all()) await radio.check();
  await page.check('input[name=q_feeling_well][value=yes]');
  await navigating(page, () => submitOf(page, '#f-weight_kg').click());
  await visible(page.locator('#verdict'), 'the eligibility decision');
  return (await page.locator('#verdict').innerText()).trim();
}

// After the collection: the collection record (an expired bag set lot is refused next
// to its field, then the record is saved) on the donation's page.
async function checkCollectionRecord(page, din) {
  await navigating(page, () => page.click('#record-collection'));
  await visible(page.locator('form#collection-form'), 'the collection record form');
  const needleIn = await page.locator('#f-started_at').inputValue();
  await page.fill('#f-ended_at', needleIn);
  await page.fill('#f-volume_ml', '478');
  await page.fill('#f-bag_set_lot', 'BS2611-07');
  await page.fill('#f-bag_set_expires_on', '2020-01-31');
  await page.fill('#f-anticoagulant_lot', 'AC2610-11');
  await page.fill('#f-anticoagulant_expires_on', '2030-03-31');
  await page.selectOption('#f-additive_solution', 'AS-1');
  await navigating(page, () => page.click('form#collection-form button[type=submit]'));
  await visible(page.locator('#e-bag_set_expires_on'), 'the expired bag set lot, named next to its field');
  await page.fill('#f-bag_set_expires_on', '2030-06-30');
  await navigating(page, () => page.click('form#collection-form button[type=submit]'));
  const outcome = (await page.locator('#outcome').innerText().catch(() => '')).trim();
  if (outcome !== 'Complete') fail(`the collection record of ${din} does not show as complete: ${JSON.stringify(outcome)}`);
  if (process.env.E2E_GUIDE_SHOTS) {
    await page.screenshot({ path: path.join(process.env.E2E_GUIDE_SHOTS, 'collector-collection-1280.png'), fullPage: true, timeout: TIMEOUT });
  }
}

async function checkScreening(page) {
  await goto(page, '/donors/new');
  const stamp = Date.now().toString(36);
  await page.fill('#f-first_name', 'Eli');
  await page.fill('#f-last_name', `Screen${stamp}`);
  await page.fill('#f-birth_date', '1985-06-15');
  await page.selectOption('#f-sex', 'M');
  await navigating(page, () => submitOf(page, '#f-first_name').click());
  expectPath(page, (p) => /^\/donors\/D\d+$/.test(p), 'the new donor page');
  const donorPath = pathOf(page);

  const first = await screenDonor(page, '14.1');
  if (!first.startsWith('Eligible')) fail(`expected an eligible decision, got ${JSON.stringify(first)}`);
  await navigating(page, () => page.click('#collect-form button[type=submit]'));
  await visible(page.locator('#din'), 'the DIN of the collected donation');
  const din = (await page.locator('#din').innerText()).trim();
  if (!din.startsWith('A9998')) fail(`the DIN ${din} is not one of the demo FIN A9998`);
  await checkCollectionRecord(page, din);

  await goto(page, donorPath);
  const second = await screenDonor(page, '11.9');
  if (!second.startsWith('Not eligible')) fail(`expected "Not eligible" after a low hemoglobin, got ${JSON.stringify(second)}`);
  // The reasons are in words; each row names its rule only in a data attribute.
  const reasons = await page.locator('#reasons').innerText();
  const rules = await page.locator('#reasons tr[data-rule]').evaluateAll((rows) => rows.map((r) => r.dataset.rule));
  for (const code of ['HB_MALE', 'INTERVAL_RBC_AFTER_WB']) {
    if (!rules.includes(code)) fail(`the reasons lack the rule ${code}: ${rules.join(', ')}`);
    if (reasons.includes(code)) fail(`the reasons show the internal code ${code}`);
  }
  if (!/hemoglobin/i.test(reasons)) fail(`the reasons do not say "hemoglobin": ${reasons.slice(0, 300)}`);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${label}-collector-screening.png`), fullPage: true, timeout: TIMEOUT });
  return din;
}

// At tablet width (iPad portrait) the page must not scroll sideways and the
// navigation must stay visible.
async function checkTablet(page, role) {
  await page.setViewportSize({ width: 820, height: 1180 });
  for (const p of ['/', '/hospitals']) {
    await goto(page, p);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) throw new Error(`at 820 px wide, ${p} scrolls sideways by ${overflow} px`);
    await visible(page.locator('nav#main-nav'), 'the navigation at tablet width');
    await attached(page.locator('nav#main-nav a[data-nav="hospitals"]'), 'the hospitals link in the navigation at tablet width');
  }
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${label}-${role}-tablet.png`), fullPage: true, timeout: TIMEOUT });
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function logout(page) {
  const button = page.locator('button#logout');
  await visible(button, 'button#logout');
  await navigating(page, () => button.first().click());
  expectPath(page, isLogin, 'to be on /login after logging out');
  await goto(page, '/');
  expectPath(page, isLogin, 'GET / after logging out to redirect to /login');
}

async function runRole(browser, role) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  context.setDefaultNavigationTimeout(TIMEOUT);
  const page = await context.newPage();
  const serverErrors = [];
  const pageErrors = [];
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const notes = [];
  try {
    await goto(page, '/');
    expectPath(page, isLogin, 'GET / without a session to redirect to /login');

    if (role === 'lab') {
      await checkWrongPassword(page);
      notes.push('wrong password rejected');
    }

    await login(page, role, `${role}-demo-pass`);
    expectPath(page, isRoot, `to land on the dashboard (/) after logging in as ${role}`);
    await visible(page.locator('h1'), 'the dashboard h1');

    await checkNav(page, role);
    notes.push(`dashboard ${await checkDashboard(page, role)}`);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${label}-${role}.png`), fullPage: true, timeout: TIMEOUT });

    switch (role) {
      case 'admin':
        await checkAdminUsers(page);
        notes.push('users page');
        await checkBadSiteInput(page);
        notes.push('bad site input rejected');
        break;
      case 'lab':
        await checkLabelPreview(page);
        notes.push('label preview');
        notes.push(`separated, irradiated, labelled, tested and released ${await checkManufacture(page)}`);
        break;
      case 'collector':
        notes.push(`screening → decision → collection (DIN ${await checkScreening(page)})`);
        break;
      case 'quality':
        await checkQualityAudit(page);
        notes.push('audit filter');
        await checkRuleChange(page);
        notes.push('rule change checked');
        notes.push(`overdue deviation ${await checkDeviations(page)}`);
        notes.push(`withdrawal sent to the consignee: ${await checkWithdrawal(page)}`);
        break;
      case 'recruiter':
        notes.push(`email campaign captured in the Outbox (${await checkCampaignOutbox(page)} shown)`);
        break;
      case 'hospital':
        await checkHospitalsCount(page, 1, HOSPITAL_USER_HOSPITAL);
        notes.push('own hospital only');
        notes.push(`ordered ${await checkHospitalOrders(page)} from the portal, confirmed the STAT shipment`);
        notes.push(`answered the withdrawal notice ${await checkNoticeAnswer(page)}`);
        notes.push(`requested apheresis ${await checkApheresisRequest(page)}`);
        break;
      case 'apheresis':
        notes.push(`${await checkApheresisCoordinator(page)} requests waiting, calendar, overdue device, bad travel time refused`);
        break;
      case 'apheresis_nurse':
        notes.push(`booked by the coordinator, found in the nurse's calendar, recorded, signed and invoiced: ${await checkNurse(page, browser)}`);
        break;
      case 'distribution':
        notes.push(`packed and shipped ${await checkDistribution(page)}`);
        break;
      case 'sales':
        await checkHospitalsCount(page, DEMO_HOSPITAL_COUNT);
        notes.push(`${DEMO_HOSPITAL_COUNT} hospitals`);
        notes.push(`invoiced the STAT shipment: ${await checkInvoicing(page)}`);
        await checkTablet(page, role);
        notes.push('tablet layout');
        break;
      default:
        break;
    }

    await logout(page);
    if (serverErrors.length) fail(`the server answered with 5xx:\n    ${serverErrors.join('\n    ')}`);
    console.log(`PASS ${label} ${role}${notes.length ? ` (${notes.join(', ')})` : ''}`);
    return true;
  } catch (e) {
    console.log(`FAIL ${label} ${role}: ${e instanceof CheckError ? e.message : e.stack || e}`);
    console.log(`  page url: ${page.url()}`);
    if (serverErrors.length) console.log(`  5xx responses:\n    ${serverErrors.join('\n    ')}`);
    if (pageErrors.length) console.log(`  page script errors:\n    ${pageErrors.join('\n    ')}`);
    console.log(`  page text:\n${(await pageTextSnippet(page)).replace(/^/gm, '    | ')}`);
    try {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const shot = path.join(SCREENSHOT_DIR, `${label}-${role}-failure.png`);
      await page.screenshot({ path: shot, fullPage: true, timeout: TIMEOUT });
      console.log(`  screenshot: ${path.relative(process.cwd(), shot)}`);
    } catch {
      // the page may be gone; the message above is what matters
    }
    return false;
  } finally {
    await context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------- main

let browser;
let passed = 0;
let failed = 0;
try {
  browser = await chromium.launch({
    executablePath: EXECUTABLE,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  console.log(`e2e ${label}: ${BASE} with Chromium ${browser.version()}, roles: ${roles.join(', ')}`);
  for (const role of roles) {
    if (await runRole(browser, role)) passed += 1;
    else failed += 1;
  }
} catch (e) {
  console.log(`FAIL ${label}: could not run the browser test: ${e.stack || e}`);
  failed += 1;
} finally {
  if (browser) await browser.close().catch(() => {});
}
console.log(`${label}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
