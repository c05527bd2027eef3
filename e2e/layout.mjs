// Browser test: every page of every demo role fits the screen, on a desktop (1280 × 800)
// and on a tablet held upright at a mobile drive (820 × 1180): no sideways scrolling, and
// the navigation on one row.
//
// Usage: node e2e/layout.mjs BASE_URL LABEL
//   BASE_URL  a server started with `hemaflow serve --demo`
//   LABEL     sqlite or postgres; used in screenshot names (target/screenshots/)
//
// Pages: each role's navigation, then one page a click away from each list (the first
// link into a record: a donor, a site, a hospital, a campaign, a segment, a user…), and
// for screening staff the screening form of that donor.
//
// Environment: E2E_ROLES=admin,lab (only these), E2E_TIMEOUT_MS, CHROMIUM.
//   E2E_GUIDE_SHOTS=DIR also saves the screenshots the role guides show (docs/guide/):
//   `scripts/guide-screenshots` runs it with DIR=docs/screenshots.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const [rawBase, label] = process.argv.slice(2);
if (!rawBase || !label || !/^[A-Za-z0-9_.-]+$/.test(label)) {
  console.error('usage: node e2e/layout.mjs BASE_URL LABEL');
  process.exit(2);
}
const BASE = rawBase.replace(/\/+$/, '');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 15_000);
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT_DIR = path.join(process.cwd(), 'target', 'screenshots');
const ROLES = ['admin', 'recruiter', 'collector', 'lab', 'distribution', 'apheresis', 'apheresis_nurse', 'sales', 'quality', 'physician', 'hospital'];
const roles = process.env.E2E_ROLES ? ROLES.filter((r) => process.env.E2E_ROLES.split(',').includes(r)) : ROLES;
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'tablet', width: 820, height: 1180 },
];
// The pages each role guide shows, by the name of the picture (ROLE-NAME-WIDTH.png).
const GUIDE = {
  admin: [['dashboard', /^\/$/], ['users', /^\/admin\/users$/], ['audit', /^\/quality\/audit$/]],
  recruiter: [['dashboard', /^\/$/], ['recruitment', /^\/recruitment$/], ['outbox', /^\/outbox$/]],
  collector: [['dashboard', /^\/$/], ['appointments', /^\/appointments$/], ['screening', /^\/donors\/[A-Z]+\d+\/screening$/], ['donation', /^\/donations\/[A-Z0-9]+$/]],
  lab: [['dashboard', /^\/$/], ['dins', /^\/lab\/dins$/], ['labels', /^\/lab\/labels$/], ['donation', /^\/donations\/[A-Z0-9]+$/]],
  quality: [['dashboard', /^\/$/], ['rules', /^\/quality\/rules$/], ['rule', /^\/quality\/rules\/EVENT_TATTOO$/], ['donor', /^\/donors\/[A-Z]+\d+$/]],
  physician: [['dashboard', /^\/$/]],
  distribution: [['dashboard', /^\/$/], ['returns', /^\/returns$/]],
  apheresis: [['dashboard', /^\/$/], ['requests', /^\/apheresis$/], ['request', /^\/apheresis\/APH-\d{4}-\d+$/], ['calendar', /^\/apheresis\/calendar$/], ['reports', /^\/apheresis\/reports$/]],
  apheresis_nurse: [['dashboard', /^\/$/]],
  sales: [['dashboard', /^\/$/], ['hospitals', /^\/hospitals$/], ['supply', /^\/sales\/supply$/]],
  hospital: [['dashboard', /^\/$/], ['hospital', /^\/hospitals$/]],
};
const GUIDE_DIR = process.env.E2E_GUIDE_SHOTS;
// One row of navigation: taller than this means it wrapped.
const NAV_MAX_HEIGHT = 64;
// Paths never visited: they act (log out) or download files.
const SKIP = [/^\/logout/, /\.(csv|pdf|svg|zpl)$/, /\/export/, /\/call-list/];

async function login(page, role) {
  await page.goto(`${BASE}/login`, { waitUntil: 'load', timeout: TIMEOUT });
  await page.fill('input[name=username]', role);
  await page.fill('input[name=password]', `${role}-demo-pass`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: TIMEOUT }),
    page.locator('form', { has: page.locator('input[name=username]') }).locator('button[type=submit]').first().click(),
  ]);
  if (new URL(page.url()).pathname.startsWith('/login')) throw new Error(`login as ${role} failed`);
}

