// What the tests ask of a page that runs the estuary player, and polling under a deadline.

// Evaluated in the page: the state of the first player (or of none yet).
const STATE_EXPRESSION = `(() => {
  const container = document.querySelector('.estuary-player');
  const video = container && container.querySelector('video');
  const errors = [...document.querySelectorAll('.estuary-error')].filter((e) => {
    const style = getComputedStyle(e);
    return e.getClientRects().length > 0 && style.visibility !== 'hidden' && style.display !== 'none';
  });
  return {
    time: video ? video.currentTime : -1,
    readyState: video ? video.readyState : -1,
    paused: video ? video.paused : null,
    mediaError: video && video.error ? video.error.code + ' ' + video.error.message : null,
    engine: container ? container.dataset.engine || null : null,
    source: container ? container.dataset.source || null : null,
    error: errors.length ? errors.map((e) => e.textContent).join(' | ') : null,
  };
})()`;

export function playerState(page) {
  return page.evaluate(STATE_EXPRESSION);
}

// Calls `probe` until `done(value)` holds or `seconds` pass; returns the last value, and throws
// with `what` and that value on timeout.
export async function poll(probe, done, seconds, what) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${seconds} s waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// Waits until the page's video has played past `minTime` seconds with no error showing.
export function waitForPlayback(page, seconds, minTime = 2) {
  return poll(() => playerState(page), (s) => s.time > minTime && !s.error, seconds,
              `playback past ${minTime} s with no .estuary-error`);
}
