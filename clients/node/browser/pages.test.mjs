// The release pages in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Run by tests/clients.rs with GITLAB_URL, GITLAB_ROOT_TOKEN and SCREENSHOT_DIR in the
// environment. It signs in, reads the pages, copies a permanent link, follows it to a file
// served here, signs out, and keeps screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const host = process.env.GITLAB_URL;
const rootToken = process.env.GITLAB_ROOT_TOKEN;
const shots = process.env.SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'relinks-shots-'));
mkdirSync(shots, { recursive: true });

let browser;
let target;
let targetUrl;

async function api(method, path, body) {
  const response = await fetch(`${host}/api/v4${path}`, {
    method,
    headers: { 'PRIVATE-TOKEN': rootToken, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

before(async () => {
  // The file a permanent link leads to, served locally (the machine has no internet).
  target = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(`the artifact at ${request.url}\n`);
  });
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${target.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // Playwright starts every browser with a fresh, empty profile of its own (--user-data-dir).
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-quic', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  target?.close();
});

test('a private project\'s releases: sign in, read, copy, follow a permanent link, sign out', async () => {
  const project = await api('POST', '/projects', { name: `pages-${Date.now()}`, visibility: 'private' });
  assert.equal(project.status, 201);
  const path = project.body.path_with_namespace;
  const encoded = encodeURIComponent(path);
  const release = await api('POST', `/projects/${encoded}/releases`, {
    tag_name: 'v1.2.0',
    name: 'Version 1.2',
    description: '## What changed\n\n* faster downloads\n* **safer** links\n\n<script>document.title="owned"</script>',
    assets: { links: [
      { name: 'app-linux.tar.gz', url: `${targetUrl}/files/app-linux.tar.gz`, link_type: 'package', direct_asset_path: '/bin/app-linux.tar.gz' },
      { name: 'Runbook', url: 'https://docs.example.com/runbook', link_type: 'runbook' },
    ] },
  });
  assert.equal(release.status, 201);
  const permanent = release.body.assets.links.find((l) => l.name === 'app-linux.tar.gz').direct_asset_url;

  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: host });
  const page = await context.newPage();
  const pages = `${host}/${path}/-/releases`;

  const hidden = await page.goto(pages);
  assert.equal(hidden.status(), 404, 'a private project is not found before signing in');
  await page.screenshot({ path: join(shots, '1-not-signed-in.png'), fullPage: true });

  await page.goto(`${host}/users/sign_in?return_to=${encodeURIComponent(`/${path}/-/releases`)}`);
  await page.getByLabel('Personal access token').fill(rootToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(pages);
  assert.equal(await page.title(), `Releases · ${project.body.name} · relinks`, 'no script from the description ran');
  await page.screenshot({ path: join(shots, '2-releases.png'), fullPage: true });

  assert.equal(await page.getByRole('main').count(), 1);
  assert.equal(await page.getByRole('heading', { name: 'Version 1.2' }).count(), 1);
  assert.equal(await page.locator('.description strong').innerText(), 'safer');
  assert.equal(await page.locator('script:not([src])').count(), 0);
  const runbook = page.getByRole('link', { name: /Runbook/ });
  assert.match(await runbook.innerText(), /↗/, 'external links are marked');

  const copy = page.getByRole('button', { name: 'Copy the permanent link of app-linux.tar.gz' });
  await copy.click();
  await page.waitForFunction(() => [...document.querySelectorAll('button[data-copy]')].some((b) => b.textContent !== 'Copy'));
  const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
  if (copied !== null) assert.equal(copied, permanent);

  await page.getByRole('link', { name: 'Version 1.2' }).click();
  await page.waitForURL(`${pages}/v1.2.0`);
  await page.screenshot({ path: join(shots, '3-release.png'), fullPage: true });

  const followed = await page.goto(permanent);
  assert.equal(followed.status(), 200);
  assert.equal(page.url(), `${targetUrl}/files/app-linux.tar.gz`);
  assert.match(await page.locator('body').innerText(), /the artifact at \/files\/app-linux\.tar\.gz/);
  await page.screenshot({ path: join(shots, '4-followed-permanent-link.png') });

  // The download just made through the permanent link is counted: the release's page shows
  // the link's total and the chart of the last 30 days, drawn without script or inline style.
  const violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  assert.equal((await api('PUT', `/projects/${encoded}`, { releases_immutable: true })).status, 200);
  await page.goto(`${pages}/v1.2.0`);
  assert.equal(await page.locator('.downloads').first().innerText(), '1 download');
  const chart = page.getByRole('img', { name: /Downloads per day over the last 30 days: 1 in all/ });
  const box = await chart.boundingBox();
  assert.ok(box && box.width > 100 && box.height > 20, `the chart is drawn (${JSON.stringify(box)})`);
  assert.equal(await page.locator('figure.chart rect').count(), 30);
  assert.match(await page.locator('figure.chart figcaption').innerText(), /^1 download in the last 30 days \(\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\)$/);
  assert.equal(await page.locator('.badge.immutable').innerText(), 'Immutable');
  assert.deepEqual(violations, [], 'no Content-Security-Policy violation');
  await page.screenshot({ path: join(shots, '6-downloads-and-immutable.png'), fullPage: true });

  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  await phone.addCookies(await context.cookies());
  const small = await phone.newPage();
  await small.goto(pages);
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling on a phone (${overflow}px)`);
  await small.screenshot({ path: join(shots, '5-phone.png'), fullPage: true });
  await phone.close();

  await page.goto(pages);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${host}/users/sign_in`);
  const after = await page.goto(pages);
  assert.equal(after.status(), 404, 'signed out, the project is hidden again');
  await context.close();
});
