// A stand-in for estuary's HTTP output, limited to what the player uses: /player.js,
// /hls.min.js, /STREAM.html and /embed_STREAM.js rendered from the templates, /json_STREAM.js
// answered from a table the test controls, and static media files under /media/.
// It lets the player be tested without the server, and swaps answers at will (offline, online).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const TYPES = {
  '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.mp4': 'video/mp4',
  '.js': 'application/javascript', '.html': 'text/html; charset=utf-8',
};

export class MockOutput {
  // files: {player, hls, streamHtml, embedJs} paths; mediaDir: served under /media/.
  constructor(files, mediaDir) {
    this.files = files;
    this.mediaDir = mediaDir;
    this.streams = new Map();  // name -> json_NAME.js answer
    this.pages = new Map();    // extra pages: path -> html
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async listen() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.host = `http://127.0.0.1:${this.server.address().port}`;
    return this.host;
  }

  close() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }

  render(file, stream) {
    return fs.readFileSync(file, 'utf8').replaceAll('{{STREAM}}', stream)
        .replaceAll('{{HOST}}', this.host);
  }

  handle(req, res) {
    const url = new URL(req.url, this.host);
    const send = (status, type, body) => {
      res.writeHead(status, {'Content-Type': type, 'Cache-Control': 'no-store'});
      res.end(body);
    };
    let m;
    if (url.pathname === '/player.js') return send(200, TYPES['.js'], fs.readFileSync(this.files.player));
    if (url.pathname === '/hls.min.js') return send(200, TYPES['.js'], fs.readFileSync(this.files.hls));
    if (this.pages.has(url.pathname)) return send(200, TYPES['.html'], this.pages.get(url.pathname));
    if ((m = url.pathname.match(/^\/json_(.+)\.js$/))) {
      const info = this.streams.get(decodeURIComponent(m[1])) ?? {error: 'Stream not found'};
      return send(200, 'application/json', JSON.stringify(info));
    }
    if ((m = url.pathname.match(/^\/embed_(.+)\.js$/))) {
      return send(200, TYPES['.js'], this.render(this.files.embedJs, decodeURIComponent(m[1])));
    }
    if ((m = url.pathname.match(/^\/media\/([\w.-]+)$/))) {
      const file = path.join(this.mediaDir, m[1]);
      if (fs.existsSync(file)) {
        return send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', fs.readFileSync(file));
      }
      return send(404, 'text/plain', 'not found');
    }
    if ((m = url.pathname.match(/^\/(.+)\.html$/))) {
      return send(200, TYPES['.html'], this.render(this.files.streamHtml, decodeURIComponent(m[1])));
    }
    return send(404, 'text/plain', 'not found');
  }
}
