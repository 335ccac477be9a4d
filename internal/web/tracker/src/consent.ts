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

// Info is what GET /v1/consent answers: purposes and the latest notice.
export interface Info {
  version: number
  language?: string
  title: string
  texts: { [p: string]: string }
  purposes: Purpose[]
}

export const opt: { lang?: string; apply: () => void } = { apply: () => {} }

export function loadConsent(): void {
  const q = new URLSearchParams(getCookie(CK) || '')
  q.forEach((v, k) => k[0] != '_' && /^(granted|denied|withdrawn)$/.test(v) && (cs.p[k] = v))
  cs.v = q.get('_v') || ''
  cs.n = +q.get('_n')! || 0
  cs.t = +q.get('_t')! || 0
}

export function saveConsent(): void {
  setCookie(CK, new URLSearchParams({ _v: cs.v, _n: '' + cs.n, _t: '' + cs.t, ...cs.p }) + '', YEAR13)
}

export const state = () => ({ ...cs.p })

let infoP: Promise<Info | null> | null = null

// info fetches the purposes and the latest notice (once; again after a failure).
export function info(): Promise<Info | null> {
  const lang = opt.lang || document.documentElement.lang || navigator.language || ''
  const u = cfg.base + '/v1/consent?siteKey=' + encodeURIComponent(cfg.key) + '&lang=' + encodeURIComponent(lang)
  return (infoP =
    infoP ||
    fetch(u, { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : Promise.reject()))
      .then((j) => {
        const n = j.notice // none: nothing can be granted, so nothing is asked
        return n && n.version ? { version: n.version, language: n.language, title: n.title || '', texts: n.texts || {}, purposes: j.purposes || [] } : null
      })
      .catch(() => (infoP = null)))
}

// decide records a decision: the POST goes out at once (keepalive, so a
// withdrawal survives leaving the page). A denial or withdrawal applies
// locally at once; a grant once the server has recorded it.
export function decide(action: string, purposes: string[] | undefined, o: any, method: string): Promise<any> {
  if (st.dead || !cfg.key) return Promise.resolve()
  o = o || {}
  if (!cs.v) cs.v = st.on ? visitorId() : rid('v')
  const n = +o.notice || 0
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
  const set = () => {
    const d = action == 'grant' ? 'granted' : action == 'deny' ? 'denied' : 'withdrawn'
    // Withdrawing everything withdraws what was granted (and stops tracking).
    const all = Object.keys(cs.p).filter((p) => cs.p[p] == 'granted')
    for (const p of purposes || (cs.p.analytics ? all : all.concat('analytics'))) cs.p[p] = d
    if (n) cs.n = n
    cs.t = Date.now()
    saveConsent()
    opt.apply()
    emit('consent', state())
  }
  if (action != 'grant') set()
  return fetch(cfg.base + '/v1/consent', { method: 'POST', body: JSON.stringify(body), keepalive: true, credentials: 'omit' }).then(
    (r) => r.ok && action == 'grant' && !st.dead && set(),
    () => {},
  )
}

// record brings the recorded decisions in line with want (purpose →
// granted?): grants what is not granted, withdraws what was granted, denies
// what was never decided; unchanged purposes are not recorded again.
export function record(want: { [p: string]: boolean }, o: any, method: string): void {
  const g: string[] = []
  const d: string[] = []
  const w: string[] = []
  for (const p in want) {
    const c = cs.p[p]
    if (want[p]) c != 'granted' && g.push(p)
    else if (c == 'granted') w.push(p)
    else if (!c) d.push(p)
  }
  if (w.length) decide('withdraw', w, o, method)
  if (d.length) decide('deny', d, o, method)
  if (g.length) decide('grant', g, o, method)
}

// receipt fetches the signed receipt (compact JWS) of the visitor's decisions.
export function receipt(cb: (jws?: string) => void): void {
  if (!cs.v) return cb()
  fetch(cfg.base + '/v1/consent/receipt?siteKey=' + encodeURIComponent(cfg.key) + '&visitorId=' + cs.v, { credentials: 'omit' })
    .then((r) => (r.ok ? r.text() : undefined))
    .then(cb, () => cb())
}
