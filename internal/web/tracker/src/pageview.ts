// Pageviews, search events and single-page-app route tracking.
import { cfg, emit, listen, onStop } from './state'
import { clean } from './attrs'
import { pageUrl, track } from './events'
import { mapTraits } from './record'

let last = '' // URL of the last pageview
let prev = '' // URL before the last route change, the referrer of the next SPA pageview

// pageview sends a pageview, and a search event when the URL carries the
// search parameter. Genesys options title, location, referrer (also
// pageTitle, pageLocation, referrerUrl), customAttributes and traitsMapper
// are understood; other keys are attributes.
const str = (...v: any[]) => v.filter((x) => typeof x == 'string')[0]
export function pageview(o?: any): void {
  o = o && typeof o == 'object' ? { ...o } : {}
  const u = pageUrl(str(o.location, o.pageLocation))
  const title: string = str(o.title, o.pageTitle, document.title)
  const ref: string = str(o.referrer, o.referrerUrl, prev || document.referrer)
  const ca = o.customAttributes
  const tm = o.traitsMapper
  for (const k of ['location', 'pageLocation', 'title', 'pageTitle', 'referrer', 'referrerUrl', 'customAttributes', 'traitsMapper']) delete o[k]
  last = location.href
  const attrs = mapTraits({ ...o, ...(ca && typeof ca == 'object' ? ca : {}) }, tm)
  track('pageview', {
    url: u,
    title: title.slice(0, 512) || undefined,
    referrer: ref.slice(0, 2048) || undefined,
    attributes: clean(attrs),
  })
  try {
    const s = new URL(u || location.href).searchParams.get(cfg.search)
    if (s && s.trim()) track('search', { url: u, attributes: { query: s.trim().slice(0, 1024) } })
  } catch (e) {}
}

// autotrackUrlChange sends a pageview whenever the URL changes through the
// History API, popstate or hashchange (never twice for the same URL).
let auto = false
export function autotrackUrlChange(): void {
  if (auto) return
  auto = true
  const check = () => {
    if (location.href == last) return
    prev = last
    emit('_route')
    pageview()
  }
  const h = history as any
  for (const m of ['pushState', 'replaceState']) {
    const orig = h[m]
    h[m] = function (this: any) {
      const r = orig.apply(this, arguments as any)
      check()
      return r
    }
    onStop(() => (h[m] = orig))
  }
  listen(window, 'popstate', check)
  listen(window, 'hashchange', check)
  onStop(() => (auto = false))
}
