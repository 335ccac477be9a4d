// Plugin consentModeBridge: Google Consent Mode v2 decides (see _bridge.ts).
import type { Api } from '../api'
import { register } from './_register'
import { sync } from './_bridge'

declare const window: any

// consentModeBridge follows Google Consent Mode v2: the gtag('consent',
// 'default'|'update', {...}) commands in window.dataLayer, merged in order.
// A default alone is the site's default, not the visitor's choice: nothing is
// recorded before the first update.
register('consentModeBridge', (a: Api) => (): void => {
  a.bridge()
  const dl = (window.dataLayer = window.dataLayer || [])
  const s: any = {}
  let upd = false
  const read = (a: any) => {
    if (a && a[0] == 'consent' && (a[1] == 'default' || a[1] == 'update') && a[2] && typeof a[2] == 'object') {
      Object.assign(s, a[2])
      return (upd = upd || a[1] == 'update')
    }
  }
  const go = () => {
    if (!upd) return
    const want: { [p: string]: boolean } = {}
    const ad = ['ad_storage', 'ad_user_data', 'ad_personalization']
    if (s.analytics_storage) want.analytics = s.analytics_storage == 'granted'
    if (ad.some((k) => s[k])) want.marketing = ad.every((k) => s[k] == 'granted')
    sync(a, want, { gcm: { ...s } })
  }
  for (let i = 0; i < dl.length; i++) read(dl[i])
  go()
  const push = dl.push
  dl.push = function () {
    const r = push.apply(this, arguments)
    let c = false
    for (let i = 0; i < arguments.length; i++) c = read(arguments[i]) || c
    if (c) go()
    return r
  }
  a.kills.push(() => (dl.push = push))
})

