/**
 * Behaviour of the HTML ladder, inlined into the page. Plain ES5-level DOM code so it runs in
 * whatever browser opens a report. Message text only ever reaches the page through textContent:
 * details are raw SIP with <sip:…> and arbitrary bytes.
 *
 * Contract used by headless tests: g.arrow[data-index=i] ↔ i-th entry of #ladder-data, and the
 * selected message's text lands in pre#detail.
 */
export const LADDER_JS = `(function () {
  var data = JSON.parse(document.getElementById('ladder-data').textContent);
  var svg = document.getElementById('ladder');
  var meta = document.getElementById('detail-meta');
  var pre = document.getElementById('detail');
  var arrows = svg.querySelectorAll('g.arrow');
  var current = -1;

  function select(i, scroll) {
    if (i < 0 || i >= arrows.length) return;
    if (current >= 0) arrows[current].classList.remove('sel');
    current = i;
    var g = arrows[i];
    g.classList.add('sel');
    meta.textContent = data[i].summary;
    pre.textContent = data[i].detail;
    pre.scrollTop = 0;
    if (scroll && g.scrollIntoView) g.scrollIntoView({ block: 'nearest' });
  }

  function nextMarked(step) {
    for (var i = current + step; i >= 0 && i < arrows.length; i += step) {
      if (arrows[i].classList.contains('marked')) return select(i, true);
    }
  }

  svg.addEventListener('click', function (e) {
    var g = e.target && e.target.closest ? e.target.closest('g.arrow') : null;
    if (g) select(Number(g.getAttribute('data-index')), false);
  });

  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var k = e.key;
    if (k === 'ArrowDown' || k === 'j') select(current < 0 ? 0 : current + 1, true);
    else if (k === 'ArrowUp' || k === 'k') select(current < 0 ? 0 : current - 1, true);
    else if (k === 'n') nextMarked(1);
    else if (k === 'p') nextMarked(-1);
    else return;
    e.preventDefault();
  });

  // A failure report is opened to look at the offending message: show it straight away.
  var first = svg.querySelector('g.arrow.marked');
  if (first) select(Number(first.getAttribute('data-index')), true);
})();`;
