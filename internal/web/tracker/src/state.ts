// Shared state of one tracker instance: configuration, the cleanup registry
// that ac('destroy') runs, and a tiny event emitter.

export interface Config {
  key: string // site key (or Genesys organization id)
  url: string // collector endpoint, .../v1/events
  domain?: string // cookie domain
  timeout: number // session timeout in ms
  search: string // search query parameter
}

export const cfg: Config = { key: '', url: '', timeout: 18e5, search: 'q' }

export const st = { on: false, dead: false }

const cleanups: Array<() => void> = []

// onStop registers fn to run on ac('destroy').
export function onStop(fn: () => void): void {
  cleanups.push(fn)
}

// listen adds an event listener that ac('destroy') removes.
export function listen(t: EventTarget, type: string, fn: (e: any) => void, opts?: AddEventListenerOptions | boolean): void {
  t.addEventListener(type, fn, opts)
  onStop(() => t.removeEventListener(type, fn, opts))
}

export function stopAll(): void {
  st.dead = true
  while (cleanups.length) {
    try {
      cleanups.pop()!()
    } catch (e) {}
  }
  for (const k in subs) delete subs[k]
}

// Emitter. 'ready' is sticky: a late subscriber is called at once.
// Names starting with '_' are internal ('_route' on SPA navigation, '_leave'
// before the page goes away).
const subs: { [k: string]: Array<(d?: any) => void> } = {}
const fired: { [k: string]: any } = {}

export function on(name: string, cb: (d?: any) => void): void {
  if (typeof cb != 'function') return
  ;(subs[name] = subs[name] || []).push(cb)
  if (name in fired) safe(cb, fired[name])
}

export function off(name: string, cb: (d?: any) => void): void {
  const l = subs[name]
  if (l) subs[name] = l.filter((f) => f !== cb)
}

export function emit(name: string, d?: any, sticky?: boolean): void {
  if (sticky) fired[name] = d
  for (const cb of (subs[name] || []).slice()) safe(cb, d)
}

export function safe(cb: (d?: any) => void, d?: any): void {
  try {
    cb(d)
  } catch (e) {
    setTimeout(() => {
      throw e
    })
  }
}
