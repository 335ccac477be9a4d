// Plugin autotrackScrollDepth. With Genesys' scrollDepthEvents
// ([{percentage, eventName, customAttributes?}]) a custom event named
// eventName the first time the visitor scrolls to each percentage; with
// Presage's percentages ([25, 50, 75, 100] by default) a scroll event with
// attributes.percent. Each fires again after an SPA route change.
import type { Api } from '../api'
import { register } from './_register'

interface Mark {
  p: number
  name?: string
  attrs?: any
}

register('autotrackScrollDepth', (a: Api) => {
  let active = false
  let done: number[] = []
  return (o?: any) => {
    if (active) return
    o = o || {}
    let marks: Mark[]
    if (Array.isArray(o.scrollDepthEvents)) {
      marks = o.scrollDepthEvents
        .filter((e: any) => e && typeof e.eventName == 'string' && e.eventName)
        .map((e: any) => ({ p: Math.round(+e.percentage), name: e.eventName.slice(0, 128), attrs: e.customAttributes }))
    } else {
      marks = (Array.isArray(o.percentages) ? o.percentages : [25, 50, 75, 100]).map((p: any) => ({ p: Math.round(+p) }))
    }
    marks = marks.filter((m) => m.p > 0 && m.p <= 100).sort((x, y) => x.p - y.p)
    if (!marks.length) return a.warn('autotrackScrollDepth: no valid percentage')
    active = true
    a.onStop(() => ((active = false), (done = [])))
    a.on('_route', () => (done = []))
    const check = () => {
        const d = document.documentElement
        const h = Math.max(d.scrollHeight, document.body ? document.body.scrollHeight : 0)
        const pct = h ? ((window.scrollY + window.innerHeight) / h) * 100 : 100
        marks.forEach((m, i) => {
          if (pct + 0.5 < m.p || done.indexOf(i) >= 0) return
          done.push(i)
          if (m.name) a.track('custom', { name: m.name, attributes: a.clean({ ...m.attrs, percentage: m.p }) })
          else a.track('scroll', { attributes: { percent: m.p } })
        })
    }
    a.listen(window, 'scroll', check, { passive: true })
    check() // a page restored at a scroll position, or scrolled before the chunk arrived
  }
})
