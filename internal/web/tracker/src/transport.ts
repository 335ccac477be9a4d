// Batching, delivery and retries (docs/collector-protocol.md#responses).
//
// Every event is an item {k: siteKey, v: visitorId, s: sessionId, e: event}
// in one queue q, mirrored in localStorage so a later page load resends what
// was not acknowledged, with the same event ids. The first `busy` items are
// the batch in flight (or waiting for its retry); one batch at a time.
import { cfg, emit, st, listen, onStop } from './state'

export interface Item {
  k: string
  v: string
  s: string
  e: { [f: string]: any }
}

export const QKEY = '_presage_q'
const MAXQ = 500 // items kept while the collector is unreachable
const MAXBODY = 49152 // bytes per request, well under the 64 KiB limit
const WEEK = 6048e5

let q: Item[] = []
let busy = 0 // items at the head of q that are in flight
let lim = 100 // events per batch; halved after a 413
let tries = 0
let timer: any = 0 // flush timer
let retry: any = 0 // retry timer

const enc = new TextEncoder()
const size = (x: any) => enc.encode(JSON.stringify(x)).length

function save(): void {
  try {
    if (q.length) localStorage.setItem(QKEY, JSON.stringify(q))
    else localStorage.removeItem(QKEY)
  } catch (e) {}
}

// start restores the persisted queue and installs the listeners.
export function start(): void {
  try {
    const old = JSON.parse(localStorage.getItem(QKEY) || '[]')
    const min = Date.now() - WEEK + 6e4
    if (Array.isArray(old)) q = old.filter((i: Item) => i && i.e && i.e.ts > min).concat(q)
  } catch (e) {}
  listen(window, 'online', () => retry && again())
  onStop(() => {
    clearTimeout(timer)
    clearTimeout(retry)
    q = []
    busy = 0
  })
  if (q.length) flushSoon()
}

// push queues one event; a full batch goes out at once, else within ~1 s.
export function push(it: Item): void {
  if (!st.on) return
  const a = it.e.attributes
  // Keep one event well below the body limit: drop attributes from the end.
  if (a) {
    const ks = Object.keys(a)
    while (ks.length && size(it) > 16384) delete a[ks.pop()!]
    if (!ks.length) delete it.e.attributes
  }
  q.push(it)
  if (q.length > MAXQ) q.splice(busy, q.length - MAXQ) // drop the oldest not in flight
  save()
  if (q.length - busy >= 20) send()
  else flushSoon()
}

function flushSoon(): void {
  if (!timer && st.on) timer = setTimeout(() => ((timer = 0), send()), 1000)
}

// batch takes up to lim items from i on that share site key, visitor and
// session and fit in one body.
function batch(i: number, max: number): [string, number] {
  const f = q[i]
  const ev: any[] = []
  let n = 200
  for (let j = i; j < q.length && ev.length < max; j++) {
    const it = q[j]
    if (it.k != f.k || it.v != f.v || it.s != f.s) break
    n += size(it.e) + 1
    if (ev.length && n > MAXBODY) break
    ev.push(it.e)
  }
  const scr = screen.width + 'x' + screen.height
  const ctx: any = {}
  try {
    ctx.tz = Intl.DateTimeFormat().resolvedOptions().timeZone
  } catch (e) {}
  if (!ctx.tz || ctx.tz.length > 64) delete ctx.tz
  if (navigator.language && navigator.language.length <= 35) ctx.lang = navigator.language
  if (scr.length <= 20) ctx.screen = scr
  const body = JSON.stringify({ siteKey: f.k, visitorId: f.v, sessionId: f.s, sentAt: Date.now(), context: ctx, events: ev })
  return [body, ev.length]
}

function done(n: number): void {
  q.splice(0, n)
  busy = 0
  tries = 0
  save()
}

// again retries the batch in flight now.
function again(): void {
  clearTimeout(retry)
  retry = busy = 0
  send()
}

// send posts the batch at the head of the queue, unless one is in flight.
export function send(): void {
  clearTimeout(timer)
  timer = 0
  if (busy || retry || !q.length || !st.on) return
  const [body, n] = batch(0, lim)
  const g = st.g
  busy = n
  const fail = () => {
    if (g != st.g) return
    const d = Math.min(6e4, 1000 * 2 ** tries++)
    retry = setTimeout(again, d + Math.random() * d * 0.3)
  }
  fetch(cfg.url, { method: 'POST', body, keepalive: body.length < 6e4, credentials: 'omit' }).then(
    (r) => {
      if (g != st.g) return
      const c = r.status
      if (c == 401 || c == 403) {
        st.on = false // unknown site key or origin: stop sending for good
        st.bad = true
        q = []
        busy = 0
        save()
        // No current analytics consent for this visitor: stop and forget.
        if (c == 403) r.json().then((p) => /consent_required$/.test(p.type) && emit('_nc'), () => {})
      } else if (c == 413 && n > 1) {
        lim = Math.max(1, n >> 1)
        busy = 0
        send()
      } else if (c < 300 || c == 400 || c == 413) {
        done(n)
        send()
      } else fail()
    },
    fail,
  )
}

// beacon hands everything not in flight to navigator.sendBeacon (fallback
// fetch keepalive) when the page is hidden or goes away. Items the browser
// accepts are removed; the rest stay in localStorage for the next page.
export function beacon(): void {
  if (!st.on) return
  if (retry || !navigator.onLine) return save()
  let i = busy
  while (i < q.length) {
    const [body, n] = batch(i, lim)
    let ok = false
    try {
      ok = navigator.sendBeacon(cfg.url, body)
    } catch (e) {}
    if (!ok) {
      // Over the beacon quota: try fetch keepalive, but keep the items, so
      // that they are resent (same ids) if this one is lost.
      if (body.length < 6e4) fetch(cfg.url, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(() => {})
      break
    }
    q.splice(i, n)
  }
  save()
}
