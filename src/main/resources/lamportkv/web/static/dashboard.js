// lamportkv dashboard: live through Server-Sent Events (/api/events), no library.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const MAX_EVENTS = 1200;       // kept in the page, for the diagram
  const LOG_ROWS = 250;
  const COL = 46;                // px between two columns of the diagram
  const LANE = 70;               // px between two lanes
  const TOP = 34;
  const DOT = 7;
  const FLIGHT_MS = 20000;       // a send without its receive is drawn in flight this long (or while its receiver is down)
  const RATE_POINTS = 60;
  const QUIET_MS = 1000;         // a clock or the data that changed less recently than this flashes
  const PALETTE = ['var(--r1)', 'var(--r2)', 'var(--r3)', 'var(--r4)', 'var(--r5)', 'var(--r6)', 'var(--r7)'];
  const PALETTE_HEX = ['#7c3aed', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#9f1239'];
  // The form's operations (as Controls.OPERATIONS): each argument in the order of its words, with
  // its field in POST /api/op, its name over the input and the shell's word for it as placeholder.
  const arg = (field, name, word, optional) => ({ field, name, word, optional: !!optional });
  const KEY = arg('key', 'key', 'KEY');
  const NUMBER = arg('value', 'number', 'N');
  const NAME = arg('name', 'lock name', 'NAME');
  const TOKEN = arg('token', 'token', 'TOKEN');
  const OPERATIONS = {
    set: { args: [KEY, arg('value', 'value', 'VALUE')], help: 'store VALUE, a number if it parses as one, else text' },
    add: { args: [KEY, NUMBER], help: 'add N to the number at KEY; prints the new value' },
    mult: { args: [KEY, NUMBER], help: 'multiply the number at KEY by N; prints the new value' },
    get: { args: [KEY], help: 'the value at KEY, or (nil)' },
    del: { args: [KEY], help: 'remove KEY; prints 1 if it existed, else 0' },
    cas: {
      args: [KEY, arg('expected', 'expected', 'EXPECTED'), arg('value', 'new value', 'NEW')],
      help: 'store NEW if KEY holds EXPECTED ((nil): absent); prints 1 if it did, else 0',
    },
    rev: {
      args: [arg('key', 'key (optional)', '[KEY]', true)],
      help: 'the current revision (position in the order), or that of KEY\'s last change (0: never written)',
    },
    lock: {
      args: [NAME, arg('ttl', 'ttl (s)', 'TTL'), arg('wait', 'wait (s)', '[WAIT]', true)],
      help: 'hold lock NAME for TTL s, or join its queue (for at most WAIT s, default 3600; renew within TTL to stay);'
        + ' prints granted TOKEN or queued TOKEN',
    },
    renew: {
      args: [NAME, TOKEN],
      help: 'extend TOKEN\'s lease by its TTL; prints 1, or 0 if TOKEN no longer holds or waits for NAME',
    },
    unlock: {
      args: [NAME, TOKEN],
      help: 'release NAME, or leave its queue; prints 1, or 0 if TOKEN no longer holds or waits for it',
    },
  };

  const state = {
    self: 0,
    ids: [],
    replicas: new Map(),   // id -> ReplicaJson
    data: new Map(),       // id -> DataJson
    events: [],            // EventJson, in arrival order
    eventIds: new Set(),
    missed: 0,
    switches: { autoTick: false, slowMotion: 0 },
    selected: '',          // a request id "ts.origin"
    follow: true,
    dataReplica: 0,
    rates: new Map(),      // id -> [{t, rate}]
    lastExecuted: new Map(),
    lastValues: new Map(), // key -> value, of the data table shown
    dirty: true,
    drawn: null,           // the x range the diagram last drew
    view: 0,               // the diagram's visible width
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svg = (tag, attrs, cls) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (cls) e.setAttribute('class', cls);
    return e;
  };
  const colorOf = (id) => PALETTE[(state.ids.indexOf(id) + PALETTE.length) % PALETTE.length];
  const hexOf = (id) => PALETTE_HEX[(state.ids.indexOf(id) + PALETTE_HEX.length) % PALETTE_HEX.length];
  const two = (n) => String(n).padStart(2, '0');
  // HH:MM:SS in local time, by hand: toLocaleTimeString is slow for hundreds of log lines.
  const clockTime = (ms) => {
    const d = new Date(ms);
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  };
  const time = (ms) => clockTime(ms) + '.' + String(new Date(ms).getMilliseconds()).padStart(3, '0');
  const reqLabel = (r) => r ? '(' + r.replace('.', ',') + ')' : '';
  // Why a replica takes no client operations (excluded, changing views), or '' while it is a working member.
  const outside = (r) => (r && r.view && r.view.condition) || '';
  const viewText = (v) => v.number + ' (' + v.members.join(' ') + ')';

  // ---- the stream ---------------------------------------------------------------------------

  function connect() {
    const source = new EventSource('api/events');
    const conn = $('connection');
    source.addEventListener('open', () => { conn.dataset.state = 'live'; conn.textContent = 'live'; });
    source.addEventListener('error', () => {
      conn.dataset.state = 'lost';
      conn.textContent = 'reconnecting…';
    });
    source.addEventListener('cluster', (m) => {
      const c = JSON.parse(m.data);
      state.self = c.self;
      state.events = [];
      state.eventIds.clear();
      state.dirty = true;
      state.missed = c.missedEvents;
      applyReplicas(c.replicas);
      for (const d of c.data) state.data.set(d.replica, d);
      addEvents(c.events);
      state.switches = c.switches;
      if (!state.dataReplica) state.dataReplica = c.self;
      buildStatic();
      render();
    });
    source.addEventListener('update', (m) => {
      const u = JSON.parse(m.data);
      applyReplicas(u.replicas);
      for (const d of u.data) state.data.set(d.replica, d);
      addEvents(u.events);
      state.missed = u.missedEvents;
      state.switches = u.switches;
      render();
    });
  }

  function applyReplicas(list) {
    const ids = list.map((r) => r.id);
    const changed = ids.join(',') !== state.ids.join(',');
    state.ids = ids;
    for (const r of list) {
      const before = state.replicas.get(r.id);
      if (!before || before.reachable !== r.reachable || outside(before) !== outside(r)) {
        state.dirty = true;   // its lane is drawn differently
      }
      state.replicas.set(r.id, r);
    }
    if (changed) buildStatic();
  }

  function addEvents(list) {
    for (const e of list) {
      if (state.eventIds.has(e.id)) continue;
      state.eventIds.add(e.id);
      state.events.push(e);
      state.dirty = true;
    }
    if (state.events.length > MAX_EVENTS) {
      for (const old of state.events.splice(0, state.events.length - MAX_EVENTS)) state.eventIds.delete(old.id);
    }
  }

  // ---- parts built once per membership ----------------------------------------------------------

  function buildStatic() {
    $('served-by').textContent = 'cluster dashboard · served by replica ' + state.self + ' · '
      + state.ids.length + ' replicas';
    document.title = 'lamportkv · replica ' + state.self;
    const box = $('replicas');
    box.replaceChildren();
    for (const id of state.ids) box.append(card(id));
    for (const sel of [$('op-replica'), $('data-replica')]) {
      const keep = Number(sel.value) || (sel.id === 'data-replica' ? state.dataReplica : state.self);
      sel.replaceChildren(...state.ids.map((id) => {
        const o = el('option', '', 'replica ' + id);
        o.value = String(id);
        return o;
      }));
      sel.value = String(state.ids.includes(keep) ? keep : state.self);
    }
  }

  function card(id) {
    const c = el('article', 'card');
    c.id = 'replica-' + id;
    c.style.setProperty('--rc', colorOf(id));
    const head = el('div', 'card-head');
    head.append(el('span', 'name', 'replica ' + id));
    if (id === state.self) head.append(el('span', 'self', 'this page'));
    head.append(el('span', 'addr'));
    const badge = el('span', 'badge');
    badge.id = 'reach-' + id;
    head.append(badge);
    const why = el('div', 'why');
    why.id = 'why-' + id;
    const condition = el('div', 'condition');
    condition.id = 'condition-' + id;
    const body = el('div', 'card-body');
    const clockBox = el('div');
    clockBox.append(el('div', 'clock-label', 'Lamport clock'));
    const clock = el('div', 'clock-value', '–');
    clock.id = 'clock-' + id;
    clockBox.append(clock);
    const stats = el('dl', 'stats');
    stats.id = 'stats-' + id;
    const tick = el('button', '', 'Internal event');
    tick.id = 'tick-' + id;
    tick.title = 'The tick command on replica ' + id + ': its clock + 1';
    tick.addEventListener('click', () => post('api/tick', { replica: id }).catch((e) => showResult('error', e.message)));
    body.append(clockBox, stats, tick);
    const bufferBox = el('div', 'buffer-box');
    const buffer = el('table', 'buffer');
    buffer.id = 'buffer-' + id;
    bufferBox.append(buffer);
    const locksBox = el('div', 'locks-box');
    const locks = el('table', 'locks');
    locks.id = 'locks-' + id;
    locksBox.append(locks);
    c.append(head, why, condition, body, bufferBox, locksBox);
    return c;
  }

  // ---- rendering -------------------------------------------------------------------------------

  // At most once a frame, whatever arrives meanwhile: the stream may bring several updates at once.
  let renderFrame = 0;
  function render() {
    if (!renderFrame) renderFrame = requestAnimationFrame(renderNow);
  }

  function renderNow() {
    renderFrame = 0;
    for (const id of state.ids) renderCard(id);
    renderSwitches();
    renderData();
    if (state.dirty) {
      renderDiagram();
      renderLog();
      state.dirty = false;
    }
  }

  function renderCard(id) {
    const r = state.replicas.get(id);
    const c = $('replica-' + id);
    if (!r || !c) return;
    const shown = JSON.stringify([r.address, r.reachable, r.error, r.unreachableSince, r.lastSeen > 0, r.clock, r.applied,
      r.executed, r.digest, r.peers, r.bufferLength, r.unstamped, r.buffer, r.slowMotion, r.view, r.lockCount, r.locks]);
    if (c.dataset.shown === shown) return;     // nothing it shows changed: leave the page alone
    c.dataset.shown = shown;
    c.querySelector('.addr').textContent = r.address;
    c.classList.toggle('down', !r.reachable);
    const badge = $('reach-' + id);
    badge.className = 'badge ' + (r.reachable ? 'up' : 'down');
    badge.textContent = r.reachable ? 'reachable'
      : (r.unreachableSince ? 'unreachable since ' + clockTime(r.unreachableSince) : 'unreachable');
    const why = $('why-' + id);
    why.textContent = r.reachable ? '' : r.error;
    why.title = why.textContent;
    // A replica outside a working view is greyed, saying why; while unreachable, what it last said is stale.
    c.classList.toggle('outside', r.reachable && !!outside(r));
    const condition = $('condition-' + id);
    condition.textContent = r.reachable ? outside(r) : '';
    condition.title = condition.textContent;
    const clock = $('clock-' + id);
    const text = r.lastSeen ? String(r.clock) : '–';
    if (clock.textContent !== text) {
      clock.textContent = text;
      // A change after a quiet second is flashed (Web Animations: no forced layout); a clock that
      // changes all the time is not, or the page would redraw without end.
      const now = performance.now();
      if (now - (Number(clock.dataset.changed) || 0) > QUIET_MS) {
        clock.animate([{ color: '#4338ca', transform: 'scale(1.08)' }, { color: 'inherit', transform: 'none' }],
          { duration: 600, easing: 'ease-out' });
      }
      clock.dataset.changed = String(now);
    }
    const stats = $('stats-' + id);
    stats.replaceChildren();
    const stat = (label, value, title) => {
      const dt = el('dt', '', label);
      const dd = el('dd');
      dd.append(value);
      dt.title = dd.title = title;
      stats.append(dt, dd);
      return dd;
    };
    if (r.lastSeen) {
      stat('view', viewText(r.view), 'its view: number ' + r.view.number + ', members ' + r.view.members.join(' ')
        + (outside(r) ? '; ' + outside(r) : ', a working member') + '; ' + r.view.changes + ' installed since it started');
    }
    stat('applied', String(r.applied), 'operations applied here, from every origin');
    stat('executed', String(r.executed), 'operations this replica executed as origin since it started');
    stat('digest', r.digest ? r.digest.slice(0, 8) : '–', 'digest of its data (as hash): equal on replicas with equal data');
    const links = stat('links', '', 'this replica\'s links to its peers, as it sees them');
    links.id = 'links-' + id;
    for (const p of r.peers) {
      const s = el('span', p.reachable ? 'up' : 'down', '→' + p.id + (p.reachable ? ' ✓' : ' ✗') + ' ');
      s.title = 'replica ' + id + '\'s link to replica ' + p.id + (p.reachable ? ': reachable' : ': unreachable')
        + (p.waiting ? ', ' + p.waiting + ' of its requests wait for it' : '');
      links.append(s);
    }
    renderBuffer($('buffer-' + id), r);
    renderLocks($('locks-' + id), r);
  }

  function renderBuffer(table, r) {
    table.replaceChildren();
    const cap = el('caption', '', 'buffer: ' + (r.bufferLength === 0 ? (r.slowMotion ? 'empty' : 'empty, nothing waits to be applied')
      : r.bufferLength + (r.bufferLength === 1 ? ' request waits' : ' requests wait')
        + (r.bufferLength > r.buffer.length ? ' (first ' + r.buffer.length + ' shown)' : ''))
      + (r.unstamped ? ' · ' + r.unstamped + (r.unstamped === 1 ? ' operation' : ' operations') + ' queued to be stamped' : '')
      + (r.slowMotion ? ' · slow motion' : ''));
    cap.title = [r.unstamped ? 'client operations that arrived while this replica\'s own requests wait: they are stamped'
      + ' together, as one batch, once those have left its buffer' : '',
    r.slowMotion ? 'slow motion: replica ' + r.id + ' holds each incoming batch of messages '
      + (r.slowMotion / 1000) + ' s before taking it in' : ''].filter(Boolean).join('; ');
    table.append(cap);
    if (r.buffer.length === 0) return;
    const head = el('tr');
    for (const h of ['request', 'origin', 'op', 'OKs']) head.append(el('th', '', h));
    table.append(head);
    for (const p of r.buffer) {
      const own = p.origin === r.id;
      const tr = el('tr', own ? (p.oks === p.oksNeeded ? 'ready' : 'waiting') : '');
      const oks = own ? p.oks + '/' + p.oksNeeded : (p.released ? 'released' : '–');
      tr.append(el('td', '', '(' + p.ts + ',' + p.origin + ')'), el('td', '', String(p.origin)),
        el('td', 'op', p.op), el('td', 'oks' + (p.released ? ' released' : ''), oks));
      tr.title = own ? 'its own request: holds ' + p.oks + ' of ' + p.oksNeeded + ' OKs'
        : (p.released ? 'released by APPLY: applied once it heads the buffer' : 'waits for APPLY from replica ' + p.origin);
      table.append(tr);
    }
  }

  // The locks this replica's lock table holds. A lease's time left counts down in the browser
  // (tickLeases), from its end in the order's time: close to the replicas' wall clocks.
  function renderLocks(table, r) {
    table.replaceChildren();
    table.append(el('caption', '', r.lockCount === 0 ? 'no locks held'
      : r.lockCount + (r.lockCount === 1 ? ' lock held' : ' locks held')
        + (r.lockCount > r.locks.length ? ' (first ' + r.locks.length + ' shown)' : '')));
    if (r.locks.length === 0) return;
    const head = el('tr');
    for (const h of ['lock', 'token', 'lease left', 'waiting']) head.append(el('th', '', h));
    table.append(head);
    for (const l of r.locks) {
      const tr = el('tr');
      const left = el('td', 'left');
      left.dataset.expires = String(l.expiresAt);
      showLeaseLeft(left);
      tr.append(el('td', 'name', l.name), el('td', '', String(l.token)), left, el('td', '', String(l.waiting)));
      tr.title = 'lock ' + l.name + ': held by token ' + l.token + ' until ' + clockTime(l.expiresAt) + ' unless renewed; '
        + (l.waiting === 0 ? 'nobody waits' : l.waiting + (l.waiting === 1 ? ' request waits' : ' requests wait')) + ' in line';
      table.append(tr);
    }
  }

  // "42 s", "3 min 05 s", "2 h 07 min"; "ended" once the lease is over, until the replicas let go of it
  // (as soon as the order's time passes its end: within a fraction of a second).
  function showLeaseLeft(td) {
    const ms = Number(td.dataset.expires) - Date.now();
    td.classList.toggle('ended', ms <= 0);
    const s = Math.ceil(ms / 1000);
    const text = ms <= 0 ? 'ended' : s < 60 ? s + ' s' : s < 3600 ? Math.floor(s / 60) + ' min ' + two(s % 60) + ' s'
      : Math.floor(s / 3600) + ' h ' + two(Math.floor(s / 60) % 60) + ' min';
    if (td.textContent !== text) td.textContent = text;
  }

  function tickLeases() {
    for (const td of document.querySelectorAll('.locks td.left')) showLeaseLeft(td);
  }

  function renderSwitches() {
    const auto = $('auto-tick');
    const slow = $('slow-motion');
    if (document.activeElement !== auto) auto.checked = state.switches.autoTick;
    if (document.activeElement !== slow) slow.checked = state.switches.slowMotion > 0;
  }

  function renderData() {
    const id = Number($('data-replica').value) || state.self;
    const d = state.data.get(id);
    const body = $('data-table').tBodies[0];
    const digests = state.ids.map((i) => state.replicas.get(i)).filter((r) => r && r.reachable && r.digest);
    const agree = $('agreement');
    if (digests.length > 1) {
      const same = digests.every((r) => r.digest === digests[0].digest && r.applied === digests[0].applied);
      agree.className = 'agreement ' + (same ? 'same' : 'differ');
      agree.textContent = same ? '✓ replicas ' + digests.map((r) => r.id).join(', ') + ' hold the same data (digest '
        + digests[0].digest.slice(0, 8) + ', ' + digests[0].applied + ' applied)'
        : 'replicas differ for now (operations still being applied): '
          + digests.map((r) => r.id + ': ' + r.applied + ' applied').join(', ');
    } else {
      agree.textContent = '';
    }
    if (!d) return;
    const key = id + ':' + d.keyCount + ':' + d.entries.map((e) => e.key + '=' + e.value).join('\u0000');
    if (body.dataset.key === key) return;
    const sameReplica = body.dataset.replica === String(id);
    body.dataset.key = key;
    body.dataset.replica = String(id);
    body.replaceChildren();
    if (d.entries.length === 0) {
      const tr = el('tr');
      const td = el('td', 'empty', 'no keys yet: run set x 1');
      td.colSpan = 2;
      tr.append(td);
      body.append(tr);
    }
    const values = new Map();
    // Changed rows flash, unless the data changes all the time (as above for the clocks).
    const now = performance.now();
    const flash = sameReplica && now - (Number(body.dataset.changed) || 0) > QUIET_MS;
    body.dataset.changed = String(now);
    for (const e of d.entries) {
      const tr = el('tr');
      tr.dataset.key = e.key;
      if (flash && state.lastValues.get(e.key) !== e.value) tr.classList.add('changed');
      tr.append(el('td', '', e.key), el('td', '', e.value));
      body.append(tr);
      values.set(e.key, e.value);
    }
    state.lastValues = values;
    $('data-count').textContent = d.keyCount + (d.keyCount === 1 ? ' key' : ' keys')
      + (d.keyCount > d.entries.length ? ' (first ' + d.entries.length + ' shown)' : '');
  }

  // ---- the space-time diagram --------------------------------------------------------------
  //
  // One lane per replica. x is the order of Lamport stamps: every event with stamp t sits in
  // t's column, so each arrow points right (a receive's stamp exceeds its send's) and events
  // with equal stamps line up. Executions, applies and view changes do not tick the clock; they
  // sit just after the event that caused them, a view change in a column of its own.

  function eventKey(e) {
    return e.clock * 3 + (e.kind === 'execute' || e.kind === 'apply' ? 1 : e.kind === 'view' ? 2 : 0);
  }

  function renderDiagram() {
    const events = state.events;
    const root = $('diagram');
    const scroller = $('diagram-scroll');
    const lanes = state.ids;
    const laneY = new Map(lanes.map((id, i) => [id, TOP + i * LANE]));
    const keys = [...new Set(events.filter((e) => laneY.has(e.replica)).map(eventKey))].sort((a, b) => a - b);
    const column = new Map(keys.map((k, i) => [k, i]));
    // The visible width, as last measured (reading it here would make the browser lay out the page).
    const view = state.view || (state.view = scroller.clientWidth) || 800;
    const width = Math.max(view, 40 + (keys.length + 1) * COL + 40);
    const height = TOP + (lanes.length - 1) * LANE + 24;
    if (root.getAttribute('width') !== String(width) || root.getAttribute('height') !== String(height)) {
      root.setAttribute('width', width);
      root.setAttribute('height', height);
      root.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    }
    const xOf = (e) => 40 + column.get(eventKey(e)) * COL;
    // Only what is near the visible part is drawn (a viewport's width on either side), so a long
    // history costs the browser little; scrolling further draws again (see setUpControls).
    const left = state.follow ? Math.max(0, width - view) : Math.min(scroller.scrollLeft, Math.max(0, width - view));
    const drawn = { lo: left - view, hi: left + 2 * view };
    state.drawn = drawn;
    const near = (x1, x2) => Math.max(x1, x2) >= drawn.lo && Math.min(x1, x2) <= drawn.hi;

    // Dots: one per (replica, column); a REQUEST to every peer is one send.
    const dots = new Map();
    for (const e of events) {
      if (!laneY.has(e.replica) || e.kind === 'view') continue;
      const k = e.replica + ':' + eventKey(e);
      let d = dots.get(k);
      if (!d) {
        d = { replica: e.replica, x: xOf(e), y: laneY.get(e.replica), events: [], requests: new Set() };
        dots.set(k, d);
      }
      d.events.push(e);
      if (e.request) d.requests.add(e.request);
    }
    const dotOf = (e) => dots.get(e.replica + ':' + eventKey(e));

    // The arrow heads and the layers are made once; each drawing replaces what the layers hold.
    if (!root.firstChild) root.append(markers(), svg('g'), svg('g'), svg('g'), svg('g'));
    const [, lanesLayer, arrowsLayer, dotsLayer, labelsLayer] = root.children;
    const layers = { lanes: [], arrows: [], dots: [], labels: [] };
    for (const id of lanes) {
      const r = state.replicas.get(id);
      const y = laneY.get(id);
      layers.lanes.push(svg('line', { x1: 0, y1: y, x2: width, y2: y }, 'lane' + (r && !r.reachable ? ' down' : '')));
    }

    // Arrows: a send and its receive share (from, to, link). Links are FIFO, so a send whose link
    // shows a later receive was received too (its receive is one of the events not shown): no
    // arrow for it, rather than one "in flight" across the whole diagram.
    const receives = new Map();
    const lastReceived = new Map();
    for (const e of events) {
      if (e.kind !== 'receive') continue;
      const link = e.peer + '>' + e.replica;
      receives.set(link + '#' + e.link, e);
      lastReceived.set(link, Math.max(lastReceived.get(link) || 0, e.link));
    }
    const lastX = 40 + keys.length * COL;
    const now = Date.now();
    const sel = state.selected;
    for (const s of events) {
      if (s.kind !== 'send' || !laneY.has(s.peer) || !laneY.has(s.replica)) continue;
      const link = s.replica + '>' + s.peer;
      const r = receives.get(link + '#' + s.link);
      const from = dotOf(s);
      let x2, y2, flight = false;
      if (r && dotOf(r)) {
        const to = dotOf(r);
        x2 = to.x; y2 = to.y;
      } else if ((lastReceived.get(link) || 0) < s.link
          && (now - s.time < FLIGHT_MS || !(state.replicas.get(s.peer) || {}).reachable)) {
        x2 = Math.max(lastX, from.x + COL); y2 = laneY.get(s.peer); flight = true;
      } else {
        continue;
      }
      if (!near(from.x, x2)) continue;
      const [a, b] = shorten(from.x, from.y, x2, y2, DOT + 1, flight ? 0 : DOT + 2);
      let cls = 'arrow ' + s.message + (flight ? ' flight' : '');
      if (sel) cls += s.request === sel ? ' hl' : ' dim';
      const line = svg('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1], 'marker-end': 'url(#head-' + s.message + ')' }, cls);
      const hit = svg('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, 'hit');
      const tip = [s.message + ' ' + reqLabel(s.request) + (s.op ? ' ' + s.op : ''),
        'replica ' + s.replica + ' → replica ' + s.peer + ', link #' + s.link,
        'sent at L=' + s.clock + (r ? ', received at L=' + r.clock : flight ? ', not received yet' : '')];
      hit.addEventListener('mousemove', (ev) => showTip(ev, tip[0], tip.slice(1)));
      hit.addEventListener('mouseleave', hideTip);
      hit.addEventListener('click', (ev) => { ev.stopPropagation(); select(s.request); });
      layers.arrows.push(line, hit);
    }

    drawViews(events, laneY, xOf, near, height, layers);

    for (const d of dots.values()) {
      if (!near(d.x, d.x)) continue;
      const first = d.events[0];
      const kind = first.kind;
      let shape;
      if (kind === 'execute' || kind === 'apply') {
        const r = DOT + 1;
        shape = svg('path', { d: `M${d.x} ${d.y - r} L${d.x + r} ${d.y} L${d.x} ${d.y + r} L${d.x - r} ${d.y} Z` },
          'dot ' + (d.events.some((e) => e.kind === 'execute') ? 'execute' : 'apply'));
      } else {
        shape = svg('circle', { cx: d.x, cy: d.y, r: kind === 'receive' ? DOT - 1 : DOT }, 'dot ' + kind + ' ' + first.message);
        layers.labels.push(svgText(d.x, d.y - DOT - 6, String(first.clock)));
      }
      if (sel) shape.classList.add(d.requests.has(sel) ? 'hl' : 'dim');
      shape.dataset.replica = String(d.replica);
      shape.addEventListener('mousemove', (ev) => showTip(ev, 'replica ' + d.replica + ' · L=' + first.clock,
        d.events.map(describe)));
      shape.addEventListener('mouseleave', hideTip);
      shape.addEventListener('click', (ev) => {
        ev.stopPropagation();
        const req = [...d.requests][0] || '';
        select(req === state.selected ? '' : req);
      });
      layers.dots.push(shape);
    }
    $('missed').textContent = state.missed > 0 ? state.missed + ' events not shown (too many at once)' : '';
    lanesLayer.replaceChildren(...layers.lanes);
    arrowsLayer.replaceChildren(...layers.arrows);
    dotsLayer.replaceChildren(...layers.dots);
    labelsLayer.replaceChildren(...layers.labels);

    const labels = $('lane-labels');
    labels.style.height = height + 'px';
    labels.replaceChildren(...lanes.map((id) => {
      const r = state.replicas.get(id);
      const l = el('div', 'lane-label' + (r && !r.reachable ? ' down' : r && outside(r) ? ' outside' : ''));
      l.style.top = laneY.get(id) + 'px';
      l.title = r && r.reachable ? outside(r) : '';
      l.style.setProperty('--rc', colorOf(id));
      const name = el('div', '', 'replica ' + id);
      if (r && !r.reachable) name.append(el('span', 'state', 'unreachable'));
      l.append(el('span', 'chip'), name);
      return l;
    }));
    if (state.follow) scroller.scrollLeft = width;      // the browser stops at the end
    renderSelection();
  }

  // View events: a line across every lane at the column where it happened (after the replica's
  // last event: a view change does not tick the clock), labelled with the view, and a mark on
  // the lane of each replica that reported it. Reports in one column share one line.
  function drawViews(events, laneY, xOf, near, height, layers) {
    const byX = new Map();
    for (const e of events) {
      if (e.kind !== 'view' || !laneY.has(e.replica)) continue;
      const x = xOf(e);
      if (!byX.has(x)) byX.set(x, []);
      byX.get(x).push(e);
    }
    for (const [x, list] of byX) {
      if (!near(x, x)) continue;
      const label = [...new Set(list.map((e) => 'view ' + e.view))].join(' / ');
      const tip = list.map((e) => 'replica ' + e.replica + ': ' + e.op);
      layers.lanes.push(svg('line', { x1: x, y1: 13, x2: x, y2: height - 4 }, 'view-line'));
      const text = svg('text', { x: x + 4, y: 11 }, 'view-label');
      text.textContent = label;
      layers.labels.push(text);
      const hit = svg('line', { x1: x, y1: 4, x2: x, y2: height - 4 }, 'view-hit');
      hit.addEventListener('mousemove', (ev) => showTip(ev, label, tip));
      hit.addEventListener('mouseleave', hideTip);
      layers.dots.push(hit);
      for (const e of list) {
        const y = laneY.get(e.replica);
        layers.dots.push(svg('rect', { x: x - 4, y: y - 4, width: 8, height: 8 }, 'view-mark'));
      }
    }
  }

  function svgText(x, y, text) {
    const t = svg('text', { x, y }, 'stamp');
    t.textContent = text;
    return t;
  }

  function markers() {
    const defs = svg('defs');
    for (const m of ['REQUEST', 'OK', 'APPLY']) {
      const marker = svg('marker', { id: 'head-' + m, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7,
        markerHeight: 7, orient: 'auto-start-reverse' });
      marker.append(svg('path', { d: 'M0 0 L10 5 L0 10 z' }, 'head-' + m));
      defs.append(marker);
    }
    return defs;
  }

  function shorten(x1, y1, x2, y2, start, end) {
    const dx = x2 - x1, dy = y2 - y1;
    const len = Math.hypot(dx, dy) || 1;
    return [[x1 + dx / len * start, y1 + dy / len * start], [x2 - dx / len * end, y2 - dy / len * end]];
  }

  function describe(e) {
    const req = reqLabel(e.request);
    switch (e.kind) {
      case 'tick': return 'internal event: L=' + e.clock;
      case 'send': return 'sent ' + e.message + ' ' + req + (e.op ? ' ' + e.op : '') + ' → replica ' + e.peer
        + ' (link #' + e.link + ')' + (e.message === 'APPLY' ? ' result ' + e.result : '');
      case 'receive': return 'received ' + e.message + ' ' + req + (e.op ? ' ' + e.op : '') + ' from replica ' + e.peer
        + ' (link #' + e.link + '), L=' + e.clock;
      case 'execute': return 'executed its ' + req + ' ' + e.op + ' = ' + e.result + (e.ok ? '' : ' (failed)');
      case 'view': return e.op;
      default: return 'applied ' + req + ' ' + e.op + ' = ' + e.result + (e.ok ? '' : ' (failed)');
    }
  }

  // ---- selection ---------------------------------------------------------------------------

  function select(request) {
    state.selected = request || '';
    state.dirty = true;
    render();
  }

  function renderSelection() {
    const box = $('selection');
    const sel = state.selected;
    if (!sel) {
      box.replaceChildren('Click a dot, an arrow or a log line to follow its request\'s messages. '
        + 'Numbers are Lamport stamps; hover for details.');
      return;
    }
    const mine = state.events.filter((e) => e.request === sel);
    const origin = Number(sel.split('.')[1]);
    const op = (mine.find((e) => e.op) || {}).op || '';
    const peers = (kind, message) => [...new Set(mine.filter((e) => e.kind === kind && e.message === message)
      .map((e) => kind === 'send' && e.replica !== origin ? e.replica : e.peer))].sort().join(', ') || '–';
    const exec = mine.find((e) => e.kind === 'execute');
    const applied = [...new Set(mine.filter((e) => e.kind === 'apply').map((e) => e.replica))].sort().join(', ') || '–';
    const story = el('span');
    const req = el('span', 'req', reqLabel(sel));
    story.append('request ', req, ' ', el('b', '', op), ' from replica ' + origin + ': REQUEST → '
      + peers('send', 'REQUEST') + ' · OK ← ' + [...new Set(mine.filter((e) => e.kind === 'receive' && e.message === 'OK')
        .map((e) => e.peer))].sort().join(', ') + ' · '
      + (exec ? 'executed = ' + exec.result + ' · APPLY → ' + peers('send', 'APPLY') + ' · applied at ' + applied
        : 'not executed yet'), ' ');
    const clear = el('button', '', 'clear');
    clear.addEventListener('click', () => select(''));
    box.replaceChildren(story, clear);
  }

  // ---- event log ---------------------------------------------------------------------------

  function renderLog() {
    const list = $('event-log');
    const rows = [];
    // Newest first by the replicas' wall clocks (one machine's, or synchronized ones), then stamps.
    const shown = state.events.slice(-LOG_ROWS).sort((a, b) => b.time - a.time || b.clock - a.clock
      || a.replica - b.replica);
    for (const e of shown) {
      const li = el('li', e.request && e.request === state.selected ? 'hl' : '');
      li.style.setProperty('--rc', colorOf(e.replica));
      li.append(el('span', 'time', time(e.time)), el('span', 'who', 'R' + e.replica), el('span', 'stamp', 'L=' + e.clock));
      const what = el('span', 'what');
      const req = reqLabel(e.request);
      if (e.kind === 'tick') {
        what.append('internal event');
      } else if (e.kind === 'view') {
        what.append(el('span', 'view', e.op));
      } else if (e.kind === 'send' || e.kind === 'receive') {
        what.append(e.kind === 'send' ? 'sent ' : 'received ', el('span', 'm-' + e.message, e.message), ' ' + req + ' ');
        if (e.op) what.append(el('code', '', e.op), ' ');
        what.append((e.kind === 'send' ? '→ ' : '← ') + 'R' + e.peer + ' #' + e.link);
        if (e.message === 'APPLY' && e.result) what.append(' = ' + e.result);
      } else {
        what.append(el('span', 'exec', e.kind === 'execute' ? 'executed ' : 'applied '), req + ' ', el('code', '', e.op),
          ' = ' + e.result + (e.ok ? '' : ' (failed)'));
      }
      li.append(what);
      if (e.link) {
        li.title = (e.kind === 'send' ? 'link ' + e.replica + '→' + e.peer : 'link ' + e.peer + '→' + e.replica)
          + ', message #' + e.link + ' of that link';
      }
      li.addEventListener('click', () => select(e.request === state.selected ? '' : e.request));
      rows.push(li);
    }
    if (rows.length === 0) {
      const li = el('li', 'none', 'no events yet: click "Internal event" or run an operation');
      rows.push(li);
    }
    list.replaceChildren(...rows);
    $('log-count').textContent = 'newest first · ' + shown.length + ' of ' + state.events.length + ' kept';
  }

  // ---- operations per second -------------------------------------------------------------

  function sampleRates() {
    const t = Date.now();
    for (const id of state.ids) {
      const r = state.replicas.get(id);
      if (!r) continue;
      const prev = state.lastExecuted.get(id);
      state.lastExecuted.set(id, { t, executed: r.executed });
      if (!prev) continue;
      const dt = (t - prev.t) / 1000;
      const rate = r.executed >= prev.executed && dt > 0 ? (r.executed - prev.executed) / dt : 0;
      const series = state.rates.get(id) || [];
      series.push({ t, rate });
      while (series.length > RATE_POINTS) series.shift();
      state.rates.set(id, series);
    }
    renderRates();
  }

  function renderRates() {
    const chart = $('rate-chart');
    const w = chart.clientWidth || 300;
    const h = chart.clientHeight || 130;
    chart.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    let max = 1;
    for (const s of state.rates.values()) for (const p of s) max = Math.max(max, p.rate);
    const nice = niceMax(max);
    const left = 34, bottom = h - 16, top = 8, right = w - 6;
    const parts = [];
    for (let i = 0; i <= 2; i++) {
      const y = bottom - (bottom - top) * i / 2;
      parts.push(svg('line', { x1: left, y1: y, x2: right, y2: y }, 'grid'));
      const label = svg('text', { x: left - 5, y: y + 3.5, 'text-anchor': 'end' }, 'axis');
      label.textContent = formatRate(nice * i / 2);
      parts.push(label);
    }
    const axis = svg('text', { x: right, y: h - 3, 'text-anchor': 'end' }, 'axis');
    axis.textContent = 'last ' + RATE_POINTS + ' s';
    parts.push(axis);
    const legend = $('rate-legend');
    legend.replaceChildren();
    for (const id of state.ids) {
      const s = state.rates.get(id) || [];
      const pts = s.map((p, i) => {
        const x = right - (s.length - 1 - i) * (right - left) / (RATE_POINTS - 1);
        const y = bottom - (bottom - top) * p.rate / nice;
        return x.toFixed(1) + ',' + y.toFixed(1);
      });
      if (pts.length > 1) {
        const line = svg('polyline', { points: pts.join(' '), stroke: hexOf(id) }, 'series');
        parts.push(line);
      }
      const item = el('span');
      item.style.setProperty('--rc', colorOf(id));
      item.append(el('span', 'chip'), 'replica ' + id + ' ', el('b', '', formatRate(s.length ? s[s.length - 1].rate : 0)));
      legend.append(item);
    }
    chart.replaceChildren(...parts);
  }

  function niceMax(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function formatRate(v) {
    return v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(0) : v.toFixed(1);
  }

  // ---- tooltip -----------------------------------------------------------------------------

  function showTip(ev, head, lines) {
    const tip = $('tooltip');
    tip.replaceChildren(el('div', 't-head', head), ...lines.map((l) => el('div', 't-line', l)));
    tip.hidden = false;
    const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = ev.clientY + 16 + tip.offsetHeight > window.innerHeight ? ev.clientY - tip.offsetHeight - 10 : ev.clientY + 16;
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }

  function hideTip() {
    $('tooltip').hidden = true;
  }

  // ---- controls ----------------------------------------------------------------------------

  async function post(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ error: 'HTTP ' + response.status }));
    if (!response.ok) throw new Error(answer.error || 'HTTP ' + response.status);
    return answer;
  }

  function showResult(kind, text, value) {
    const box = $('op-result');
    box.className = 'op-result ' + kind;
    box.replaceChildren(text);
    if (value !== undefined) box.append(el('b', '', value));
  }

  function setUpControls() {
    const kind = $('op-kind');
    const inputs = [$('op-arg1'), $('op-arg2'), $('op-arg3')];
    // What was typed for each field, kept while other operations are chosen: the key of set is
    // the key of get, the name and token that lock printed are those unlock needs.
    const typed = { key: 'x', value: '1', expected: '(nil)', name: 'leader', ttl: '30', wait: '', token: '' };
    let current = OPERATIONS[kind.value];
    const remember = () => current.args.forEach((a, i) => { typed[a.field] = inputs[i].value; });
    const showArgs = () => {
      current = OPERATIONS[kind.value];
      inputs.forEach((input, i) => {
        const a = current.args[i];
        input.disabled = !a;
        input.value = a ? typed[a.field] : '';
        input.placeholder = a ? a.word : '';
        input.title = a ? a.name + (a.optional ? ', may be left empty' : '') : '';
        $('op-arg' + (i + 1) + '-name').textContent = a ? a.name : '\u00a0';
      });
      $('op-help').textContent = kind.value + ': ' + current.help;
    };
    kind.addEventListener('change', () => {
      remember();
      showArgs();
    });
    showArgs();
    $('op-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const run = $('op-run');
      const replica = Number($('op-replica').value);
      const op = kind.value;
      const body = { replica, op };
      const words = [op];
      current.args.forEach((a, i) => {
        const v = inputs[i].value;
        if (a.optional && v.trim() === '') return;     // left out, as in the shell
        body[a.field] = v;
        words.push(v);
      });
      run.disabled = true;
      showResult('', 'running ' + words.join(' ') + ' on replica ' + replica + '…');
      try {
        const r = await post('api/op', body);
        showResult(r.status === 'OK' ? 'ok' : 'failed', 'replica ' + r.replica + ': ' + r.command + ' → ', r.result);
        // The token lock printed is what renew and unlock take: kept for them.
        const granted = op === 'lock' && r.status === 'OK' && /^(granted|queued) ([0-9]+)$/.exec(r.result);
        if (granted) {
          typed.name = body.name;
          typed.token = granted[2];
        }
      } catch (e) {
        showResult('error', e.message);
      } finally {
        run.disabled = false;
      }
    });
    for (const [id, path] of [['auto-tick', 'api/auto-tick'], ['slow-motion', 'api/slow-motion']]) {
      const box = $(id);
      box.addEventListener('change', async () => {
        try {
          const r = await post(path, { on: box.checked });
          const failed = Object.entries(r.replicas).filter(([, v]) => v !== (box.checked ? 'on' : 'off'));
          if (failed.length) showResult('error', failed.map(([k, v]) => 'replica ' + k + ': ' + v).join('; '));
        } catch (e) {
          showResult('error', e.message);
          box.checked = !box.checked;
        }
        box.blur();
      });
    }
    $('data-replica').addEventListener('change', () => {
      state.dataReplica = Number($('data-replica').value);
      renderData();
    });
    const follow = $('follow');
    follow.addEventListener('change', () => {
      state.follow = follow.checked;
      if (state.follow) renderDiagram();
    });
    const scroller = $('diagram-scroll');
    let frame = 0;
    scroller.addEventListener('scroll', () => {
      const atEnd = scroller.scrollLeft + scroller.clientWidth >= scroller.scrollWidth - 4;
      if (state.follow !== atEnd) {
        state.follow = atEnd;
        follow.checked = atEnd;
      }
      // Scrolled towards what is not drawn: draw again, once per frame at most.
      const view = scroller.clientWidth;
      const d = state.drawn;
      if (d && !frame && (scroller.scrollLeft < d.lo + view / 4 || scroller.scrollLeft + view > d.hi - view / 4)) {
        frame = requestAnimationFrame(() => { frame = 0; renderDiagram(); });
      }
    });
    $('diagram').addEventListener('click', () => select(''));
    // The diagram is redrawn as events arrive, so the dot under the mouse may be a new one that
    // never sees the mouse leave: leaving the diagram hides the tooltip whatever it shows.
    scroller.addEventListener('mouseleave', hideTip);
    new ResizeObserver(() => {
      state.view = scroller.clientWidth;
      state.dirty = true;
      render();
    }).observe(scroller);
  }

  setUpControls();
  renderSelection();
  connect();
  setInterval(sampleRates, 1000);
  setInterval(tickLeases, 500);
})();
