// The journey in real Chromium: the moderator sets up a stage and releases it, one participant
// consents and answers, another follows their link, answers, and then sees the first one's
// answer (post first). Then an analyst codes words selected in a reply. Pages are checked
// with axe for WCAG 2.2 A/AA violations on the way. A third run sets a new board up by its
// checklist, words an email, changes a vote and has a lost link sent again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const BIN = process.env.FOCUSBOARD_BIN ?? '../../target/debug/focusboard';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function startServer(extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'focusboard-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(BIN, ['serve', '--demo'], {
    env: { ...process.env, FOCUSBOARD_DATABASE_URL: join(dir, 'e2e.db'), FOCUSBOARD_DATA_DIR: dir,
      FOCUSBOARD_BIND: `127.0.0.1:${port}`, FOCUSBOARD_BASE_URL: base, FOCUSBOARD_LOG: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30000);
    // The demo's block, with the sign-in details, is the last thing printed.
    proc.stdout.on('data', (d) => { out += d; if (out.includes('is listening') && out.includes('mail program')) { clearTimeout(timer); resolve(); } });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  const password = out.match(/password: (\S+)/)[1];
  const ann = out.match(/ Ann Lee: (\S+)/)[1];
  const hana = out.match(/ Hana Jones: (\S+)/)[1];
  return { base, password, ann, hana, dir, stop: () => { proc.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); } };
}

// Screenshots of the main pages, at desktop and phone sizes, for a reviewer to look at without
// running anything (README: "Screenshots").
const SHOTS = process.env.FOCUSBOARD_SCREENSHOTS ?? join(tmpdir(), 'focusboard-screenshots');
mkdirSync(SHOTS, { recursive: true });
async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// The demo's moderator, signed in, in a new browser context.
async function moderator(browser, server, check = async () => {}) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.base}/login`);
  await check(page);
  await page.getByLabel('Email').fill('moderator@example.org');
  await page.getByLabel('Password').fill(server.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Your boards' }).waitFor();
  return page;
}

async function expectAccessible(page, what) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']).analyze();
  // Every violation counts, whatever its impact.
  assert.deepEqual(results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${what} has accessibility violations`);
}

