// Consent (docs/consent.md): the visitor's decision per purpose, kept in the
// strictly necessary _presage_consent cookie once the visitor decides, and
// recorded by the server with POST /v1/consent. Before a decision nothing
// else is stored or sent: the only request is GET /v1/consent, without any id,
// for the banner's texts.
import { cfg, emit, st } from './state'
import { getCookie, rid, setCookie, visitorId, YEAR13 } from './ids'

declare const navigator: any

export const CK = '_presage_consent'

// The stored decision: subject id (the visitor id once analytics is granted),
// notice version, decided-at (Unix ms) and purpose → granted|denied|withdrawn.
// Cookie value: _v=<subject>&_n=<notice>&_t=<ms>&analytics=granted&…
export const cs = { v: '', n: 0, t: 0, p: {} as { [k: string]: string } }

export interface Purpose {
  name: string
  basis: string
  description?: string
}

// Info is what GET /v1/consent answers: purposes with their lawful basis
// and the latest notice (version 0 when there is none: nothing can be
// asked).
export interface Info {
  version: number
  language?: string
  title: string
  texts: { [p: string]: string }
  purposes: Purpose[]
}

// opt: options of init's consent object (c), the UI wanted (ui), a consent
// manager's bridge deciding instead (bridged), and apply, which starts or
// stops tracking after a decision.
export const opt: { lang?: string; c: any; ui: boolean; bridged: boolean; apply: () => void } = { c: {}, ui: true, bridged: false, apply: () => {} }

const DECISION = /^(granted|denied|withdrawn|objected)$/

// basis returns the lawful basis of purpose p as i gives it ('' unknown).
export const basis = (i: Info | null | undefined, p: string): string => {
  const x = i && i.purposes.filter((q) => q.name == p)[0]
  return x ? x.basis : ''
}

// objectable: the visitor objects to (rather than withdraws from)
// processing on these bases (GDPR Art. 21).
export const objectable = (b: string) => b == 'legitimate_interest' || b == 'public_task'

let known: Info | null = null // the last answer of GET /v1/consent

export function loadConsent(): void {
  const q = new URLSearchParams(getCookie(CK) || '')
  q.forEach((v, k) => k[0] != '_' && DECISION.test(v) && (cs.p[k] = v))
  cs.v = q.get('_v') || ''
  cs.n = +q.get('_n')! || 0
  cs.t = +q.get('_t')! || 0
}

export function saveConsent(): void {
  setCookie(CK, new URLSearchParams({ _v: cs.v, _n: '' + cs.n, _t: '' + cs.t, ...cs.p }) + '', YEAR13)
}

export const state = () => ({ ...cs.p })

let infoP: Promise<Info | null> | null = null

// info fetches the purposes and the latest notice (once; again after a
// failure, which resolves to null).
export function info(): Promise<Info | null> {
  const lang = opt.lang || document.documentElement.lang || navigator.language || ''
  const u = cfg.base + '/v1/consent?siteKey=' + encodeURIComponent(cfg.key) + '&lang=' + encodeURIComponent(lang)
  return (infoP =
    infoP ||
    fetch(u, { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : Promise.reject()))
      .then((j) => {
        const n = j.notice || {} // none: nothing can be granted, so nothing is asked
        return (known = { version: n.version || 0, language: n.language, title: n.title || '', texts: n.texts || {}, purposes: j.purposes || [] })
      })
      .catch(() => (infoP = null)))
}

// decide records a decision: the POST goes out at once (keepalive, so a
// withdrawal survives leaving the page), naming the notice the visitor saw
// (o.notice, else the latest one known). A denial, withdrawal or objection
// applies locally at once; a grant once the server has recorded it. The
// server's answer settles which purposes stand objected: refusing
// processing on legitimate interest is an objection, not a denial.
export function decide(action: string, purposes: string[] | undefined, o: any, method: string): Promise<any> {
  if (st.dead || !cfg.key) return Promise.resolve()
  o = o || {}
  if (!cs.v) cs.v = st.on ? visitorId() : rid('v')
  const n = +o.notice || (known && known.version) || 0
  const art: any = o.artefact || {}
  if (o.tcf) art.tcf = String(o.tcf)
  const body: any = {
    siteKey: cfg.key,
    visitorId: cs.v,
    action,
    purposes,
    notice: n || undefined,
    method,
    artefact: Object.keys(art).length ? art : undefined,
    signals: { gpc: navigator.globalPrivacyControl === true, dnt: navigator.doNotTrack === '1' },
  }
  const done = () => {
    if (n) cs.n = n
    cs.t = Date.now()
    saveConsent()
    opt.apply()
    emit('consent', state())
  }
  const set = (ds: { [p: string]: string }) => {
    for (const p in ds) cs.p[p] = ds[p]
    done()
  }
  if (action != 'grant') {
    // Without purposes: withdraw stops what was granted and objects to
    // what rests on legitimate interest; object objects to the latter.
    // Analytics stops in any case.
    const all = action == 'object' ? [] : Object.keys(cs.p).filter((p) => cs.p[p] == 'granted')
    if (known) for (const q of known.purposes) if (objectable(q.basis) && cs.p[q.name] != 'objected') all.push(q.name)
    if (all.indexOf('analytics') < 0) all.push('analytics')
    const ds: { [p: string]: string } = {}
    for (const p of purposes || all) ds[p] = action == 'object' || objectable(basis(known, p)) ? 'objected' : action == 'deny' ? 'denied' : 'withdrawn'
    set(ds)
  }
  return fetch(cfg.base + '/v1/consent', { method: 'POST', body: JSON.stringify(body), keepalive: true, credentials: 'omit' })
    .then((r) => (r.ok ? r.json() : null))
    .then(
      (j) => {
        if (!j || st.dead) return
        const ds: { [p: string]: string } = {}
        if (action == 'grant') for (const p of purposes || []) ds[p] = 'granted'
        for (const p in j.states || {}) if (j.states[p].decision == 'objected' && cs.p[p] != 'objected') ds[p] = 'objected'
        if (Object.keys(ds).length) set(ds)
      },
      () => {},
    )
}

// record brings the recorded decisions in line with want (purpose →
// allowed?): grants what is not granted, withdraws what was granted, denies
// what was never decided; for a purpose on legitimate interest, objects or
// lifts an objection (by a grant). Unchanged purposes are not recorded again.
export function record(want: { [p: string]: boolean }, o: any, method: string): void {
  const by: { [a: string]: string[] } = { withdraw: [], deny: [], object: [], grant: [] }
  for (const p in want) {
    const c = cs.p[p]
    const li = objectable(basis(known, p))
    const a = want[p]
      ? c == 'granted' || (li && !c) ? '' : 'grant'
      : li ? (c != 'objected' ? 'object' : '') : c == 'granted' ? 'withdraw' : c ? '' : 'deny'
    if (a) by[a].push(p)
  }
  for (const a in by) if (by[a].length) decide(a, by[a], o, method)
}

// receipt fetches the signed receipt (compact JWS) of the visitor's decisions.
export function receipt(cb: (jws?: string) => void): void {
  if (!cs.v) return cb()
  fetch(cfg.base + '/v1/consent/receipt?siteKey=' + encodeURIComponent(cfg.key) + '&visitorId=' + cs.v, { credentials: 'omit' })
    .then((r) => (r.ok ? r.text() : undefined))
    .then(cb, () => cb())
}
