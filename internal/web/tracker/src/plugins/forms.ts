// ac('forms:track', selector, options): form_start on the first input,
// form_submit on submit, form_abandon when the page or route is left after a
// start without a submit. Field values are never sent unless the field's
// name is in allowFields; field names only with captureFormData* options;
// password, hidden, file and payment-card-like fields never. A form starts
// again after a submit only on new typing (an input event): the change
// event a blur fires after a scripted submit is not a new start.
import type { Api } from '../api'
import { register } from './_register'

interface Opts {
  formName?: string
  captureFormDataOnSubmit?: boolean
  captureFormDataOnAbandon?: boolean
  allowFields?: string[]
}

const SECRET = /pass|pwd|card|cc-?(num|csc|exp)|cvv|cvc|csc|iban|ssn|secret|token|pin$/i

function secret(el: any): boolean {
  return /^(password|hidden|file)$/i.test(el.type) || /^cc-/i.test(el.autocomplete || '') || SECRET.test(el.name + ' ' + el.id)
}

function filled(el: any): boolean {
  return /^(checkbox|radio)$/i.test(el.type) ? el.checked : el.value != '' && el.value != null
}

// data describes the form: "fields" lists the names of filled fields (when
// names is true), "field.<name>" holds the value of each allowed field.
function data(a: Api, f: HTMLFormElement, names: boolean, allow: string[]): any {
  const r: any = {}
  const seen: string[] = []
  for (const el of Array.from(f.elements) as any[]) {
    const n = el.name
    if (!n || secret(el) || !filled(el) || !/^(input|select|textarea)$/i.test(el.tagName)) continue
    if (names && seen.indexOf(n) < 0) seen.push(n)
    if (allow.indexOf(n) >= 0 && seen.length < 45) r[a.key('field.' + n)] = String(el.value).slice(0, 1024)
  }
  if (seen.length) r.fields = seen.join(',').slice(0, 1024)
  return r
}

register('forms', (a: Api) => (sel: string, o?: Opts): void => {
  if (typeof sel != 'string') return a.warn('forms:track needs a CSS selector')
  o = o || {}
  const allow = Array.isArray(o.allowFields) ? o.allowFields.map(String) : []
  const started: HTMLFormElement[] = []
  const submitted: HTMLFormElement[] = []
  const form = (t: any): HTMLFormElement | null => {
    const f = t && t.closest ? t.closest('form') : null
    try {
      return f && f.matches(sel) ? f : null
    } catch (e) {
      return null
    }
  }
  const name = (f: HTMLFormElement) => (o!.formName || f.getAttribute('name') || f.id || sel).slice(0, 128)
  const send = (type: string, f: HTMLFormElement, names?: boolean) => {
    const d = data(a, f, !!names, allow)
    a.track(type, { name: name(f), attributes: Object.keys(d).length ? d : undefined })
  }
  const input = (e: Event) => {
    const f = form(e.target)
    if (!f || started.indexOf(f) >= 0) return
    const j = submitted.indexOf(f)
    if (j >= 0) {
      if (e.type == 'change') return
      submitted.splice(j, 1)
    }
    started.push(f)
    a.track('form_start', { name: name(f) })
  }
  a.listen(document, 'input', input, true)
  a.listen(document, 'change', input, true)
  a.listen(
    document,
    'submit',
    (e: Event) => {
      const f = form(e.target)
      if (!f) return
      const i = started.indexOf(f)
      if (i >= 0) started.splice(i, 1)
      if (submitted.indexOf(f) < 0) submitted.push(f)
      send('form_submit', f, o!.captureFormDataOnSubmit)
    },
    true,
  )
  const abandon = () => {
    while (started.length) send('form_abandon', started.shift()!, o!.captureFormDataOnAbandon)
  }
  a.on('_leave', abandon)
  a.on('_route', abandon)
})
