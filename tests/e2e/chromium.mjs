// Headless Chromium driven over the DevTools protocol, with Node built-ins only.
//
// The browser is started with --remote-debugging-pipe: protocol messages are NUL-terminated JSON,
// written to its fd 3 and read from its fd 4. No debugging port, no WebSocket client needed.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required', '--mute-audio', '--remote-debugging-pipe',
];

export class Browser {
  // Starts `executable` (e.g. /usr/bin/chromium) with a fresh profile. Resolves once the
  // protocol answers.
  static async launch(executable) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'estuary-chromium-'));
    const proc = spawn(executable, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'],
                       {stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe']});
    const browser = new Browser(proc, profile);
    await browser.send('Browser.getVersion');
    return browser;
  }

  constructor(proc, profile) {
    this.proc = proc;
    this.profile = profile;
    this.nextId = 1;
    this.pending = new Map();   // id -> {resolve, reject, method}
    this.listeners = new Set(); // (message) => void, for events
    this.stderr = '';
    this.exited = false;
    let buffered = Buffer.alloc(0);
    proc.stdio[4].on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      let end;
      while ((end = buffered.indexOf(0)) >= 0) {
        const message = JSON.parse(buffered.subarray(0, end).toString('utf8'));
        buffered = buffered.subarray(end + 1);
        this.dispatch(message);
      }
    });
    proc.stderr.on('data', (chunk) => {
      // Kept for diagnostics; Chromium is chatty, so only the tail matters.
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-20000);
    });
    proc.on('exit', (code, signal) => {
      this.exited = true;
      for (const {reject, method} of this.pending.values()) {
        reject(new Error(`chromium exited (${code ?? signal}) during ${method}\n${this.stderr}`));
      }
      this.pending.clear();
    });
  }

  dispatch(message) {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) {
        waiter.reject(new Error(`${waiter.method}: ${JSON.stringify(message.error)}`));
      } else {
        waiter.resolve(message.result);
      }
      return;
    }
    for (const listener of this.listeners) listener(message);
  }

  send(method, params = {}, sessionId = undefined) {
    if (this.exited) return Promise.reject(new Error(`chromium is gone (${method})`));
    const id = this.nextId++;
    const message = {id, method, params};
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject, method});
      this.proc.stdio[3].write(JSON.stringify(message) + '\0');
    });
  }

  // Opens a new tab; its console output and uncaught exceptions go to `log`.
  async newPage(log = () => {}) {
    const {targetId} = await this.send('Target.createTarget', {url: 'about:blank'});
    const {sessionId} = await this.send('Target.attachToTarget', {targetId, flatten: true});
    const page = new Page(this, targetId, sessionId);
    this.listeners.add((message) => {
      if (message.sessionId !== sessionId) return;
      if (message.method === 'Runtime.consoleAPICalled') {
        const text = message.params.args.map((a) => a.value ?? a.description ?? '').join(' ');
        log(`console.${message.params.type}: ${text}`);
      } else if (message.method === 'Runtime.exceptionThrown') {
        const details = message.params.exceptionDetails;
        log(`exception: ${details.exception?.description ?? details.text}`);
      }
    });
    await page.send('Runtime.enable');
    await page.send('Page.enable');
    return page;
  }

  async close() {
    if (!this.exited) {
      const gone = new Promise((resolve) => this.proc.once('exit', resolve));
      this.send('Browser.close').catch(() => {});
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    fs.rmSync(this.profile, {recursive: true, force: true});
  }
}

export class Page {
  constructor(browser, targetId, sessionId) {
    this.browser = browser;
    this.targetId = targetId;
    this.sessionId = sessionId;
  }

  send(method, params = {}) {
    return this.browser.send(method, params, this.sessionId);
  }

  async goto(url) {
    const result = await this.send('Page.navigate', {url});
    if (result.errorText) throw new Error(`navigating to ${url}: ${result.errorText}`);
  }

  // Evaluates `expression` in the page and returns its value (JSON-serialisable).
  async evaluate(expression) {
    const {result, exceptionDetails} = await this.send(
        'Runtime.evaluate', {expression, returnByValue: true, awaitPromise: true});
    if (exceptionDetails) {
      throw new Error(`evaluate: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    }
    return result.value;
  }

  async close() {
    await this.browser.send('Target.closeTarget', {targetId: this.targetId});
  }
}