test('moderator releases a stage; participants answer and then see each other', { timeout: 120000 }, async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    // Moderator: sign in, add a stage with a post-first question, release it now.
    const mod = await moderator(browser, server, (page) => expectAccessible(page, 'sign-in page'));
    // A form that is refused comes back with what was typed, the message by its field, and
    // the focus on that field.
    await mod.goto(`${server.base}/boards/new`);
    await mod.getByLabel('Title').fill('Ward study');
    await mod.getByLabel('Time zone').fill('Mars/Olympus');
    await mod.getByRole('button', { name: 'Create board' }).click();
    await mod.getByText('There is a problem').waitFor();
    assert.equal(await mod.getByLabel('Title').inputValue(), 'Ward study');
    assert.equal(await mod.locator('#time_zone').getAttribute('aria-invalid'), 'true');
    assert.equal(await mod.evaluate(() => document.activeElement.id), 'time_zone', 'focus on the field in error');
    await expectAccessible(mod, 'a refused form');
    await shot(mod, 'desktop-refused-form');
    await mod.goto(`${server.base}/boards`);
    await mod.getByRole('link', { name: /Communities of Practice/ }).click();
    await expectAccessible(mod, 'moderator board page');
    await shot(mod, 'desktop-moderator-board');
    await mod.getByText('Add a stage').click();
    await mod.getByLabel('Title').fill('Extra stage: one word');
    await mod.getByRole('button', { name: 'Add stage' }).click();
    // The question editor shows the fields of the kind chosen.
    assert.equal(await mod.getByLabel(/Options or items to rank/).isVisible(), false, 'no options for a discussion');
    await mod.getByLabel('Kind of answer').selectOption('rating');
    assert.ok(await mod.getByLabel('Rating scale from 1 to').isVisible(), 'the scale for a rating');
    await mod.getByLabel('Kind of answer').selectOption('discussion');
    await mod.getByLabel('Question (markdown)').fill('Sum up your CoP in one word.');
    await mod.getByRole('button', { name: 'Add question' }).click();
    await mod.getByRole('button', { name: 'Release now' }).click();
    await mod.getByText('is released').waitFor();
    const extraStage = mod.url();

    // Hana: first visit, consent with a screen name, answer.
    const hana = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await hana.goto(server.hana);
    await hana.getByRole('button', { name: 'Continue to the board' }).click();
    await expectAccessible(hana, 'welcome page');
    await hana.getByLabel('Screen name').fill('Hana J');
    await hana.getByLabel(/agree to take part/).check();
    await hana.getByRole('button', { name: 'Agree and continue' }).click();
    await hana.getByRole('link', { name: 'Sum up your CoP in one word.' }).click();
    await hana.getByLabel('Your answer').fill('Momentum');
    await hana.getByRole('button', { name: 'Post answer' }).click();
    await hana.getByText('Your answer is posted.').waitFor();
    // After answering, the page leads on.
    await hana.locator('.next-step').waitFor();
    await expectAccessible(hana, 'question page after answering, phone size');
    await shot(hana, 'phone-question-answered');
    await hana.goto(server.hana.replace(/\/p\/.*/, '/'));
    await expectAccessible(hana, 'participant board home, phone size');
    await shot(hana, 'phone-board-home');

    // Ann: does not see Hana's answer until she posts her own; then she does.
    const ann = await (await browser.newContext()).newPage();
    await ann.goto(server.ann);
    await ann.getByRole('button', { name: 'Continue to the board' }).click();
    await expectAccessible(ann, 'participant board home');
    await ann.getByRole('link', { name: 'Sum up your CoP in one word.' }).click();
    assert.equal(await ann.getByText('Momentum').count(), 0, 'post first hides answers before posting');
    await ann.getByText('1 answer from others will appear here').waitFor();
    await expectAccessible(ann, 'question page');
    await ann.getByLabel('Your answer').fill('Collaboration');
    await ann.getByRole('button', { name: 'Post answer' }).click();
    await ann.getByText('Momentum').waitFor();
    await ann.getByText('Hana J').first().waitFor();
    await shot(ann, 'desktop-question');

    // The moderator sees both answers counted.
    await mod.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link').click();
    await mod.getByRole('row', { name: /Sum up your CoP/ }).getByText('2 of 8').waitFor();
    // The demo's invitations and stage notices are listed on the delivery page.
    await mod.getByRole('link', { name: 'Email delivery' }).click();
    await mod.getByRole('heading', { name: 'Email delivery' }).waitFor();
    assert.ok(await mod.locator('tr.delivery').count() >= 8, 'the demo queued its invitations');
    await expectAccessible(mod, 'email delivery page');

    // A hidden post, and the question as a participant sees it, pass axe too.
    await mod.goto(extraStage);
    await mod.getByRole('link', { name: 'Sum up your CoP in one word.' }).click();
    const hanas = mod.locator('article.post', { hasText: 'Momentum' });
    await hanas.getByRole('link', { name: 'Hide', exact: true }).click();
    await mod.getByRole('heading', { name: /Hide this post by/ }).waitFor();
    await expectAccessible(mod, 'page asking before hiding a post');
    await mod.getByLabel(/Reason/).fill('Shown here to test hiding');
    await mod.getByRole('button', { name: 'Hide from participants' }).click();
    await mod.getByText('The post is hidden from participants.').waitFor();
    await expectAccessible(mod, 'question page with a hidden post');
    await shot(mod, 'desktop-question-staff');
    await mod.getByRole('button', { name: 'View', exact: true }).click();
    await mod.getByText('You are viewing').first().waitFor();
    await expectAccessible(mod, 'question viewed as a participant');

    // The moderator summarises the stage for a reflection stage and ties its question to it.
    await mod.goto(extraStage.replace(/\/stages\/.*/, '/boards'));
    await mod.getByRole('link', { name: /Communities of Practice/ }).click();
    await mod.getByText('Add a stage').click();
    await mod.getByLabel('Title').fill('Reflection');
    await mod.getByRole('button', { name: 'Add stage' }).click();
    const reflection = mod.url();
    await mod.goto(extraStage);
    // The summary editor is open on a released stage.
    await mod.getByLabel('What the group said (markdown)').fill('Most of you named **momentum** and collaboration.');
    await mod.getByLabel(/Published/).check();
    await mod.getByRole('button', { name: 'Save summary' }).click();
    await mod.getByText('The summary is published.').waitFor();
    await mod.goto(reflection);
    await mod.getByLabel('Question (markdown)').fill('Do you agree with the views summarised here?');
    await mod.getByLabel('Ask participants to react to a summary').selectOption({ label: 'Summary of Extra stage: one word' });
    await mod.getByRole('button', { name: 'Add question' }).click();
    await mod.getByRole('button', { name: 'Release now' }).click();
    await mod.getByText('is released').waitFor();

    // Ann sees the summary at the top of the next stage and answers the reflection question.
    await ann.goto(ann.url().replace(/\/q\/.*/, '/'));
    await ann.getByText('What the group said in Extra stage: one word').first().waitFor();
    await ann.getByRole('link', { name: 'Do you agree with the views summarised here?', exact: true }).click();
    await ann.getByRole('complementary', { name: 'Summary to react to' }).getByText('momentum').waitFor();
    await expectAccessible(ann, 'reflection question');
    await ann.getByLabel('Your answer').fill('Yes, momentum matters most.');
    await ann.getByRole('button', { name: 'Post answer' }).click();
    await ann.getByText('Your answer is posted.').waitFor();
  } finally {
    await browser.close();
    server.stop();
  }
});