// Same-origin paths of links in `scope` (a CSS selector), in document order.
async function linksIn(page, scope) {
  return page.locator(`${scope} a[href^="/"]`).evaluateAll((as) => as.map((a) => a.getAttribute('href')));
}

// Overflow of the current page: how wide it is against the viewport, the widest element
// sticking out, and the navigation's height.
async function measure(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const limit = doc.clientWidth;
    let worst = null;
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= limit + 1) continue;
      // An element inside a container that scrolls on its own does not move the page.
      let p = el.parentElement;
      let contained = false;
      while (p && p !== document.body) {
        const s = getComputedStyle(p);
        if (/(auto|scroll|hidden)/.test(s.overflowX) && p.getBoundingClientRect().right <= limit + 1) {
          contained = true;
          break;
        }
        p = p.parentElement;
      }
      if (contained) continue;
      if (!worst || r.right > worst.right) {
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        worst = { right: Math.round(r.right), what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls}` };
      }
    }
    // Controls staff must reach (answer buttons, fields) lie on the screen, not in a
    // box that has to be scrolled sideways.
    const offscreen = [...document.querySelectorAll('main input:not([type=hidden]), main button, main select, main textarea')]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.right > limit + 1;
      })
      .map((el) => `${el.tagName.toLowerCase()}[name=${el.getAttribute('name') || ''}]`);
    // Chart labels as the browser draws them end before their bars.
    const chartClashes = [];
    for (const row of document.querySelectorAll('svg.chart g.row')) {
      const label = row.querySelector('text.label');
      const bar = row.querySelector('rect.bar');
      if (!label || !bar) continue;
      const l = label.getBoundingClientRect();
      const b = bar.getBoundingClientRect();
      if (l.width > 0 && l.right > b.left + 1) chartClashes.push(label.textContent.slice(0, 40));
    }
    const nav = document.querySelector('nav#main-nav');
    return {
      chartClashes,
      scrollWidth: doc.scrollWidth,
      width: limit,
      worst,
      offscreen,
      navHeight: nav ? Math.round(nav.getBoundingClientRect().height) : 0,
    };
  });
}

async function pagesOf(page, role) {
  const nav = (await linksIn(page, 'nav#main-nav')).filter((h) => !SKIP.some((x) => x.test(h)));
  const pages = [...new Set(nav)];
  const recordOf = (list, h) => {
    const rest = h.slice(list.length + 1).split(/[/?#]/);
    return rest.findIndex((seg) => /\d/.test(seg) && seg.length >= 4);
  };
  // Records a click away from each list page: one of each kind (a campaign and a
  // segment, a site, a user…), and the list's forms for new records.
  for (const list of [...pages]) {
    if (list === '/') continue;
    const from = list === '/donors' ? '/donors?q=D0000001' : list;
    await page.goto(`${BASE}${from}`, { waitUntil: 'load', timeout: TIMEOUT });
    const inMain = [...new Set((await linksIn(page, 'main')).filter((h) => !SKIP.some((x) => x.test(h))))];
    const kinds = new Set();
    for (const h of inMain) {
      if (!h.startsWith(`${list}/`) || pages.includes(h)) continue;
      const at = recordOf(list, h);
      if (/\/new$/.test(h)) pages.push(h);
      else if (at >= 0) {
        const kind = h.slice(list.length + 1).split('/').slice(0, at).join('/');
        if (!kinds.has(kind)) {
          kinds.add(kind);
          pages.push(h.split('#')[0]);
        }
      }
    }
  }
  // Screening staff: the screening form of a donor (the questionnaire is the widest form).
  const donor = pages.find((h) => /^\/donors\/[A-Z]+\d+$/.test(h));
  if (donor && role === 'collector') pages.push(`${donor}/screening`);
  // Today's donations (newest first on the Labels page): a donation with its
  // components, and a unit's page with its genealogy.
  if (pages.includes('/lab/labels')) {
    await page.goto(`${BASE}/lab/labels`, { waitUntil: 'load', timeout: TIMEOUT });
    const cell = page.locator('#label-candidates tbody tr td').first();
    const din = (await cell.count()) ? (await cell.innerText()).trim() : '';
    if (din) {
      pages.push(`/donations/${din}`);
      await page.goto(`${BASE}/donations/${din}`, { waitUntil: 'load', timeout: TIMEOUT });
      const unit = (await linksIn(page, '#components')).find((h) => h.startsWith('/components/'));
      if (unit) pages.push(unit);
    }
  }
  // A donation's page (collection record and reactions), from the donor's donations.
  if (donor) {
    await page.goto(`${BASE}${donor}`, { waitUntil: 'load', timeout: TIMEOUT });
    const donation = (await linksIn(page, 'main')).find((h) => /^\/donations\/[A-Z0-9]+$/.test(h));
    if (donation) pages.push(donation);
  }
  // Rule codes have no digits, so the walk above does not open a rule's form.
  if (pages.includes('/quality/rules')) pages.push('/quality/rules/EVENT_TATTOO', '/quality/rules/TEMPERATURE');
  return pages;
}

async function runRole(browser, role) {
  const problems = [];
  let checked = 0;
  const context = await browser.newContext({ viewport: VIEWPORTS[0] });
  const page = await context.newPage();
  try {
    await login(page, role);
    const pages = await pagesOf(page, role);
    if (process.env.E2E_VERBOSE) console.log(`  ${role}: ${pages.join(' ')}`);
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      for (const p of pages) {
        const response = await page.goto(`${BASE}${p}`, { waitUntil: 'load', timeout: TIMEOUT });
        if (!response || response.status() >= 400) {
          problems.push(`${vp.name} ${p}: HTTP ${response ? response.status() : 'no response'}`);
          continue;
        }
        const m = await measure(page);
        checked += 1;
        if (m.scrollWidth > m.width + 1) {
          problems.push(`${vp.name} ${p}: ${m.scrollWidth} px wide in ${m.width} px${m.worst ? `; widest: ${m.worst.what} to ${m.worst.right} px` : ''}`);
          mkdirSync(SCREENSHOT_DIR, { recursive: true });
          const name = `${label}-layout-${role}-${vp.name}-${p.replace(/[^A-Za-z0-9]+/g, '_')}.png`;
          await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true, timeout: TIMEOUT }).catch(() => {});
        }
        const shot = GUIDE_DIR && (GUIDE[role] || []).find(([, re]) => re.test(p));
        if (shot) {
          mkdirSync(GUIDE_DIR, { recursive: true });
          await page.screenshot({ path: path.join(GUIDE_DIR, `${role}-${shot[0]}-${vp.width}.png`), timeout: TIMEOUT });
        }
        if (m.offscreen.length) problems.push(`${vp.name} ${p}: ${m.offscreen.length} control(s) off-screen, e.g. ${m.offscreen.slice(0, 3).join(', ')}`);
        if (m.chartClashes.length) problems.push(`${vp.name} ${p}: chart label(s) run into their bars: ${m.chartClashes.join('; ')}`);
        if (m.navHeight > NAV_MAX_HEIGHT) problems.push(`${vp.name} ${p}: the navigation wraps (${m.navHeight} px high)`);
      }
    }
  } catch (e) {
    problems.push(`could not walk the pages: ${e.message || e}`);
  } finally {
    await context.close().catch(() => {});
  }
  if (problems.length) {
    console.log(`FAIL ${label} ${role}: ${problems.length} problem(s) in ${checked} page views`);
    for (const p of problems) console.log(`  ${p}`);
    return false;
  }
  console.log(`PASS ${label} ${role}: ${checked} page views fit at 1280 and 820 px`);
  return true;
}

let failed = 0;
let browser;
try {
  browser = await chromium.launch({
    executablePath: EXECUTABLE,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
  for (const role of roles) if (!(await runRole(browser, role))) failed += 1;
} catch (e) {
  console.log(`FAIL ${label}: could not run the layout test: ${e.stack || e}`);
  failed += 1;
} finally {
  if (browser) await browser.close().catch(() => {});
}
console.log(`layout ${label}: ${roles.length - failed} of ${roles.length} roles fit`);
process.exit(failed ? 1 : 0);
