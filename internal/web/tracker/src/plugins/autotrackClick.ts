// Plugin autotrackClick (Genesys): clickEvents [{selector, eventName,
// customAttributes?}] records a custom event named eventName on every click
// on (or inside) an element matching selector.
import type { Api } from '../api'
import { register } from './_register'

register('autotrackClick', (a: Api) => (o?: any) => {
  const evs = (o && Array.isArray(o.clickEvents) ? o.clickEvents : []).filter(
    (e: any) => e && typeof e.selector == 'string' && typeof e.eventName == 'string' && e.eventName,
  )
  if (!evs.length) return a.warn('autotrackClick: clickEvents needs [{selector, eventName}]')
  a.listen(
    document,
    'click',
    (ev: Event) => {
      const t: any = ev.target
      for (const e of evs) {
        let hit = false
        try {
          hit = !!(t && t.closest && t.closest(e.selector))
        } catch (x) {
          a.warn('autotrackClick: invalid selector ' + e.selector)
        }
        if (hit) a.track('custom', { name: e.eventName.slice(0, 128), attributes: a.clean(e.customAttributes) })
      }
    },
    true,
  )
})