test('an analyst codes words selected in a reply, and reads the counts', { timeout: 120000 }, async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const page = await moderator(browser, server);
    await page.getByRole('link', { name: /Communities of Practice/ }).click();
    // The demo has coded a few replies already: count what this analyst adds.
    const board = page.url();
    const realised = async () => {
      await page.goto(`${board}/report`);
      // The first number cell is the replies with the code.
      return Number(await page.getByRole('row', { name: /Realised value/ }).locator('td').first().innerText());
    };
    const before = await realised();
    await page.goto(board);
    await page.getByRole('link', { name: 'Code the replies and export' }).click();
    await expectAccessible(page, 'analysis page');
    await page.getByRole('table').getByRole('link').first().click();
    await page.getByRole('heading', { name: /^Coding:/ }).waitFor();
    await expectAccessible(page, 'coding page');

    // Select the second and third words of a reply, as a mouse would, and let go.
    const chosen = await page.evaluate(() => {
      // A reply that starts with uncoded words (coded ones are marked).
      const box = Array.from(document.querySelectorAll('.codable'))
        .find((b) => b.firstChild && b.firstChild.nodeType === Node.TEXT_NODE && b.firstChild.textContent.split(' ').length > 3);
      const node = box.firstChild;
      const words = node.textContent.split(' ');
      const start = words[0].length + 1;
      const end = start + words[1].length + 1 + words[2].length;
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, end);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      box.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
      const chars = (s) => Array.from(s).length;
      return { form: box.dataset.form, text: range.toString(), start: chars(node.textContent.slice(0, start)), end: chars(node.textContent.slice(0, end)) };
    });
    const form = page.locator(`#${chosen.form}`);
    assert.equal(await form.locator('input[name=start]').inputValue(), String(chosen.start));
    assert.equal(await form.locator('input[name=end]').inputValue(), String(chosen.end));
    assert.equal(await form.getByLabel(/Selected text/).inputValue(), chosen.text);
    await form.getByLabel('Realised value').check();
    await form.getByLabel('Mark as a quote').check();
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`Saved: “${chosen.text}”.`).waitFor();
    await page.getByText(`(characters ${chosen.start}–${chosen.end})`).waitFor();

    await page.goto(page.url().replace(/\/q\/.*/, '/boards'));
    await page.getByRole('link', { name: /Communities of Practice/ }).click();
    await page.getByRole('link', { name: 'Codebook', exact: true }).click();
    await page.locator('.codebook strong', { hasText: 'Realised value' }).waitFor();
    await expectAccessible(page, 'codebook page');
    assert.equal(await realised(), before + 1, 'one more reply with the code');
    await page.locator('blockquote.quote em').getByText(chosen.text, { exact: true }).waitFor();
    await expectAccessible(page, 'report page');

    // Search: a word just coded is found and marked, and the page passes axe.
    const word = chosen.text.split(' ')[0].replace(/[^\p{L}\p{N}]/gu, '');
    await page.goto(`${board.replace(/\?.*$/, '')}/search?q=${encodeURIComponent(word)}`);
    await page.getByRole('heading', { name: /found, in the order they were written/ }).waitFor();
    assert.ok(await page.locator('.hits mark').count() > 0, 'the word is marked in the hits');
    await expectAccessible(page, 'search page');
  } finally {
    await browser.close();
    server.stop();
  }
});

