// The browser player in headless Chromium against a stand-in HTTP output (mock-output.mjs) and
// HLS/MP4 media made with ffmpeg: no estuary involved. TAP output.
//
// Usage: node test-player-static.mjs PLAYER_DIR HLS_MIN_JS [CHROMIUM]
//   PLAYER_DIR holds player.js, stream.html and embed.js; HLS_MIN_JS is the built hls.js bundle.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {Browser} from './chromium.mjs';
import {MockOutput} from './mock-output.mjs';
import {playerState, poll, waitForPlayback} from './player-state.mjs';
import {findTool, runTap} from './tap.mjs';

const [playerDir, hlsMinJs, chromiumArg] = process.argv.slice(2);
const chromium = findTool(chromiumArg || 'chromium');
const ffmpeg = findTool('ffmpeg');
if (!chromium || !ffmpeg) {
  console.log(`1..0 # SKIP ${chromium ? 'ffmpeg' : 'chromium'} is not installed`);
  process.exit(0);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estuary-player-'));
const media = path.join(work, 'media');
fs.mkdirSync(media);

// 12 s of 640x360 H.264 + AAC: as HLS with 2 s segments, and as one progressive MP4.
const lavfi = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i',
               'sine=frequency=440:sample_rate=48000', '-t', '12', '-c:v', 'libx264', '-preset',
               'veryfast', '-pix_fmt', 'yuv420p', '-g', '30', '-c:a', 'aac'];
execFileSync(ffmpeg, ['-v', 'error', '-y', ...lavfi, '-f', 'hls', '-hls_time', '2',
                      '-hls_playlist_type', 'vod', '-hls_segment_filename',
                      path.join(media, 'seg%03d.ts'), path.join(media, 'index.m3u8')]);
execFileSync(ffmpeg, ['-v', 'error', '-y', ...lavfi, '-movflags', '+faststart',
                      path.join(media, 'demo.mp4')]);

const output = new MockOutput({
  player: path.join(playerDir, 'player.js'),
  hls: hlsMinJs,
  streamHtml: path.join(playerDir, 'stream.html'),
  embedJs: path.join(playerDir, 'embed.js'),
}, media);
const host = await output.listen();

// json_NAME.js answers shaped like manual 4.3.1 (only the fields the player reads, plus a few).
const source = (type, rel) => ({type, relurl: rel, url: host + rel, priority: 9, simul_tracks: 2,
                                total_matches: 2});
const HLS = source('html5/application/vnd.apple.mpegurl', '/media/index.m3u8');
const MP4 = source('html5/video/mp4', '/media/demo.mp4');
const info = (type, sources) => ({type, width: 640, height: 360, [type]: 1, source: sources});
output.streams.set('demo', info('vod', [HLS, MP4]));
output.streams.set('broken', info('vod', [source(HLS.type, '/media/missing.m3u8'), MP4]));
output.streams.set('odd', info('vod', [source('flash/10', '/media/odd.flv')]));
output.streams.set('late', {error: 'Stream is offline'});
output.pages.set('/embedded.html', `<!DOCTYPE html><html><body>
<p id="before">before</p><script src="${host}/embed_demo.js"></script><p id="after">after</p>
</body></html>`);
// A MistServer-style embed code: mistPlay() with no host, which then defaults to player.js's own.
output.pages.set('/mist.html', `<!DOCTYPE html><html><body><div id="v" style="height:360px"></div>
<script src="${host}/player.js"></script>
<script>mistPlay('demo', {target: document.getElementById('v')});</script>
</body></html>`);

const browser = await Browser.launch(chromium);
const logs = [];

// Opens `url` in a fresh tab, runs `check(page)`, and closes the tab.
async function withPage(url, check) {
  const page = await browser.newPage((line) => logs.push(line));
  try {
    await page.goto(url);
    return await check(page);
  } finally {
    await page.close();
  }
}

const nativeHls = await withPage('about:blank', (page) => page.evaluate(
    `document.createElement('video').canPlayType('application/vnd.apple.mpegurl')`));

const results = await runTap([
  [`stream.html plays HLS (browser native HLS: "${nativeHls}")`, () =>
    withPage(`${host}/demo.html`, async (page) => {
      const state = await waitForPlayback(page, 30);
      const expected = nativeHls ? 'native' : 'hlsjs';
      if (state.engine !== expected) throw new Error(`engine ${state.engine}, want ${expected}`);
      if (!state.source.endsWith('/media/index.m3u8')) throw new Error(`source ${state.source}`);
    })],
  ['stream.html?engine=hlsjs plays HLS through hls.js', () =>
    withPage(`${host}/demo.html?engine=hlsjs`, async (page) => {
      const state = await waitForPlayback(page, 30);
      if (state.engine !== 'hlsjs') throw new Error(`engine ${state.engine}`);
      if (!(await page.evaluate('typeof Hls === "function"'))) throw new Error('no hls.js loaded');
    })],
  ['embed_demo.js plays where its script tag is; mistPlay is estuaryPlay', () =>
    withPage(`${host}/embedded.html`, async (page) => {
      await waitForPlayback(page, 30);
      const placed = await page.evaluate(`(() => {
        const box = document.querySelector('.estuary-embed');
        return box.previousElementSibling.id + ',' + box.nextElementSibling.tagName + ',' +
               (window.mistPlay === window.estuaryPlay);
      })()`);
      if (placed !== 'before,SCRIPT,true') throw new Error(`embed placement: ${placed}`);
    })],
  ['mistPlay without a host plays from where player.js came from', () =>
    withPage(`${host}/mist.html`, (page) => waitForPlayback(page, 30))],
  ['a source that fails moves on to the next one (missing HLS -> MP4)', () =>
    withPage(`${host}/broken.html`, async (page) => {
      const state = await waitForPlayback(page, 30);
      if (state.engine !== 'progressive') throw new Error(`engine ${state.engine}`);
    })],
  ['nothing playable shows .estuary-error', () =>
    withPage(`${host}/odd.html`, async (page) => {
      await poll(() => playerState(page), (s) => /cannot play/.test(s.error ?? ''), 10,
                 'the cannot-play message');
    })],
  ['an offline live stream shows .estuary-error, then plays once it is up', () =>
    withPage(`${host}/late.html`, async (page) => {
      await poll(() => playerState(page), (s) => /offline/.test(s.error ?? ''), 10,
                 'the offline message');
      output.streams.set('late', info('live', [HLS]));
      await waitForPlayback(page, 30);
    })],
]);

await browser.close();
await output.close();
fs.rmSync(work, {recursive: true, force: true});
if (!results.ok) {
  console.log(logs.map((line) => '# ' + line).join('\n'));
  console.log(browser.stderr.split('\n').slice(-30).map((line) => '# ' + line).join('\n'));
}
process.exit(results.ok ? 0 : 1);
