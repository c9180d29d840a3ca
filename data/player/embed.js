// Inline embedding, served as /embed_STREAM.js (manual 4.3.3): a page writes
//   <script src="http://HOST/embed_STREAM.js"></script>
// and the stream plays right where that tag is. The HTTP output replaces the placeholders STREAM
// and HOST written in double braces below; both sit inside JS string literals, so they must be
// substituted JSON-string-escaped.
(function () {
  'use strict';
  var stream = "{{STREAM}}";
  var host = "{{HOST}}";
  var here = document.currentScript;
  var target = document.createElement('div');
  target.className = 'estuary-embed';
  target.style.cssText = 'width:100%;max-width:100%;aspect-ratio:16/9;background:#000';
  here.parentNode.insertBefore(target, here);

  function play() {
    window.estuaryPlay(stream, {target: target, host: host});
  }
  if (window.estuaryPlay) {
    play();
    return;
  }
  // player.js may already be on its way from another embed on the same page.
  var loader = document.querySelector('script[data-estuary-player]');
  if (!loader) {
    loader = document.createElement('script');
    loader.src = host + '/player.js';
    loader.setAttribute('data-estuary-player', '');
    document.head.appendChild(loader);
  }
  loader.addEventListener('load', play);
  loader.addEventListener('error', function () {
    target.innerHTML = '';
    var box = document.createElement('div');
    box.className = 'estuary-error';
    box.style.cssText = 'color:#eee;padding:1em;font:16px sans-serif';
    box.textContent = 'The player could not be loaded from ' + host + '.';
    target.appendChild(box);
  });
})();