test('a new board is set up by its checklist; a participant changes their vote; a lost link is sent again', { timeout: 120000 }, async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const mod = await moderator(browser, server);
    await mod.goto(`${server.base}/boards/new`);
    await mod.getByLabel('Title').fill('Ward study');
    await mod.getByLabel('Time zone').fill('Europe/London');
    await mod.getByRole('button', { name: 'Create board' }).click();
    const board = mod.url();
    const checklist = mod.getByRole('list', { name: 'Setting up' });
    const step = (name) => checklist.getByRole('listitem').filter({ hasText: name });
    await step('Write the welcome and consent texts').getByText('To do').waitFor();
    await expectAccessible(mod, 'a new board and its checklist');

    // Each step's link leads to where it is done; done, the step says so.
    await step('Write the welcome and consent texts').getByRole('link').click();
    await mod.getByLabel('Welcome text (markdown)').fill('Welcome to the **ward study**.');
    await mod.getByLabel('Consent text (markdown)').fill('I agree to take part.');
    await mod.getByRole('button', { name: 'Save settings' }).click();
    await mod.goto(board);
    await step('Write the welcome and consent texts').getByText('Done').waitFor();

    await step('Import the participants').getByRole('link').click();
    await mod.locator('#file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from('email,name\nzoe@example.org,Zoe Park\n') });
    await mod.getByRole('button', { name: 'Preview' }).click();
    await mod.getByRole('button', { name: 'Import 1 participants' }).click();
    const zoeLink = await mod.getByRole('textbox', { name: 'Sign-in link of Zoe Park' }).inputValue();
    await mod.getByRole('button', { name: 'Send invitations' }).click();
    await mod.goto(board);
    await step('Import the participants').getByText('Done').waitFor();

    await step('Add stages and their questions').getByRole('link').click();
    await mod.getByText('Add a stage').click();
    await mod.getByLabel('Title').fill('Stage 1');
    await mod.getByRole('button', { name: 'Add stage' }).click();
    await mod.getByLabel('Question (markdown)').fill('How often should the group meet?');
    await mod.getByLabel('Kind of answer').selectOption('single_choice');
    await mod.getByLabel(/Options or items to rank/).fill('Weekly\nMonthly');
    await mod.getByRole('button', { name: 'Add question' }).click();
    await mod.getByText('Question added.').waitFor();
    assert.equal(await mod.evaluate(() => document.activeElement.textContent), 'Question added.', 'focus on the message');
    await mod.getByRole('button', { name: 'Release now' }).click();
    await mod.getByText('is released').waitFor();
    await mod.goto(board);
    // Once everything is done, the checklist folds away under a heading that says so.
    await mod.getByRole('heading', { name: 'Setting up: done' }).waitFor();
    assert.equal(await mod.locator('details.setup').getAttribute('open'), null, 'folded away once everything is done');
    assert.equal(await mod.locator('details.setup li .tag.todo').count(), 0, 'no step left to do');

    // The invitation's wording, previewed for a sample participant.
    await mod.goto(`${board}/email-texts`);
    const invitation = mod.locator('#email-invitation');
    await invitation.getByLabel('Subject').fill('Join {board}, {name}');
    await invitation.getByRole('button', { name: 'Preview' }).click();
    await mod.locator('#preview-invitation').getByText('Join Ward study, Alex Example').waitFor();
    assert.equal(await mod.evaluate(() => document.activeElement.id), 'preview-invitation', 'focus on the preview');
    assert.equal(await mod.locator('#subject-invitation').inputValue(), 'Join {board}, {name}', 'the typed subject stays');
    await expectAccessible(mod, 'wording of emails with a preview');
    await shot(mod, 'desktop-email-wording');

    // Zoe votes, then changes her vote: the form starts from the vote she gave.
    const zoe = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await zoe.goto(zoeLink);
    await zoe.getByRole('button', { name: 'Continue to the board' }).click();
    await zoe.getByLabel('Screen name').fill('Zoe');
    await zoe.getByLabel(/agree to take part/).check();
    await zoe.getByRole('button', { name: 'Agree and continue' }).click();
    await zoe.getByRole('link', { name: 'Continue' }).click();
    await zoe.getByLabel('Weekly').check();
    await zoe.getByRole('button', { name: 'Vote' }).click();
    await zoe.getByRole('group', { name: 'Change your vote' }).waitFor();
    assert.ok(await zoe.getByLabel('Weekly').isChecked(), 'the current vote is selected');
    await expectAccessible(zoe, 'a poll after voting, phone size');
    await zoe.getByLabel('Monthly').check();
    await zoe.getByRole('button', { name: 'Change vote' }).click();
    await zoe.getByRole('group', { name: 'Change your vote' }).waitFor();
    assert.ok(await zoe.getByLabel('Monthly').isChecked(), 'the changed vote is selected');
    assert.ok(!(await zoe.getByLabel('Weekly').isChecked()));
    await shot(zoe, 'phone-poll-voted');

    // Signed out, the question's address offers to send the link again.
    const lost = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await lost.goto(zoe.url());
    await lost.getByRole('heading', { name: 'Please sign in with your personal link' }).waitFor();
    await expectAccessible(lost, 'signed-out page, phone size');
    await lost.getByLabel('Your email address').fill('zoe@example.org');
    await lost.getByRole('button', { name: 'Email me my link' }).click();
    await lost.getByRole('heading', { name: 'Check your email' }).waitFor();
    await expectAccessible(lost, 'link requested');
  } finally {
    await browser.close();
    server.stop();
  }
});

