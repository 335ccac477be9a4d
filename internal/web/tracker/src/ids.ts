// First-party cookies and random ids.
import { cfg, st } from './state'

export const VID = '_presage_vid'
export const SID = '_presage_sid'
export const YEAR13 = 34128000 // 395 days, in seconds: the 13 months a consent-free analytics cookie may live

// rid returns 128 random bits as 32 hex characters (valid per presage.ValidClientID with its prefix).
export function rid(prefix: string): string {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  let s = prefix
  for (let i = 0; i < 16; i++) s += (b[i] | 256).toString(16).slice(1)
  return s
}

const ok = (s: any) => typeof s == 'string' && /^[\w-]{8,64}$/.test(s)

export function getCookie(name: string): string | undefined {
  const m = document.cookie.match('(?:^|; )' + name + '=([^;]*)')
  return m ? decodeURIComponent(m[1]) : undefined
}

export function setCookie(name: string, value: string, maxAge: number): void {
  let c = name + '=' + value + '; Path=/; Max-Age=' + maxAge + '; SameSite=Lax'
  if (cfg.domain) c += '; Domain=' + cfg.domain
  if (location.protocol == 'https:') c += '; Secure'
  document.cookie = c
}

let vid = ''
let sid = ''

// visitorId returns the visitor id, creating its cookie on first use. The
// cookie is set once and never extended, so it lives at most 13 months.
export function visitorId(): string {
  const c = getCookie(VID)
  if (ok(c)) return (vid = c!)
  if (!vid) vid = rid('v')
  if (st.on) setCookie(VID, vid, YEAR13)
  return vid
}

// useVisitor makes id (the consent subject) the visitor id.
export function useVisitor(id: string): void {
  if (getCookie(VID) != id) setCookie(VID, '', 0)
  vid = id
  visitorId()
}

// sessionId returns the current session id. touch renews the idle timeout
// (each event does); a session idle longer than the timeout (its cookie has
// expired) is replaced by a new one.
let last = 0
export function sessionId(touch?: boolean): string {
  const c = getCookie(SID)
  const now = Date.now()
  if (ok(c)) sid = c!
  else if (!sid || now - last > cfg.timeout) (sid = rid('s')), (touch = true)
  if (touch) {
    last = now
    if (st.on) setCookie(SID, sid, Math.round(cfg.timeout / 1000))
  }
  return sid
}

export function clearIds(): void {
  setCookie(VID, '', 0)
  setCookie(SID, '', 0)
  vid = sid = ''
}
