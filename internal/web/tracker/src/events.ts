// Building events: id, timestamp, page URL, session.
import { cfg, st } from './state'
import { rid, sessionId, visitorId } from './ids'
import { push } from './transport'

// pageUrl returns u when it is an absolute http(s) URL of at most 2048 characters.
export function pageUrl(u?: string): string | undefined {
  u = u || location.href
  return /^https?:\/\//i.test(u) && u.length <= 2048 ? u : undefined
}

// track queues one event of the given type with extra fields (name,
// attributes, traits, title, referrer, url). Returns nothing: tracking never
// throws. Nothing is recorded while tracking is off (no consent yet).
export function track(type: string, f?: { [k: string]: any }): void {
  if (!st.on || !cfg.key) return
  const e: { [k: string]: any } = { id: rid('e'), type, ts: Date.now(), url: pageUrl() }
  for (const k in f) if (f[k] !== undefined && f[k] !== '') e[k] = f[k]
  if (!e.url) delete e.url
  push({ k: cfg.key, v: visitorId(), s: sessionId(true), e })
}
