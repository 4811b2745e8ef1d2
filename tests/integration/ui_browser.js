// Drives headless Chromium with Playwright (playwright-core from third_party/npm: it downloads no
// browser; Debian's /usr/bin/chromium is given as executablePath) through the pages of a running
// `tessera ui`, for tests/integration/ui_browser_test.cpp, which makes the data and asserts.
//
//   node ui_browser.js <playwright-core dir> <chromium> <config.json>
//
// config: {"url": "http://127.0.0.1:PORT", "screenshot_dir": DIR,
//          "pages": [{"hash": "#/runs/ID", "name": "run"}, ...]}
// Prints one JSON document on stdout: {"browser": version, "pages": [{"hash", "name", "state",
// "problem", "console": [{type, text}], "page_errors": [...], "failed_requests": [...],
// "bad_responses": [...], "charts": [{"id", "data_marks", "svg_marks"}], "screenshot"}]}.
// svg_marks counts the chart's drawn mark elements (paths, rects, lines) whose box has an area
// or a length, measured by the browser's layout — independent of the page's own data-marks.
'use strict';

const fs = require('fs');
const path = require('path');

async function main() {
  const [pwDir, chromiumPath, configPath] = process.argv.slice(2);
  const { chromium } = require(pwDir);
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  // --no-sandbox: tests may run as root, where Chromium refuses its sandbox.
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'], timeout: 60000 });
  const out = { browser: browser.version(), pages: [] };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    for (const spec of config.pages) {
      const page = await context.newPage();
      const result = { hash: spec.hash, name: spec.name, console: [], page_errors: [], failed_requests: [],
                       bad_responses: [] };
      page.on('console', (m) => result.console.push({ type: m.type(), text: m.text() }));
      page.on('pageerror', (e) => result.page_errors.push(String(e && e.stack || e)));
      page.on('requestfailed', (r) => result.failed_requests.push(r.url() + ': ' + (r.failure() || {}).errorText));
      page.on('response', (r) => { if (r.status() >= 400) result.bad_responses.push(r.status() + ' ' + r.url()); });
      await page.goto(config.url + '/' + spec.hash, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 30000 });
      result.state = await page.evaluate(() => document.body.dataset.state);
      result.problem = await page.evaluate(() => document.getElementById('problem').textContent);
      result.charts = await page.evaluate(() => [...document.querySelectorAll('.chart')].map((c) => {
        let drawn = 0;
        for (const mark of c.querySelectorAll('svg g[class*="mark-"] path, svg g[class*="mark-"] rect, svg g[class*="mark-"] line')) {
          const box = mark.getBBox();
          if (box.width > 0 || box.height > 0) ++drawn;
        }
        return { id: c.id, data_marks: Number(c.dataset.marks || 0), svg_marks: drawn };
      }));
      result.screenshot = path.join(config.screenshot_dir, 'ui-' + spec.name + '.png');
      await page.screenshot({ path: result.screenshot, fullPage: true });
      out.pages.push(result);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write('ui_browser.js: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
