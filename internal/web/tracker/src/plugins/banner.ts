// The built-in consent banner, the preferences panel and the "Privacy
// settings" button: plain DOM in an open shadow root (#presage-consent), so
// the site's styles and ours never mix. Accept and Reject look the same;
// withdrawing everything is one click in the panel. A purpose on
// legitimate interest is shown with its right to object: checked until the
// visitor objects. Loaded by the core as a chunk when the UI is wanted.
import type { Api } from '../api'
import type { Info } from '../consent'
import { register } from './_register'

const L: { [k: string]: string } = {
  accept: 'Accept all',
  reject: 'Reject all',
  choose: 'Choose',
  save: 'Save choices',
  withdraw: 'Withdraw all',
  settings: 'Privacy settings',
}

const CSS =
  ':host{all:initial}[hidden]{display:none!important}' +
  '.b{position:fixed;z-index:2147483647;left:0;right:0;bottom:0;margin:1em auto;width:calc(100% - 2em);max-width:38em;max-height:calc(100vh - 2em);overflow:auto;box-sizing:border-box;padding:1.2em;background:#fff;color:#222;border:2px solid #222;border-radius:8px;box-shadow:0 4px 24px #0005;font:16px/1.45 system-ui,sans-serif}' +
  'h2{font-size:1.2em;margin:0 0 .5em}p,label{display:block;margin:.5em 0}input{margin:0 .6em 0 0;width:1.1em;height:1.1em;vertical-align:-.15em}' +
  '.a{display:grid;grid-template-columns:repeat(auto-fit,minmax(9em,1fr));gap:.6em;margin-top:1em;position:sticky;bottom:-1.2em;background:#fff;padding:.6em 0 1.2em}' +
  'button{font:600 16px/1.2 system-ui,sans-serif;padding:.7em 1em;border:2px solid #222;border-radius:6px;background:#fff;color:#222;cursor:pointer}button:hover{background:#eee}' +
  ':focus-visible{outline:3px solid #0b5cd5;outline-offset:2px}' +
  '.ps{position:fixed;z-index:2147483646;left:.6em;bottom:.6em;font-size:13px;padding:.4em .7em}' +
  '@media(prefers-reduced-motion:no-preference){.b{animation:i .25s ease-out}@keyframes i{from{opacity:0;transform:translateY(1em)}}}'

register('banner', (a: Api) => {
const { cs, opt, kills } = a
let host: HTMLElement | null = null
let root: ShadowRoot
let ps: HTMLElement // the Privacy settings button
let dlg: HTMLElement | null = null
let isPanel = false
let back: any = null // focused before the dialog opened

const decided = () => Object.keys(cs.p).length > 0
const li = (p: any) => p.basis == 'legitimate_interest' || p.basis == 'public_task'

// h creates an element; attribute "on" is a click handler, false skips one.
function h(tag: string, a?: any, ...kids: any[]): HTMLElement {
  const e = document.createElement(tag)
  for (const k in a) if (a[k] !== false) k == 'on' ? e.addEventListener('click', a[k]) : e.setAttribute(k, a[k] === true ? '' : a[k])
  e.append(...kids)
  return e
}

function mount(): boolean {
  if (!host && document.body) {
    host = h('div', { id: 'presage-consent' })
    root = host.attachShadow({ mode: 'open' })
    ps = h('button', { type: 'button', class: 'ps', 'aria-label': L.settings, on: () => render(true) }, L.settings)
    root.append(h('style', 0, CSS), ps)
    document.body.append(host)
    kills.push(() => host!.remove())
  }
  if (host) ps.hidden = !!dlg || !opt.ui || opt.bridged || !decided()
  return !!host
}

// Setup: init's consent options (labels; privacyLink, a selector of the
// site's own links that open the panel).
const c = opt.c
Object.assign(L, c.labels)
const sel = c.privacyLink
if (typeof sel == 'string') {
  const f = (e: any) => {
    try {
      if (e.target.closest(sel)) e.preventDefault(), render(true)
    } catch (x) {}
  }
  document.addEventListener('click', f, true)
  kills.push(() => document.removeEventListener('click', f, true))
}
// A decision made elsewhere (ac('consent', …)) closes the banner.
a.on('consent', () => (dlg && !isPanel && decided() ? close() : opt.ui && mount()))
a.on('_bridged', close)

// show shows the banner while the visitor decided nothing, else the
// Privacy settings button (without asking the server again).
function show(): void {
  if (!opt.ui || opt.bridged) return
  const go = () => (decided() ? mount() : render(false))
  document.body ? go() : document.addEventListener('DOMContentLoaded', go)
}

function close(): void {
  if (dlg) dlg.remove(), (dlg = null), mount(), back && back.focus && back.focus()
  back = null
}

// render shows the banner, or the preferences panel (panel true).
function render(panel: boolean, fromBanner?: boolean): void {
  a.info().then((i: Info | null) => {
    if (!i || !i.version || a.st.dead || (opt.bridged && !panel) || !mount()) return
    const txt = (p: any) => i.texts[p.name] || ''
    // Consent can be asked only for what the notice describes; an
    // objection to what it describes on legitimate interest.
    const ask = (p: any) => p.basis == 'consent' && txt(p)
    const all = i.purposes.filter(ask).map((p) => p.name)
    const reject: { [p: string]: boolean } = {}
    for (const p of i.purposes) if (ask(p) || (li(p) && txt(p))) reject[p.name] = false
    const o = { notice: i.version }
    const m = panel ? 'preferences' : 'banner'
    const btn = (l: string, f: () => void) => h('button', { type: 'button', on: () => (close(), f()) }, l)
    const items = i.purposes
      .filter(txt)
      .map((p) => {
        const t = [h('b', 0, p.name[0].toUpperCase() + p.name.slice(1).replace(/_/g, ' ')), ' ', txt(p)]
        const on = li(p) ? !/^(objected|denied|withdrawn)$/.test(cs.p[p.name]) : cs.p[p.name] == 'granted'
        return panel && (ask(p) || li(p))
          ? h('label', 0, h('input', { type: 'checkbox', name: p.name, checked: on }), ...t)
          : h('p', 0, ...t)
      })
    const save = () => {
      const want: { [p: string]: boolean } = {}
      for (const x of Array.from(d.querySelectorAll('input'))) want[x.name] = x.checked
      a.record(want, o, m)
    }
    const acts = panel
      ? [
          btn(L.save, save),
          btn(L.accept, () => a.decide('grant', all, o, m)),
          decided() ? btn(L.withdraw, () => a.decide('withdraw', undefined, o, m)) : btn(L.reject, () => a.record(reject, o, m)),
        ]
      : [
          btn(L.accept, () => a.decide('grant', all, o, m)),
          btn(L.reject, () => a.record(reject, o, m)),
          h('button', { type: 'button', on: () => render(true, true) }, L.choose),
        ]
    const d = h(
      'div',
      { class: 'b', role: 'dialog', 'aria-labelledby': 'pc-t', 'aria-describedby': 'pc-d', tabindex: -1, lang: i.language || false },
      h('h2', { id: 'pc-t' }, i.title),
      h('div', { id: 'pc-d' }, ...items),
      h('div', { class: 'a' }, ...acts),
    )
    // Escape closes the panel without deciding (back to the banner if it came from there).
    d.addEventListener('keydown', (e) => panel && e.key == 'Escape' && (fromBanner ? render(false) : close()))
    if (!dlg) back = root.activeElement || document.activeElement
    dlg ? dlg.replaceWith(d) : root.append(d)
    dlg = d
    isPanel = panel
    mount()
    d.focus()
  })
}

return { show, render }
})
