// Presage tracker: the ac() command API, compatible with pages written for
// Genesys Predictive Engagement's journey SDK. See docs/tracker.md.
import { cfg, emit, halt, kills, listen, off, on, st, unsubscribe } from './state'
import { clean } from './attrs'
import { clearIds, sessionId, setCookie, useVisitor, visitorId } from './ids'
import { track } from './events'
import { beacon, send, start } from './transport'
import { autotrackUrlChange, pageview } from './pageview'
import { trackForms } from './forms'
import { autotrackScrollDepth } from './scroll'
import { CK, cs, decide, loadConsent, opt, receipt, saveConsent, state } from './consent'
import { render, setupUi, showUi } from './banner'
import { consentModeBridge, klaroBridge } from './bridges'

declare const window: any

const me = document.currentScript as HTMLScriptElement | null
const origin = me && /^https?:/.test(me.src) ? new URL(me.src).origin : location.origin
const name: string = window._presageSdk || window._genesysJourneySdk || 'ac'
const stub = window[name]
const early: any[][] = [] // commands given before init

const plugins: { [k: string]: (o?: any) => void } = { autotrackUrlChange, autotrackScrollDepth, consentModeBridge, klaroBridge }

const WELL_KNOWN = ['email', 'phone', 'customerId', 'givenName', 'familyName', 'name']

function init(key: any, o?: any): void {
  if (cfg.key || !key || typeof key != 'string') return
  o = o || {}
  const c = (o.consent && typeof o.consent == 'object' && o.consent) || {}
  cfg.key = key
  cfg.base = String(o.serverUrl || origin).replace(/\/+$/, '')
  cfg.url = cfg.base + '/v1/events'
  cfg.domain = o.cookieDomain
  if (o.sessionTimeout > 0) cfg.timeout = o.sessionTimeout * 6e4
  if (o.searchParam) cfg.search = String(o.searchParam)
  need = c.required !== false
  auto = o.autotrack || o.autotrackUrlChange
  opt.lang = c.language
  opt.apply = () => (wanted() ? st.on || begin() : forget())
  // The collector has no current analytics consent: stop, forget, ask again.
  on('_nc', () => {
    forget()
    st.bad = false
    if (cs.p.analytics) delete cs.p.analytics, saveConsent()
    emit('consent', state())
  })
  loadConsent()
  setupUi(c, need)
  if (wanted()) begin()
  while (early.length) run(early.shift()!)
  if (!replaying) ready()
}

let need = true // consent is required before tracking
let auto = false

// wanted: the visitor's analytics decision, else whether consent is required.
const wanted = () => (cs.p.analytics ? cs.p.analytics == 'granted' : !need)

// begin starts tracking: ids (the consent subject becomes the visitor), the
// persisted queue, the page-leave listeners. Nothing from before is replayed.
function begin(): void {
  if (st.bad || st.dead) return
  st.on = true
  cs.v ? useVisitor(cs.v) : visitorId()
  start()
  // The page the visitor consented on counts from the moment of consent:
  // its pageview call was held in memory (never sent or stored) until now.
  if (held) pageview(held[0]), (held = undefined)
  listen(document, 'visibilitychange', () => document.visibilityState == 'hidden' && beacon())
  listen(window, 'pagehide', () => (emit('_leave'), beacon()))
  if (auto) autotrackUrlChange()
}

let replaying = true
let held: [any] | undefined // this page's pageview call, held until consent
const ready = () => (emit('ready', { sessionId: st.on ? sessionId() : undefined }, true), showUi())

function consent(x: any, o: any): void {
  const cb = typeof o == 'function' ? o : () => {}
  o = o && typeof o == 'object' ? o : {}
  if (x == 'grant' || x == 'deny' || x == 'withdraw') decide(x, Array.isArray(o.purposes) ? o.purposes.map(String) : undefined, o, o.method || 'banner')
  if (x == 'get') cb(state())
  if (x == 'open') render(true)
  if (x == 'receipt') receipt(cb)
}

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
      return st.on ? pageview(a[1]) : void (held = [a[1]])
    case 'record':
      if (typeof a[1] == 'string' && a[1]) track('custom', { name: a[1].slice(0, 128), attributes: clean(a[2]) })
      return
    case 'identify':
      return identify(a[1])
    case 'forms:track':
      return st.on ? trackForms(a[1], a[2]) : undefined // dropped before consent
    case 'consent':
      return consent(a[1], a[2])
    case 'load':
      if (plugins[a[1]]) plugins[a[1]](a[2])
      return
    case 'api.session.getId':
      return typeof cb == 'function' ? cb(st.on ? sessionId() : undefined) : undefined
    case 'api.session.getCustomerCookieId':
    case 'api.visitor.getId':
      return typeof cb == 'function' ? cb(st.on ? visitorId() : undefined) : undefined
    case 'flush':
      return send()
    case 'destroy':
      return destroy()
  }
}

// forget stops tracking at once and removes the ids and the web storage
// items (not the _presage_consent cookie, which holds the decision).
function forget(): void {
  halt()
  clearIds()
  for (const s of [localStorage, sessionStorage])
    try {
      for (const k of Object.keys(s)) if (k.indexOf('_presage') == 0) s.removeItem(k)
    } catch (e) {}
}

// destroy stops everything at once and removes what the tracker stored,
// the recorded choice included (the server keeps the record).
function destroy(): void {
  forget()
  setCookie(CK, '', 0)
  st.dead = true
  while (kills.length) kills.pop()!()
  unsubscribe()
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
