// Plugin autotrackInViewport (Genesys): inViewportEvents [{selector,
// eventName, customAttributes?}] records a custom event named eventName the
// first time each matching element (also one added later) is at least half
// visible in the viewport.
import type { Api } from '../api'
import { register } from './_register'

register('autotrackInViewport', (a: Api) => (o?: any) => {
  const evs = (o && Array.isArray(o.inViewportEvents) ? o.inViewportEvents : []).filter(
    (e: any) => e && typeof e.selector == 'string' && typeof e.eventName == 'string' && e.eventName,
  )
  if (!evs.length) return a.warn('autotrackInViewport: inViewportEvents needs [{selector, eventName}]')
  if (typeof IntersectionObserver != 'function') return a.warn('autotrackInViewport: this browser has no IntersectionObserver')
  const seen: Element[] = []
  const which = new Map<Element, any[]>()
  const io = new IntersectionObserver(
    (entries) => {
      for (const x of entries) {
        if (!x.isIntersecting || seen.indexOf(x.target) >= 0) continue
        seen.push(x.target)
        io.unobserve(x.target)
        for (const e of which.get(x.target) || []) a.track('custom', { name: e.eventName.slice(0, 128), attributes: a.clean(e.customAttributes) })
      }
    },
    { threshold: 0.5 },
  )
  const scan = () => {
    for (const e of evs) {
      let els: Element[] = []
      try {
        els = Array.from(document.querySelectorAll(e.selector))
      } catch (x) {
        a.warn('autotrackInViewport: invalid selector ' + e.selector)
      }
      for (const el of els) {
        const l = which.get(el) || []
        if (l.indexOf(e) >= 0) continue
        l.push(e)
        which.set(el, l)
        if (seen.indexOf(el) < 0) io.observe(el)
      }
    }
  }
  const mo = new MutationObserver(scan)
  const go = () => {
    scan()
    mo.observe(document.documentElement, { childList: true, subtree: true })
  }
  document.readyState == 'loading' ? a.listen(document, 'DOMContentLoaded', go) : go()
  a.onStop(() => (io.disconnect(), mo.disconnect()))
})
