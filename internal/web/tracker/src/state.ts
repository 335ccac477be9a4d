// Shared state of one tracker instance: configuration, the cleanup registry
// that stopping tracking runs (withdrawal, ac('destroy')), and a tiny event
// emitter.

export interface Config {
  key: string // site key (or Genesys organization id)
  base: string // server URL, without a trailing slash
  url: string // collector endpoint, .../v1/events
  domain?: string // cookie domain
  timeout: number // session timeout in ms
  search: string // search query parameter
}

export const cfg: Config = { key: '', base: '', url: '', timeout: 18e5, search: 'q' }

// on: tracking (ids, queue, sending); off until consent when it is required.
// dead: after ac('destroy'). bad: the collector refused the site (401/403).
// g: bumped whenever tracking stops, so late answers of an old run are ignored.
export const st = { on: false, dead: false, bad: false, g: 0 }

const cleanups: Array<() => void> = []

// onStop registers fn to run when tracking stops (withdrawal, ac('destroy')).
export function onStop(fn: () => void): void {
  cleanups.push(fn)
}

// listen adds an event listener that stopping tracking removes.
export function listen(t: EventTarget, type: string, fn: (e: any) => void, opts?: AddEventListenerOptions | boolean): void {
  t.addEventListener(type, fn, opts)
  onStop(() => t.removeEventListener(type, fn, opts))
}

// halt stops tracking: runs every cleanup (timers, listeners, hooks, the queue).
export function halt(): void {
  st.on = false
  st.g++
  while (cleanups.length) {
    try {
      cleanups.pop()!()
    } catch (e) {}
  }
}

// kills undo what outlives tracking (the consent UI, bridges' hooks) on ac('destroy').
export const kills: Array<() => void> = []

// unsubscribe removes every subscriber (ac('destroy')).
export function unsubscribe(): void {
  for (const k in subs) delete subs[k]
}

// Emitter. 'ready' is sticky: a late subscriber is called at once.
// Names starting with '_' are internal ('_route' on SPA navigation, '_leave'
// before the page goes away, '_nc' when the collector wants consent).
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

// safe calls cb with args; an exception in the page's callback is rethrown
// asynchronously, so it reaches the console without breaking the tracker.
export function safe(cb: (...a: any[]) => void, ...a: any[]): void {
  try {
    cb(...a)
  } catch (e) {
    setTimeout(() => {
      throw e
    })
  }
}

// warn tells the page's developer, once per message, that a call did not
// do what it asked (an unknown command, a refused attribute…).
const warned: { [m: string]: 1 } = {}
export function warn(m: string): void {
  if (!warned[m]) {
    warned[m] = 1
    try {
      console.warn('Presage: ' + m)
    } catch (e) {}
  }
}
