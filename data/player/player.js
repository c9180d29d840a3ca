// estuary browser player.
//
// estuaryPlay(stream, {target, host, forceEngine}) asks the server for the stream's playback
// methods (HOST/json_STREAM.js, manual 4.3.1), walks its `source` list in the server's order and
// plays the first one this browser can play:
//   - HLS natively when the <video> element says it can (Safari, iOS, recent Chromium),
//   - HLS through hls.js over Media Source Extensions (HOST/hls.min.js, loaded on first need),
//   - progressive MP4/WebM/... when canPlayType() accepts the MIME type.
// A fatal error moves on to the next source. When nothing plays, or the server reports the
// stream offline, an element of class `estuary-error` explains why; live streams (and streams
// not known to be VoD) are retried every few seconds until they play.
//
// `mistPlay` is the same function, so MistServer embed codes work unchanged.
(function () {
  'use strict';

  const HLS_MIME = 'application/vnd.apple.mpegurl';
  const RETRY_MS = 5000;

  // The folder this script came from (the server, maybe behind a proxy path): the default host,
  // as with MistServer's player.
  const scriptBase = (() => {
    try {
      return new URL('.', document.currentScript.src).href;
    } catch (e) {
      return window.location.origin;
    }
  })();

  let hlsJsPromise = null;  // one <script> load of hls.min.js per page, shared by all players

  function loadHlsJs(host) {
    if (window.Hls) return Promise.resolve(window.Hls);
    if (!hlsJsPromise) {
      hlsJsPromise = new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = host + '/hls.min.js';
        script.onload = () => (window.Hls ? resolve(window.Hls) : reject(new Error('no Hls')));
        script.onerror = () => reject(new Error('cannot load ' + script.src));
        document.head.appendChild(script);
      });
      // A failed load may be a passing network error: let the next attempt try again.
      hlsJsPromise.catch(() => { hlsJsPromise = null; });
    }
    return hlsJsPromise;
  }

  // "html5/video/mp4" -> "video/mp4"; null for methods that are not plain HTML5 media
  // (MistServer also lists flash/, dash/, ws/, webrtc ... which this player does not speak).
  function html5Mime(type) {
    if (typeof type !== 'string' || !type.startsWith('html5/')) return null;
    return type.slice('html5/'.length).split(';')[0].trim();
  }

  class Player {
    constructor(stream, options) {
      this.stream = stream;
      this.host = (options.host || scriptBase).replace(/\/+$/, '');
      this.forceEngine = options.forceEngine || null;
      this.target = options.target;
      this.info = null;     // the last json_STREAM.js answer
      this.sources = [];    // playable [{url, engine, type}] in the server's order
      this.index = -1;      // position in this.sources being played
      this.attempt = 0;     // bumped on every (re)start so late events of old attempts are ignored
      this.hls = null;      // the hls.js instance of the current attempt, if any
      this.retryTimer = 0;

      this.container = document.createElement('div');
      this.container.className = 'estuary-player';
      this.container.style.cssText =
          'position:relative;width:100%;height:100%;background:#000;overflow:hidden';
      this.target.appendChild(this.container);
    }

    async start() {
      const attempt = ++this.attempt;
      this.teardown();
      let info;
      try {
        const response = await fetch(this.host + '/json_' + encodeURIComponent(this.stream) + '.js',
                                     {cache: 'no-store'});
        const text = await response.text();
        try {
          info = JSON.parse(text);
        } catch (e) {
          if (attempt === this.attempt) {
            console.warn('estuary: unreadable stream info', e.message, text.slice(0, 200));
            this.fail('The server sent unreadable stream information.', true);
          }
          return;
        }
      } catch (e) {
        if (attempt === this.attempt) this.fail('Cannot reach the streaming server.', true);
        return;
      }
      if (attempt !== this.attempt) return;
      this.info = info;
      if (info.error) {
        this.fail(String(info.error), true);  // e.g. "Stream is offline"
        return;
      }
      this.sources = this.playableSources(info.source || []);
      this.index = -1;
      this.next();
    }

    // Keeps the sources this browser may play, in the server's order, each with its engine.
    // An HLS source appears twice when the browser has both native HLS and MSE: hls.js is the
    // fallback when native playback of that same source fails.
    playableSources(list) {
      const probe = document.createElement('video');
      const allowed = (engine) => !this.forceEngine || this.forceEngine === engine;
      const out = [];
      for (const source of list) {
        const mime = html5Mime(source.type);
        const url = mime && this.sourceUrl(source);
        if (!url) continue;
        if (mime.toLowerCase() === HLS_MIME || mime.toLowerCase() === 'application/x-mpegurl') {
          if (allowed('native') && probe.canPlayType(HLS_MIME)) {
            out.push({url, engine: 'native', type: source.type});
          }
          // Whether hls.js supports this browser is only known once it is loaded, in play().
          if (allowed('hlsjs') && (window.MediaSource || window.ManagedMediaSource)) {
            out.push({url, engine: 'hlsjs', type: source.type});
          }
        } else if (allowed('progressive') && probe.canPlayType(mime)) {
          out.push({url, engine: 'progressive', type: source.type});
        }
      }
      return out;
    }

    // The relative URL resolved against the host the page reached is preferred: the absolute one
    // names the host the server saw, which may be an internal address behind a proxy.
    sourceUrl(source) {
      try {
        if (source.relurl) return new URL(source.relurl, this.host + '/').href;
        if (source.url) return new URL(source.url, this.host + '/').href;
      } catch (e) {
        // an unparseable URL: skip this source
      }
      return null;
    }

    next() {
      this.teardown();
      this.index += 1;
      if (this.index >= this.sources.length) {
        // A live stream that is starting may list no sources yet, or ones not ready to play.
        this.fail(this.sources.length ? 'The stream cannot be played right now.'
                                      : 'This browser cannot play any format the stream is offered in.',
                  this.isLive());
        return;
      }
      this.play(this.sources[this.index]);
    }

    play(source) {
      const attempt = ++this.attempt;
      const video = document.createElement('video');
      video.controls = true;
      video.autoplay = true;
      video.muted = true;  // browsers only autoplay muted media
      video.playsInline = true;
      video.setAttribute('muted', '');
      video.setAttribute('playsinline', '');
      video.style.cssText = 'display:block;width:100%;height:100%;object-fit:contain';
      this.container.dataset.engine = source.engine;
      this.container.dataset.source = source.url;
      this.container.appendChild(video);
      this.video = video;

      const stale = () => attempt !== this.attempt;
      video.addEventListener('playing', () => { if (!stale()) this.clearError(); });
      video.addEventListener('error', () => { if (!stale()) this.next(); });
      // A live stream that "ends" has stopped at the server: start over from its info.
      video.addEventListener('ended', () => { if (!stale() && this.isLive()) this.retrySoon(); });

      if (source.engine === 'hlsjs') {
        loadHlsJs(this.host).then((Hls) => {
          if (stale()) return;
          if (!Hls.isSupported()) {
            this.next();
            return;
          }
          this.playHlsJs(Hls, video, source.url, stale);
        }, () => { if (!stale()) this.next(); });
      } else {
        video.src = source.url;
        const started = video.play();
        if (started) started.catch(() => {});  // autoplay refused: the controls remain usable
      }
    }

    playHlsJs(Hls, video, url, stale) {
      const hls = new Hls({liveDurationInfinity: true});
      this.hls = hls;
      let recovered = false;
      hls.on(Hls.Events.ERROR, (event, data) => {
        if (stale() || !data.fatal) return;
        // One media-error recovery (e.g. a decode hiccup at a discontinuity), then give up.
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
          recovered = true;
          hls.recoverMediaError();
          return;
        }
        this.next();
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    }

    isLive() {
      // Unknown type counts as live: an offline stream has no info yet and may come up.
      return !this.info || this.info.type !== 'vod';
    }

    fail(message, retry) {
      let box = this.container.querySelector('.estuary-error');
      if (!box) {
        box = document.createElement('div');
        box.className = 'estuary-error';
        box.setAttribute('role', 'alert');
        box.style.cssText =
            'position:absolute;inset:0;display:flex;align-items:center;justify-content:center;' +
            'padding:1em;color:#eee;background:#000;font:16px/1.4 sans-serif;text-align:center';
        this.container.appendChild(box);
      }
      box.textContent = message + (retry ? ' Retrying…' : '');
      if (retry) this.retrySoon();
    }

    clearError() {
      const box = this.container.querySelector('.estuary-error');
      if (box) box.remove();
    }

    retrySoon() {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.start(), RETRY_MS);
    }

    teardown() {
      if (this.hls) {
        this.hls.destroy();
        this.hls = null;
      }
      if (this.video) {
        this.video.removeAttribute('src');
        this.video.load();  // releases the decoder and the network connection
        this.video.remove();
        this.video = null;
      }
    }

    destroy() {
      this.attempt += 1;
      clearTimeout(this.retryTimer);
      this.teardown();
      this.container.remove();
    }
  }

  // Plays `stream` inside options.target (an element; required). options.host is the server's
  // base URL without a trailing slash (default: where this script was loaded from);
  // options.forceEngine ('native' | 'hlsjs' | 'progressive') restricts the choice, for testing.
  // Returns the player; player.destroy() stops it and removes what it added.
  function estuaryPlay(stream, options) {
    options = options || {};
    if (!options.target) throw new Error('estuaryPlay: options.target is required');
    const player = new Player(stream, options);
    player.start();
    return player;
  }

  window.estuaryPlay = estuaryPlay;
  window.mistPlay = estuaryPlay;
})();
