// Plugin autotrackIdle (Genesys): idleEvents [{eventName, idleAfter}]
// records a custom event named eventName once the visitor has been idle
// (no pointer, key, scroll or touch) for idleAfter seconds (idleAfterSeconds
// is understood too); once per idle spell, again after the next activity.
import type { Api } from '../api'
import { register } from './_register'

register('autotrackIdle', (a: Api) => (o?: any) => {
  const evs = (o && Array.isArray(o.idleEvents) ? o.idleEvents : [])
    .map((e: any) => e && { name: e.eventName, s: +(e.idleAfter != null ? e.idleAfter : e.idleAfterSeconds), attrs: e.customAttributes })
    .filter((e: any) => e && typeof e.name == 'string' && e.name && e.s > 0)
  if (!evs.length) return a.warn('autotrackIdle: idleEvents needs [{eventName, idleAfter}]')
  const timers: any[] = []
  const arm = () => {
    while (timers.length) clearTimeout(timers.pop())
    for (const e of evs) timers.push(setTimeout(() => a.track('custom', { name: e.name.slice(0, 128), attributes: a.clean({ ...e.attrs, idleAfter: e.s }) }), e.s * 1000))
  }
  for (const t of ['mousemove', 'mousedown', 'keydown', 'scroll', 'touchstart', 'wheel']) a.listen(window, t, arm, { passive: true, capture: true })
  a.onStop(() => timers.forEach(clearTimeout))
  arm()
})
