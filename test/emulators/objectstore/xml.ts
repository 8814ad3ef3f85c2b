/**
 * XML in and out for the object-store emulators, with fast-xml-parser.
 *
 * Parsing is strict where S3/OSS are (an answer of MalformedXML for anything but one well-formed
 * UTF-8 document with the expected root): invalid UTF-8, raw control characters (not allowed in
 * XML 1.0), unknown entities and stray '&' are rejected. Character references are decoded for
 * every code point, including control characters (`&#xD;`, `&#x1;`), which is how clients send
 * keys holding them. Literal CR LF / CR become LF (XML end-of-line handling), so a key holding
 * a CR must arrive as `&#xD;`. Values are not trimmed or type-converted ("0123" stays a string).
 *
 * Building writes the same escapes back: & < > " ' as entities, and CR and the other control
 * characters as `&#xN;` references.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser'

export class XmlSyntaxError extends Error {}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
const REF_RE = /&([^;&]*);|&/g

/** Decodes the five predefined entities and numeric references; anything else throws. */
export function decodeXmlEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(REF_RE, (m, name: string | undefined) => {
    if (name === undefined) throw new XmlSyntaxError(`stray "&" in ${JSON.stringify(m)}`)
    const named = PREDEFINED[name]
    if (named !== undefined) return named
    const num = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name)
    if (!num) throw new XmlSyntaxError(`unknown entity &${name};`)
    const cp = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2]!, 10)
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new XmlSyntaxError(`invalid character reference &${name};`)
    return String.fromCodePoint(cp)
  })
}

/** fast-xml-parser's entity-decoder hook, strict (DOCTYPE entities are not honoured). */
const strictDecoder = {
  setExternalEntities(): void {},
  addInputEntities(entities: Record<string, string>): void {
    if (Object.keys(entities).length > 0) throw new XmlSyntaxError('DOCTYPE entities are not allowed')
  },
  reset(): void {},
  setXmlVersion(): void {},
  decode: decodeXmlEntities,
}

// XML 1.0 Char excludes these (TAB, LF and CR are allowed raw).
const RAW_CONTROL_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** A parsed element: text, or child elements by name (repeated names → arrays, see `arrays`). */
export type XmlValue = string | XmlElement
export interface XmlElement {
  [name: string]: XmlValue | XmlValue[]
}

/**
 * Parses `body` and returns the content of its root element, which must be named `root`
 * (namespace prefixes and attributes are ignored). `arrays` lists element names that are always
 * arrays. Throws XmlSyntaxError for anything that is not such a document.
 */
export function parseXmlDocument(body: Uint8Array, root: string, arrays: readonly string[] = []): XmlValue {
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    throw new XmlSyntaxError('body is not valid UTF-8')
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (RAW_CONTROL_RE.test(text)) throw new XmlSyntaxError('raw control character in XML (use a character reference)')
  if (text.trim() === '') throw new XmlSyntaxError('empty body')
  const valid = XMLValidator.validate(text)
  if (valid !== true) throw new XmlSyntaxError(`${valid.err.code}: ${valid.err.msg} (line ${valid.err.line})`)
  // XML end-of-line handling before parsing: literal CR LF and CR are LF.
  text = text.replace(/\r\n?/g, '\n')
  const parser = new XMLParser({
    ignoreAttributes: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    removeNSPrefix: true,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    entityDecoder: strictDecoder,
    isArray: (name) => arrays.includes(name),
  })
  let doc: unknown
  try {
    doc = parser.parse(text)
  } catch (e) {
    throw new XmlSyntaxError(e instanceof Error ? e.message : String(e))
  }
  if (typeof doc !== 'object' || doc === null) throw new XmlSyntaxError('no root element')
  const names = Object.keys(doc).filter((k) => k !== '#text')
  const stray = (doc as Record<string, unknown>)['#text']
  if (typeof stray === 'string' && stray.trim() !== '') throw new XmlSyntaxError('text outside the root element')
  if (names.length !== 1 || names[0] !== root) throw new XmlSyntaxError(`expected one <${root}> root element, got ${names.map((n) => `<${n}>`).join(', ') || 'none'}`)
  const value = (doc as Record<string, unknown>)[root]
  if (Array.isArray(value)) throw new XmlSyntaxError(`more than one <${root}> root element`)
  return value as XmlValue
}

/** Child elements of a container (an empty element is an empty container). Throws on mixed text. */
export function children(v: XmlValue | XmlValue[] | undefined, name: string): XmlElement {
  if (v === undefined || v === '') return {}
  if (Array.isArray(v)) throw new XmlSyntaxError(`more than one <${name}>`)
  if (typeof v === 'string') {
    if (v.trim() === '') return {}
    throw new XmlSyntaxError(`<${name}> must contain elements, not text`)
  }
  const stray = v['#text']
  if (typeof stray === 'string' && stray.trim() !== '') throw new XmlSyntaxError(`<${name}> mixes text and elements`)
  return v
}

/** The text of a leaf element (undefined when absent). Throws when it holds elements or repeats. */
export function textOf(parent: XmlElement, name: string): string | undefined {
  const v = parent[name]
  if (v === undefined) return undefined
  if (Array.isArray(v)) throw new XmlSyntaxError(`more than one <${name}>`)
  if (typeof v === 'string') return v
  // An element whose only content is whitespace around nothing parses as an object with #text.
  const keys = Object.keys(v)
  if (keys.length === 1 && keys[0] === '#text' && typeof v['#text'] === 'string') return v['#text']
  throw new XmlSyntaxError(`<${name}> must contain text`)
}

/** The elements named `name` (always an array). */
export function listOf(parent: XmlElement, name: string): XmlValue[] {
  const v = parent[name]
  if (v === undefined) return []
  return Array.isArray(v) ? v : [v]
}

// ------------------------------------------------------------------------------------- building

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }
const ESCAPE_RE = /[&<>"'\u0000-\u0008\u000B-\u001F\u007F\uFFFE\uFFFF]/g

/** Escapes text for element content and attribute values (control characters as &#xN;). */
export function escapeXml(s: string): string {
  return s.replace(ESCAPE_RE, (c) => ESC[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`)
}

/** An element to build: text content, or children (in order). */
export interface XmlNode {
  name: string
  attrs?: Record<string, string>
  text?: string
  children?: XmlNode[]
}

export const el = (name: string, text: string | number | boolean): XmlNode => ({ name, text: String(text) })
export const node = (name: string, children: XmlNode[], attrs?: Record<string, string>): XmlNode =>
  attrs ? { name, children, attrs } : { name, children }

type Ordered = Record<string, unknown>
function toOrdered(n: XmlNode): Ordered {
  const content = n.children ? n.children.map(toOrdered) : n.text === undefined || n.text === '' ? [] : [{ '#text': escapeXml(n.text) }]
  const o: Ordered = { [n.name]: content }
  if (n.attrs) o[':@'] = Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [`@_${k}`, escapeXml(v)]))
  return o
}

const builder = new XMLBuilder({
  preserveOrder: true,
  processEntities: false,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
})

/** `<?xml version="1.0" encoding="UTF-8"?>` + the element. */
export function buildXml(root: XmlNode): string {
  return builder.build([{ '?xml': [{ '#text': '' }], ':@': { '@_version': '1.0', '@_encoding': 'UTF-8' } }, toOrdered(root)]) as string
}
