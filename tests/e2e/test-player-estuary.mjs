// End to end: the real estuary binary with a live GStreamer test stream, its HTTP output, and the
// browser player in headless Chromium. TAP output.
//
// Usage: node test-player-estuary.mjs ESTUARY [CHROMIUM]
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {Browser} from './chromium.mjs';
import {poll, waitForPlayback} from './player-state.mjs';
import {findTool, runTap} from './tap.mjs';

const [estuaryArg, chromiumArg] = process.argv.slice(2);
const estuaryBin = path.resolve(estuaryArg);  // estuary runs in its own work folder
const chromium = findTool(chromiumArg || 'chromium');
// format=I420: left open, x264enc picks Y444 and makes High 4:4:4 H.264, which browsers refuse.
const SOURCE = 'gst:videotestsrc is-live=true pattern=ball ! ' +
    'video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! ' +
    'x264enc tune=zerolatency key-int-max=60 ! ' +
    'h264parse ! queue ! mux. audiotestsrc is-live=true ! audioconvert ! avenc_aac ! aacparse ! ' +
    'queue ! mux. mpegtsmux name=mux';

function missingElements() {
  const inspect = findTool('gst-inspect-1.0');
  if (!inspect) return 'gst-inspect-1.0';
  return ['x264enc', 'avenc_aac', 'mpegtsmux'].filter((element) => {
    try {
      execFileSync(inspect, ['--exists', element]);
      return false;
    } catch (e) {
      return true;
    }
  }).join(', ');
}
const missing = !chromium ? 'chromium' : missingElements();
if (missing) {
  console.log(`1..0 # SKIP ${missing} is not installed`);
  process.exit(0);
}

// A port nobody listens on right now, for the HTTP output.
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const {port} = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Starts estuary on a fresh configuration and resolves to {proc, apiPort, log()}.
async function startEstuary(dir) {
  fs.writeFileSync(path.join(dir, 'config.json'), '{}\n');
  const proc = spawn(estuaryBin, ['-c', path.join(dir, 'config.json'), '-p', '0', '-i', '127.0.0.1'],
                     {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
  let output = '';
  const collect = (chunk) => { output = (output + chunk.toString('utf8')).slice(-40000); };
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  const apiPort = await Promise.race([
    poll(() => output.match(/API and web panel on http:\/\/[^:\/]+:(\d+)\//), Boolean, 20,
         'estuary to print its API port').then((m) => Number(m[1])),
    exited.then((code) => { throw new Error(`estuary exited (${code}):\n${output}`); }),
  ]);
  return {proc, apiPort, exited, log: () => output};
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estuary-e2e-'));
const estuary = await startEstuary(work);
const api = async (command) => {
  const url = `http://127.0.0.1:${estuary.apiPort}/api2?command=` +
      encodeURIComponent(JSON.stringify(command));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
};
const httpPort = await freePort();
const host = `http://127.0.0.1:${httpPort}`;
const browser = await Browser.launch(chromium);
const logs = [];

async function withPage(url, check) {
  const page = await browser.newPage((line) => logs.push(line));
  try {
    await page.goto(url);
    return await check(page);
  } finally {
    await page.close();
  }
}

const results = await runTap([
  ['the API enables HTTP, HLS and MP4 and adds the live stream demo', async () => {
    // As in MistServer, each HTTP-based output is a connector of its own riding on HTTP's port.
    const added = await api({addprotocol: [{connector: 'HTTP', port: httpPort}, {connector: 'HLS'},
                                           {connector: 'MP4'}]});
    if (added.error) throw new Error(`addprotocol: ${added.error}`);
    const {config} = await api({config: true});
    if (!config.protocols.some((p) => p.connector === 'HTTP' && p.port === httpPort) ||
        !config.protocols.some((p) => p.connector === 'HLS')) {
      throw new Error(`HTTP is not in ${JSON.stringify(config.protocols)}`);
    }
    const streams = await api({addstream: {demo: {source: SOURCE}}});
    if (streams.error || !streams.streams?.demo) {
      throw new Error(`addstream answered ${JSON.stringify(streams)}`);
    }
  }],
  [`${host}/json_demo.js lists an HLS source once the stream is up`, async () => {
    await poll(async () => {
      try {
        return await (await fetch(`${host}/json_demo.js`)).json();
      } catch (e) {
        return {fetchError: String(e.cause ?? e)};
      }
    }, (info) => (info.source ?? []).some((s) => s.type === 'html5/application/vnd.apple.mpegurl'),
    60, 'an HLS entry in json_demo.js').then((info) => {
      console.log(`# sources: ${info.source.map((s) => s.type).join(', ')}`);
    });
  }],
  ['demo.html plays the live stream in Chromium', () =>
    withPage(`${host}/demo.html`, async (page) => {
      const state = await waitForPlayback(page, 60);
      console.log(`# played by ${state.engine} from ${state.source}`);
    })],
  ['demo.html?engine=hlsjs plays it through hls.js', () =>
    withPage(`${host}/demo.html?engine=hlsjs`, async (page) => {
      const state = await waitForPlayback(page, 60);
      if (state.engine !== 'hlsjs') throw new Error(`engine ${state.engine}`);
    })],
  // Safari's way; Chromium has native HLS too, and the page pins it to cover that path here.
  ['demo.html?engine=native plays it with the browser\'s own HLS', () =>
    withPage(`${host}/demo.html?engine=native`, async (page) => {
      const nativeHls = await page.evaluate(
          `document.createElement('video').canPlayType('application/vnd.apple.mpegurl')`);
      if (!nativeHls) {
        console.log('# this Chromium has no native HLS; nothing to check');
        return;
      }
      const state = await waitForPlayback(page, 60);
      if (state.engine !== 'native') throw new Error(`engine ${state.engine}`);
    })],
]);

await browser.close();
estuary.proc.kill('SIGTERM');
const killer = setTimeout(() => estuary.proc.kill('SIGKILL'), 10000);
const code = await estuary.exited;
clearTimeout(killer);
if (!results.ok) {
  console.log(logs.map((line) => '# page ' + line).join('\n'));
  console.log(estuary.log().split('\n').slice(-60).map((line) => '# estuary: ' + line).join('\n'));
  console.log(browser.stderr.split('\n').slice(-20).map((l) => '# chromium: ' + l).join('\n'));
}
fs.rmSync(work, {recursive: true, force: true});
if (code !== 0) console.log(`# estuary exited with ${code} on SIGTERM`);
process.exit(results.ok ? 0 : 1);
