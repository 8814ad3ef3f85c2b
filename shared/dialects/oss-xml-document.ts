import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { utf8Decode } from '../crypto/encoding.ts'

/** One element of a request document: its own text (CDATA included) and its child elements, in order. */
export interface XmlElement {
  name: string
  text: string
  children: XmlElement[]
}

export type XmlReadError = { code: 'MalformedXML' | 'EntityTooLarge'; message: string }
export type XmlRead = { ok: true; root: XmlElement } | { ok: false; error: XmlReadError }

// The project's parser settings (shared/xml/xml.ts): no attributes, values kept as strings with
// their spaces, entities never expanded. preserveOrder keeps CDATA apart from text (its "&amp;" is
// literal) and keeps repeated and unknown elements visible, so the mapper can name them.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  // Request documents are six levels deep; anything far deeper is refused before it costs stack.
  maxNestedTags: 16,
})

const malformed = (message: string): XmlRead => ({ ok: false, error: { code: 'MalformedXML', message } })

// After validation every comment, CDATA section and processing instruction is closed, so this
// finds, in one linear pass, any other "<!" markup: a DOCTYPE and the entity declarations in it.
const MARKUP = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!/g
const ENCODING = /^<\?xml\s[^?]*?\bencoding\s*=\s*["']([^"']*)["']/
const REFERENCE = /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_:][\w.:-]*);/g
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

class DecodeError extends Error {}

/** Text content: the five predefined entities and character references; any other entity is an error. */
function decodeText(raw: string): string {
  if (!raw.includes('&')) return raw
  return raw.replace(REFERENCE, (_whole, ref: string) => {
    if (ref[0] !== '#') {
      const named = NAMED[ref]
      if (named === undefined) throw new DecodeError(`undefined entity &${ref}; (entities are not declared or expanded here)`)
      return named
    }
    const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new DecodeError(`invalid character reference &${ref};`)
    return String.fromCodePoint(code)
  })
}

type OrderedNode = Record<string, unknown>

function elementOf(node: OrderedNode): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text' && k !== '#cdata')
  if (name === undefined) return null
  const element: XmlElement = { name, text: '', children: [] }
  for (const child of node[name] as OrderedNode[]) {
    if ('#text' in child) element.text += decodeText(String(child['#text']))
    else if ('#cdata' in child) element.text += (child['#cdata'] as { '#text': string }[]).map((c) => String(c['#text'])).join('')
    else {
      const sub = elementOf(child)
      if (sub) element.children.push(sub)
    }
  }
  return element
}

/**
 * Reads a request document strictly: at most `maxBytes` of UTF-8, well-formed, no DOCTYPE (so no
 * entity is ever declared, let alone expanded), exactly one root element named `rootName`.
 */
export function readXmlDocument(bytes: Uint8Array, rootName: string, maxBytes: number): XmlRead {
  if (bytes.byteLength > maxBytes)
    return { ok: false, error: { code: 'EntityTooLarge', message: `the ${rootName} document is ${bytes.byteLength} bytes; at most ${maxBytes} are accepted` } }
  let text: string
  try {
    text = utf8Decode(bytes)
  } catch {
    return malformed('the document is not valid UTF-8')
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const encoding = ENCODING.exec(text)?.[1]
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) return malformed(`the document declares encoding "${encoding}"; only UTF-8 is accepted`)
  const valid = XMLValidator.validate(text)
  if (valid !== true) return malformed(`${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`)
  for (const m of text.matchAll(MARKUP))
    if (m[0] === '<!') return malformed('DOCTYPE and entity declarations are not accepted; nothing was expanded')

  let roots: XmlElement[]
  try {
    roots = (parser.parse(text) as OrderedNode[]).map(elementOf).filter((e) => e !== null)
  } catch (err) {
    return malformed(err instanceof DecodeError ? err.message : `the document cannot be read: ${err instanceof Error ? err.message : 'parse error'}`)
  }
  if (roots.length !== 1) return malformed(`the document must have exactly one root element, ${rootName}`)
  const root = roots[0] as XmlElement
  if (root.name !== rootName) return malformed(`the root element must be ${rootName}, not ${root.name}`)
  return { ok: true, root }
}
