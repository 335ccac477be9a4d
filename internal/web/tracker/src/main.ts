// Presage tracker: the ac() command API, compatible with pages written for
// Genesys Predictive Engagement's journey SDK. See docs/tracker.md.
import { cfg, emit, listen, off, on, st, stopAll } from './state'
import { clean } from './attrs'
import { clearIds, sessionId, visitorId } from './ids'
import { track } from './events'
import { beacon, send, start } from './transport'
import { autotrackUrlChange, pageview } from './pageview'
import { trackForms } from './forms'
import { autotrackScrollDepth } from './scroll'

declare const window: any

const cs = document.currentScript as HTMLScriptElement | null
const origin = cs && /^https?:/.test(cs.src) ? new URL(cs.src).origin : location.origin
const name: string = window._presageSdk || window._genesysJourneySdk || 'ac'
const stub = window[name]
const early: any[][] = [] // commands given before init

const plugins: { [k: string]: (o?: any) => void } = { autotrackUrlChange, autotrackScrollDepth }

const WELL_KNOWN = ['email', 'phone', 'customerId', 'givenName', 'familyName', 'name']

function init(key: any, o?: any): void {
  if (cfg.key || !key || typeof key != 'string') return
  o = o || {}
  cfg.key = key
  cfg.url = String(o.serverUrl || origin).replace(/\/+$/, '') + '/v1/events'
  cfg.domain = o.cookieDomain
  if (o.sessionTimeout > 0) cfg.timeout = o.sessionTimeout * 6e4
  if (o.searchParam) cfg.search = String(o.searchParam)
  st.on = true
  visitorId()
  start()
  const hide = () => (emit('_leave'), beacon())
  listen(document, 'visibilitychange', () => document.visibilityState == 'hidden' && beacon())
  listen(window, 'pagehide', hide)
  if (o.autotrack || o.autotrackUrlChange) autotrackUrlChange()
  while (early.length) run(early.shift()!)
  if (!replaying) ready()
}

let replaying = true
const ready = () => emit('ready', { sessionId: sessionId() }, true)

function identify(t: any): void {
  t = t && typeof t == 'object' ? { ...t } : {}
  for (const k of WELL_KNOWN) if (typeof t[k] == 'number') t[k] = String(t[k])
  const traits = clean(t)
  if (traits && ['email', 'phone', 'customerId'].some((k) => typeof traits[k] == 'string' && traits[k])) track('identify', { traits })
}

function run(a: any[]): void {
  const c = a[0]
  if (st.dead) return
  if (c == 'init') return init(a[1], a[2])
  if (c == 'on') return on(a[1], a[2])
  if (c == 'off') return off(a[1], a[2])
  if (!cfg.key) return void early.push(a)
  const cb = a[1]
  switch (c) {
    case 'pageview':
      return pageview(a[1])
    case 'record':
      if (typeof a[1] == 'string' && a[1]) track('custom', { name: a[1].slice(0, 128), attributes: clean(a[2]) })
      return
    case 'identify':
      return identify(a[1])
    case 'forms:track':
      return trackForms(a[1], a[2])
    case 'load':
      if (plugins[a[1]]) plugins[a[1]](a[2])
      return
    case 'api.session.getId':
      return typeof cb == 'function' ? cb(sessionId()) : undefined
    case 'api.session.getCustomerCookieId':
    case 'api.visitor.getId':
      return typeof cb == 'function' ? cb(visitorId()) : undefined
    case 'flush':
      return send()
    case 'destroy':
      return destroy()
  }
}

// destroy stops everything at once and removes what the tracker stored.
function destroy(): void {
  stopAll()
  st.on = false
  clearIds()
  for (const s of [localStorage, sessionStorage])
    try {
      for (const k of Object.keys(s)) if (k.indexOf('_presage') == 0) s.removeItem(k)
    } catch (e) {}
}

function ac(): void {
  try {
    run(Array.prototype.slice.call(arguments))
  } catch (e) {
    setTimeout(() => {
      throw e
    })
  }
}
;(ac as any).l = stub && stub.l
;(ac as any).loaded = true

if (!(stub && stub.loaded)) {
  window[name] = ac
  const q: any[] = (stub && stub.q) || []
  for (let i = 0; i < q.length; i++) ac.apply(null, q[i])
  replaying = false
  if (cfg.key) ready()
}
