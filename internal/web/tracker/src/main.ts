// Presage tracker: the ac() command API, compatible with pages written for
// Genesys Predictive Engagement's journey SDK. See docs/tracker.md, whose
// table lists every Genesys command and how Presage answers it.
import { cfg, emit, halt, kills, listen, off, on, safe, st, unsubscribe, warn } from './state'
import { clearIds, sessionId, setCookie, useVisitor, visitorId } from './ids'
import { beacon, send, start } from './transport'
import { autotrackUrlChange, pageview } from './pageview'
import { record, identify, setTraitsMapper } from './record'
import { basis, CK, cs, decide, info, loadConsent, opt, receipt, saveConsent, state } from './consent'
import { chunksAt, plugins, register, use } from './api'

declare const window: any

const me = document.currentScript as HTMLScriptElement | null
const src = me && /^https?:/.test(me.src) ? me.src : location.origin + '/sdk.js'
const origin = new URL(src).origin
const name: string = window._presageSdk || window._genesysJourneySdk || 'ac'
const stub = window[name]
const early: any[][] = [] // commands given before init, or while the basis is being learned
chunksAt(src)

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
  setTraitsMapper(o.globalTraitsMapper)
  need = c.required !== false
  auto = o.autotrack || o.autotrackUrlChange
  opt.lang = c.language
  opt.c = c
  opt.ui = c.banner == null ? need : !!c.banner
  opt.apply = () => (wanted() ? st.on || begin() : forget())
  // The collector has no current analytics consent: stop, forget, ask again.
  on('_nc', () => {
    forget()
    st.bad = false
    free = false
    if (cs.p.analytics) delete cs.p.analytics, saveConsent()
    emit('consent', state())
  })
  loadConsent()
  if (wanted()) begin()
  else if (need && !cs.p.analytics) {
    // Undecided: the server says whether analytics rests on consent. Until
    // it answers, commands wait (in memory only, as before init).
    learning = true
    const settle = () => {
      if (!learning) return
      learning = false
      if (wanted()) begin()
      while (early.length) run(early.shift()!)
      if (!replaying) ready()
    }
    info().then((i) => {
      free = !!i && basis(i, 'analytics') != '' && basis(i, 'analytics') != 'consent'
      learning ? settle() : opt.apply()
    })
    setTimeout(settle, 5000) // an unreachable server: go on as if consent were needed
  }
  if (learning) return
  while (early.length) run(early.shift()!)
  if (!replaying) ready()
}

let need = true // consent is required before tracking, unless the basis says otherwise
let free = false // the server says analytics rests on another lawful basis
let learning = false // waiting for the server's answer on the basis
let auto = false

// wanted: the visitor's analytics decision, else whether tracking needs consent.
const wanted = () => (cs.p.analytics ? cs.p.analytics == 'granted' : !need || free)

// begin starts tracking: ids (the consent subject becomes the visitor), the
// persisted queue, the page-leave listeners. Nothing from before is replayed.
function begin(): void {
  if (st.bad || st.dead) return
  st.on = true
  cs.v ? useVisitor(cs.v) : visitorId()
  start()
  // The page the visitor consented on counts from the moment of consent:
  // its last pageview call was held in memory (never sent or stored) until now.
  if (held) pageview(held[0]), (held = undefined)
  listen(document, 'visibilitychange', () => document.visibilityState == 'hidden' && beacon())
  listen(window, 'pagehide', () => (emit('_leave'), beacon()))
  if (auto) autotrackUrlChange()
}

let replaying = true
let held: [any] | undefined // this page's pageview call, held until consent
function ready(): void {
  emit('ready', { sessionId: st.on ? sessionId() : undefined }, true)
  if (opt.ui && !opt.bridged) use('banner').then((b) => b.show(), (e) => warn(e.message))
}

