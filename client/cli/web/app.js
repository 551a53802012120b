// logcollect web: the page's script (served as /app.js).
//
// Records are hostile: everything from a record reaches the page through
// textContent or createTextNode, never parsed as HTML, and is already escaped
// by the server (the same C code as `logcollect tail`); the detail view
// escapes what JSON.stringify leaves (DEL and C1 controls).
//
// Live rows come from /events (Server-Sent Events) with the filter as
// query parameters; older ones from /history, read backwards from the
// oldest row shown; /stats feeds the chart.  At most MAX_ROWS rows stay in
// the page: scrolling up drops the newest, new rows drop the oldest, and
// either is loaded again from /history or by "Newest".
'use strict';

(function () {
  const MAX_ROWS = 2000;
  const HISTORY_CHUNK = 200;
  const CHART_SECONDS = 900;
  const $ = (id) => document.getElementById(id);
  const form = $('filters'), tbody = document.querySelector('#rows tbody');
  const scroller = $('scroll'), statusEl = $('status'), detail = $('detail');
  const recs = new WeakMap();          // tr -> row object, for the detail view

  let es = null, query = '', gen = null;
  let oldest = null, oldestMid = 0, historyDone = true, loading = false;
  let paused = false, held = [], heldDropped = 0;
  let detached = false, missed = 0;    // newest rows dropped while reading history
  let generation = 0;                  // bumps when the filter changes

  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.className = isError ? 'error' : '';
  }

  function escapeControls(s) {
    return s.replace(/[\u007f-\u009f]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  }

  function cell(cls, text) {
    const td = document.createElement('td');
    td.className = cls;
    td.textContent = text;
    return td;
  }

  function makeRow(r) {
    const tr = document.createElement('tr');
    tr.className = 'row';
    if (r.raw !== undefined) {
      tr.append(cell('time', '-'), cell('level', '?'), cell('src', ''), cell('msg', r.raw),
                cell('fields', '(not a JSON object)'));
    } else {
      tr.append(cell('time', r.t), cell('level lv-' + (r.lv | 0), r.ln), cell('src', r.src),
                cell('msg', r.msg), cell('fields', r.f));
    }
    recs.set(tr, r);
    return tr;
  }

  function noteRow(text) {
    const tr = document.createElement('tr');
    tr.className = 'note';
    const td = cell('msg', text);
    td.colSpan = 5;
    tr.append(td);
    return tr;
  }

  function atBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 30;
  }

  function rowCount() { return tbody.children.length; }

  function firstPos() {
    for (const tr of tbody.children) {
      const r = recs.get(tr);
      if (r) return r;
    }
    return null;
  }

  // Newest rows at the bottom; drop the oldest beyond MAX_ROWS.
  function appendRows(list) {
    if (detached) { missed += list.length; showDetached(); return; }
    const stick = atBottom();
    const frag = document.createDocumentFragment();
    for (const r of list) frag.append(r.note ? noteRow(r.note) : makeRow(r));
    tbody.append(frag);
    let dropped = false;
    while (rowCount() > MAX_ROWS) { tbody.firstElementChild.remove(); dropped = true; }
    if (dropped) {
      const r = firstPos();
      if (r && r.g === gen) { oldest = r.p; oldestMid = 0; historyDone = false; }
    }
    if (stick) scroller.scrollTop = scroller.scrollHeight;
  }

  function showDetached() {
    setStatus(missed + ' newer records not shown while reading history; "Newest" shows them');
  }

  function onRow(r) {
    if (paused) {
      held.push(r);
      if (held.length > MAX_ROWS) { held.shift(); heldDropped++; }
      setStatus('paused: ' + (held.length + heldDropped) + ' new records held');
      return;
    }
    appendRows([r]);
  }

  function resume() {
    paused = false;
    $('pause').textContent = 'Pause';
    $('pause').classList.remove('on');
    const list = held;
    held = [];
    if (heldDropped > 0 && list.length > 0 && list[0].g === gen) {
      // more arrived than the page keeps: show the newest, the rest by scrolling up
      tbody.replaceChildren();
      oldest = list[0].p;
      oldestMid = 0;
      historyDone = false;
      detached = false;
    }
    heldDropped = 0;
    appendRows(list);
    scroller.scrollTop = scroller.scrollHeight;
    setStatus('live');
  }

  async function loadHistory(first) {
    if (loading || historyDone || oldest === null) return;
    loading = true;
    const mine = generation;
    try {
      const url = '/history?' + query + (query ? '&' : '') + 'g=' + gen + '&before=' + oldest +
                  '&mid=' + oldestMid + '&n=' + HISTORY_CHUNK;
      const resp = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
      if (mine !== generation) return;
      if (!resp.ok) { setStatus('history: ' + (await resp.text()), true); historyDone = true; return; }
      const h = await resp.json();
      if (mine !== generation) return;
      oldest = h.next;
      oldestMid = h.mid ? 1 : 0;
      historyDone = h.done;
      prependRows(h.rows, first);
    } catch (e) {
      setStatus('history: ' + e, true);
    } finally {
      loading = false;
    }
    if (!historyDone && (scroller.scrollTop < 50 || rowCount() < HISTORY_CHUNK)) loadHistory(first);
  }

  function prependRows(list, first) {
    if (list.length === 0) return;
    const before = scroller.scrollHeight;
    const frag = document.createDocumentFragment();
    for (const r of list) frag.append(makeRow(r));
    tbody.prepend(frag);
    while (rowCount() > MAX_ROWS) { tbody.lastElementChild.remove(); detached = true; }
    if (first) scroller.scrollTop = scroller.scrollHeight;
    else scroller.scrollTop += scroller.scrollHeight - before;
    if (detached) showDetached();
  }

  function filterQuery() {
    const p = new URLSearchParams();
    for (const el of form.elements) {
      if (el.name && el.value.trim() !== '') p.append(el.name, el.value.trim());
    }
    return p.toString();
  }

  function connect() {
    if (es) es.close();
    generation++;
    tbody.replaceChildren();
    detail.textContent = 'Click a row to see all of its fields.';
    gen = null; oldest = null; historyDone = true; loading = false;
    held = []; heldDropped = 0; detached = false; missed = 0;
    query = filterQuery();
    setStatus('connecting');
    es = new EventSource('/events' + (query ? '?' + query : ''));
    es.addEventListener('hello', (ev) => {
      const h = JSON.parse(ev.data);
      if (gen === null) {
        gen = h.g; oldest = h.p; oldestMid = 0; historyDone = false;
        loadHistory(true);
      } else {
        appendRows([{ note: 'reconnected; records written meanwhile may be missing above' }]);
      }
      if (!paused) setStatus('live');
    });
    es.addEventListener('message', (ev) => onRow(JSON.parse(ev.data)));
    es.addEventListener('rotated', (ev) => {
      const r = JSON.parse(ev.data);
      gen = r.g;
      onRow({ note: 'the file was ' + r.why + '; following the new file' });
    });
    es.addEventListener('skipped', (ev) => {
      const n = JSON.parse(ev.data).n;
      onRow({ note: n + ' records skipped: the page did not keep up' });
    });
    es.onerror = () => {
      // EventSource retries by itself, unless the server refused the stream
      setStatus(es.readyState === EventSource.CLOSED ? 'the stream was closed; "Newest" reconnects'
                                                     : 'disconnected; retrying', true);
    };
  }

  // A bad filter is reported by the server; check it before connecting.
  async function applyFilters(ev) {
    if (ev) ev.preventDefault();
    const q = filterQuery();
    const resp = await fetch('/history?' + q + (q ? '&' : '') + 'n=1&before=0', { cache: 'no-store' });
    if (resp.status === 400) { setStatus(await resp.text(), true); return; }
    connect();
  }

  tbody.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr');
    const r = tr && recs.get(tr);
    if (!r) return;
    for (const s of tbody.querySelectorAll('tr.sel')) s.classList.remove('sel');
    tr.classList.add('sel');
    const value = r.rec !== undefined ? r.rec : r.raw;
    detail.textContent = escapeControls(JSON.stringify(value, null, 2));
  });

  scroller.addEventListener('scroll', () => {
    if (scroller.scrollTop < 50) loadHistory(false);
  });

  form.addEventListener('submit', applyFilters);
  $('pause').addEventListener('click', () => {
    if (paused) { resume(); return; }
    paused = true;
    $('pause').textContent = 'Resume';
    $('pause').classList.add('on');
    setStatus('paused');
  });
  $('newest').addEventListener('click', () => connect());

  // ---- the chart: records per second by level, last 15 minutes ----
  const SVG = 'http://www.w3.org/2000/svg';
  const GROUPS = [['err', [0, 1, 2, 3]], ['warn', [4]], ['info', [5, 6]], ['debug', [7]]];

  async function drawChart() {
    let s;
    try {
      const resp = await fetch('/stats', { cache: 'no-store' });
      if (!resp.ok) return;
      s = await resp.json();
    } catch (e) { return; }
    const svg = $('chart');
    let max = 1;
    const bars = [];
    for (const row of s.s) {
      const x = CHART_SECONDS - 1 - (s.now - row[0]);
      if (x < 0 || x >= CHART_SECONDS) continue;
      let total = 0;
      const parts = GROUPS.map(([cls, lv]) => {
        const n = lv.reduce((a, l) => a + row[1 + l], 0);
        total += n;
        return [cls, n];
      });
      max = Math.max(max, total);
      bars.push([x, parts]);
    }
    const frag = document.createDocumentFragment();
    for (const [x, parts] of bars) {
      let y = 60;
      for (const [cls, n] of parts) {
        if (n === 0) continue;
        const h = Math.max(1, (n / max) * 58);
        y -= h;
        const rect = document.createElementNS(SVG, 'rect');
        rect.setAttribute('class', cls);
        rect.setAttribute('x', String(x));
        rect.setAttribute('y', String(y));
        rect.setAttribute('width', '1');
        rect.setAttribute('height', String(h));
        rect.setAttribute('data-n', String(n));
        const title = document.createElementNS(SVG, 'title');
        title.textContent = n + ' ' + cls + ' at ' + new Date((s.now - (CHART_SECONDS - 1 - x)) * 1000).toLocaleTimeString();
        rect.append(title);
        frag.append(rect);
      }
    }
    svg.replaceChildren(frag);
    $('chartmax').textContent = 'peak ' + max + '/s';
  }

  connect();
  drawChart();
  setInterval(drawChart, 2000);
})();
