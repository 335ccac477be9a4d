// ac('record'), ac('identify') and Genesys' traits mapper. A traits mapper
// ([{fieldName, traitName}], global in init as globalTraitsMapper, or per
// call as {traitsMapper}) names attributes that are really traits of the
// customer (an email, a phone number): they leave the event and go through
// identify, the one path where identifiers are blind-indexed by the server
// and never kept as plain attributes.
import { warn } from './state'
import { clean } from './attrs'
import { track } from './events'

const WELL_KNOWN = ['email', 'phone', 'customerId', 'givenName', 'familyName', 'name']
const IDS = ['email', 'phone', 'customerId']

// Genesys trait names → Presage's well-known traits (others stay custom traits).
const ALIAS: { [k: string]: string } = {
  personalEmail: 'email',
  workEmail: 'email',
  otherEmail: 'email',
  cellPhone: 'phone',
  homePhone: 'phone',
  workPhone: 'phone',
  otherPhone: 'phone',
  externalId: 'customerId',
}

type Mapper = { fieldName: string; traitName: string }[]

let global: Mapper = []

const valid = (m: any): Mapper =>
  Array.isArray(m) ? m.filter((x) => x && typeof x.fieldName == 'string' && typeof x.traitName == 'string' && x.fieldName && x.traitName) : []

export function setTraitsMapper(m: any): void {
  if (m != null && !valid(m).length) warn('globalTraitsMapper must be [{fieldName, traitName}]')
  global = valid(m)
}

// mapTraits moves the mapped fields of attrs (a copy is changed) into
// traits, sends them with identify, and returns the attributes left.
export function mapTraits(attrs: any, perCall?: any): any {
  const m = global.concat(valid(perCall))
  if (!m.length || !attrs || typeof attrs != 'object') return attrs
  attrs = { ...attrs }
  const traits: any = {}
  for (const x of m) {
    if (!(x.fieldName in attrs)) continue
    let v = attrs[x.fieldName]
    delete attrs[x.fieldName]
    if (v && typeof v == 'object' && 'value' in v) v = v.value // a typed attribute
    const t = ALIAS[x.traitName] || x.traitName
    if (!(t in traits) && v != null && v !== '') traits[t] = v
  }
  if (Object.keys(traits).length) identify(traits)
  return attrs
}

// identify links the visitor to a customer: at least one of email, phone
// and customerId is required.
export function identify(t: any): void {
  t = t && typeof t == 'object' ? { ...t } : {}
  for (const k of WELL_KNOWN) if (typeof t[k] == 'number') t[k] = String(t[k])
  const traits = clean(t)
  if (traits && IDS.some((k) => typeof traits[k] == 'string' && traits[k])) track('identify', { traits })
  else warn('identify needs an email, phone or customerId trait; ignored')
}

// record sends a custom event: ac('record', name, customAttributes, {traitsMapper}).
export function record(name: any, attrs: any, o: any): void {
  if (typeof name != 'string' || !name) return warn('record needs an event name')
  attrs = mapTraits(attrs, o && o.traitsMapper)
  track('custom', { name: name.slice(0, 128), attributes: clean(attrs) })
}