function consent(x: any, o: any): void {
  const cb = typeof o == 'function' ? o : () => {}
  o = o && typeof o == 'object' ? o : {}
  if (/^(grant|deny|withdraw|object)$/.test(x)) {
    const ps = Array.isArray(o.purposes) ? o.purposes.map(String) : undefined
    // The notice the visitor was shown; a stop never waits for it.
    const go = () => decide(x, ps, o, o.method || 'banner')
    x == 'grant' || x == 'deny' ? info().then(go) : go()
  } else if (x == 'get') cb(state())
  else if (x == 'open') use('banner').then((b) => b.render(true), (e) => warn(e.message))
  else if (x == 'receipt') receipt(cb)
  else warn('unknown consent command "' + x + '"')
}

// Node-style callbacks, as Genesys documents them: cb(err, data).
function answer(cb: any, data: () => any): void {
  if (typeof cb != 'function') return warn('this command needs a callback')
  st.on ? safe(cb, null, data()) : safe(cb, new Error('Presage: not tracking (no lawful basis yet)'))
}

// shortId: a short number a visitor can read out to an agent, derived from
// the session id (FNV-1a, modulo a million).
function shortId(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return (h >>> 0) % 1e6
}

// load starts a plugin from its chunk; cb(err) once it runs (or failed).
function load(p: any, o: any, cb: any): void {
  if (typeof o == 'function') (cb = o), (o = undefined)
  const done = (e: any) => typeof cb == 'function' && safe(cb, e)
  if (p == 'autotrackUrlChange') return autotrackUrlChange(), done(null)
  if (p == 'banner' || p == 'forms' || plugins.indexOf(p) < 0) {
    warn('unknown plugin "' + p + '"')
    return done(new Error('Presage: unknown plugin "' + p + '"'))
  }
  if (/Bridge$/.test(p)) opt.bridged = true // before the banner could show
  use(p).then(
    (start) => (st.dead || start(o), done(null)),
    (e) => (warn(e.message), done(e)),
  )
}

function dom(x: any, cb: any): void {
  if (x != 'ready' || typeof cb != 'function') return warn('dom: only ac("dom", "ready", callback) is supported')
  const go = () => safe(cb, null)
  document.readyState == 'loading' ? document.addEventListener('DOMContentLoaded', go) : go()
}

function run(a: any[]): void {
  const c = a[0]
  if (st.dead) return
  if (c == 'init') return init(a[1], a[2])
  if (c == 'on') return on(a[1], a[2])
  if (c == 'off') return off(a[1], a[2])
  if (c == 'destroy') return destroy()
  if (!cfg.key || learning) return void early.push(a)
  const cb = a[1]
  switch (c) {
    case 'pageview':
      return st.on ? pageview(a[1]) : void (held = [a[1]])
    case 'record':
      return record(a[1], a[2], a[3])
    case 'identify':
      return identify(a[1])
    case 'forms:track':
      if (st.on) use('forms').then((f) => f(a[1], a[2]), (e) => warn(e.message)) // dropped before consent
      return
    case 'consent':
      return consent(a[1], a[2])
    case 'load':
      return load(a[1], a[2], a[3])
    case 'dom':
      return dom(a[1], a[2])
    case 'api.session.getId':
      return answer(cb, () => sessionId())
    case 'api.session.getCustomerCookieId':
    case 'api.visitor.getId':
      return answer(cb, () => visitorId())
    case 'api.session.getData':
      return answer(cb, () => ({ id: sessionId(), shortId: shortId(sessionId()), customerCookieId: visitorId() }))
    case 'flush':
      return send()
  }
  warn('unknown command "' + c + '"')
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
  early.length = 0
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
;(ac as any).p = register // for the plugin chunks

if (!(stub && stub.loaded)) {
  window[name] = ac
  const q: any[] = (stub && stub.q) || []
  for (let i = 0; i < q.length; i++) ac.apply(null, q[i])
  replaying = false
  if (cfg.key && !learning) ready()
}