// Without SMTP the server writes each email as an .eml file in its data folder; this waits for
// the one whose name has `part` and returns its text with quoted-printable soft breaks undone.
async function emailFile(dir, part) {
  const folder = join(dir, 'mail');
  for (let i = 0; i < 100; i++) {
    const name = existsSync(folder) ? readdirSync(folder).find((f) => f.includes(part)) : undefined;
    if (name) return readFileSync(join(folder, name), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email ${part} in ${folder}`);
}

test('an administrator invites an analyst, who sets a password from the email and sees pseudonyms only', { timeout: 120000 }, async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const admin = await moderator(browser, server);
    await admin.getByRole('link', { name: 'Staff accounts' }).click();
    await expectAccessible(admin, 'staff accounts page');
    await admin.getByLabel('Name').fill('Ana Lyst');
    await admin.getByLabel('Email').fill('ana@example.org');
    await admin.getByRole('button', { name: 'Send the invitation' }).click();
    await admin.getByText('Ana Lyst is invited').waitFor();
    // Ana gets the analyst's role on the demo board.
    await admin.goto(`${server.base}/boards`);
    await admin.getByRole('link', { name: /Communities of Practice/ }).click();
    await admin.getByLabel('Add by account email').fill('ana@example.org');
    await admin.getByLabel('as', { exact: true }).selectOption('analyst');
    await admin.getByRole('button', { name: 'Add', exact: true }).click();
    const board = admin.url().replace(/\?.*$/, '');

    // The invitation's link sets her password; then she signs in.
    const mail = await emailFile(server.dir, 'staff_invitation-ana@example.org');
    const link = mail.match(/https?:\/\/[^\s"<>]*\/password\/[A-Za-z0-9_-]+/)[0];
    const ana = await (await browser.newContext()).newPage();
    await ana.goto(link);
    await ana.getByRole('heading', { name: 'Welcome, Ana Lyst: set your password' }).waitFor();
    await expectAccessible(ana, 'set your password');
    await ana.getByLabel('New password').fill('tulip harbour lantern');
    await ana.getByLabel('The same password again').fill('tulip harbour lantern');
    await ana.getByRole('button', { name: 'Set password' }).click();
    await ana.getByText('Your password is set').waitFor();
    await ana.getByLabel('Email').fill('ana@example.org');
    await ana.getByLabel('Password').fill('tulip harbour lantern');
    await ana.getByRole('button', { name: 'Sign in' }).click();
    await ana.getByRole('heading', { name: 'Your boards' }).waitFor();

    // The analyst sees pseudonyms where the moderator sees names.
    await admin.goto(`${board}/participants`);
    await admin.getByText('Ann Lee').first().waitFor();
    await ana.goto(`${board}/participants`);
    await ana.getByText('P01', { exact: true }).waitFor();
    assert.equal(await ana.getByText('Ann Lee').count(), 0, 'no names for the analyst');
    assert.equal(await ana.getByText('@example.org').count(), 0, 'no participant emails for the analyst');
    await expectAccessible(ana, 'participants page with pseudonyms');
    await shot(ana, 'desktop-participants-pseudonyms');
  } finally {
    await browser.close();
    server.stop();
  }
});

test('a participant withdraws from their preferences page; the moderator sees it counted apart', { timeout: 120000 }, async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const ann = await (await browser.newContext()).newPage();
    await ann.goto(server.ann);
    await ann.getByRole('button', { name: 'Continue to the board' }).click();
    await ann.getByRole('link', { name: 'Your preferences' }).click();
    await ann.getByRole('heading', { name: 'Withdrawing from the study' }).waitFor();
    await expectAccessible(ann, 'participant preferences page');
    await ann.getByRole('link', { name: 'Withdraw from the study…' }).click();
    await ann.getByRole('heading', { name: /^Withdraw from / }).waitFor();
    await ann.getByText('under a code name').first().waitFor();
    await expectAccessible(ann, 'withdrawal confirmation');
    await ann.getByRole('button', { name: 'Withdraw from the study' }).click();
    await ann.getByRole('heading', { name: /You have withdrawn/ }).waitFor();
    await expectAccessible(ann, 'withdrawn page');
    // Her link no longer opens the board.
    await ann.goto(server.ann);
    await ann.getByText('This sign-in link is not valid').waitFor();

    const mod = await moderator(browser, server);
    await mod.getByRole('link', { name: /Communities of Practice/ }).click();
    const board = mod.url().replace(/\?.*$/, '');
    await mod.goto(`${board}/participants`);
    const row = mod.getByRole('row').filter({ hasText: 'Ann Lee' });
    await row.getByText('Withdrew').waitFor();
    await row.getByText('Withdrawn', { exact: true }).waitFor();
    await expectAccessible(mod, 'participants page with a withdrawal');
    await mod.goto(`${board}/grid`);
    const withdrawn = mod.locator('dl.figures div').filter({ hasText: 'Withdrawn' }).locator('dd');
    assert.equal(await withdrawn.textContent(), '1');
  } finally {
    await browser.close();
    server.stop();
  }
});

test('a reply by email that cannot be matched waits on the email page, which the moderator clears', { timeout: 120000 }, async () => {
  // The inbox worker reads the drop folder every second here.
  const server = await startServer({ FOCUSBOARD_INBOX_INTERVAL_SECS: '1' });
  const browser = await launch();
  try {
    // Hana's stage notice carries her reply address; someone else writes to it.
    const notice = (await emailFile(server.dir, 'stage_open-hana.jones@example.org')).replace(/\r?\n[ \t]+/g, ' ');
    const replyTo = notice.match(/^Reply-To: .*?<?([a-z0-9.+-]+@[a-z0-9.-]+)>?\s*$/im)[1];
    assert.match(replyTo, /^focusboard\+[0-9a-f]{32}@localhost$/);
    const forged = `From: someone.else@example.net\r\nTo: ${replyTo}\r\nSubject: Re: new questions\r\nMessage-ID: <e2e-1@example.net>\r\n\r\nPlease post this as Hana.\r\n`;
    writeFileSync(join(server.dir, 'inbox', 'forged.eml'), forged);
    const mod = await moderator(browser, server);
    await mod.getByRole('link', { name: /Communities of Practice/ }).click();
    const board = mod.url().replace(/\?.*$/, '');
    let seen = false;
    for (let i = 0; i < 50 && !seen; i++) {
      await mod.goto(`${board}/emails`);
      seen = (await mod.getByText('Please post this as Hana.').count()) > 0;
      if (!seen) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(seen, 'the message is listed under unmatched mail');
    await mod.getByText('which is not the address this reply key was sent to').waitFor();
    await expectAccessible(mod, 'email page with unmatched mail');
    await shot(mod, 'desktop-unmatched-mail');
    await mod.getByRole('button', { name: 'Discard' }).click();
    await mod.getByText('The message was discarded.').waitFor();
    await mod.getByText('No unmatched mail.').waitFor();
  } finally {
    await browser.close();
    server.stop();
  }
});
