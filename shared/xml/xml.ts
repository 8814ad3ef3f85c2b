import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

/**
 * XML text escaping that also writes control characters (and CR, which XML parsers would fold)
 * as character references, as Aliyun's SDK does: object keys may hold any of them.
 */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f\u007f]/g, (c) => ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`)
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Resolves the five XML entities and numeric character references, and nothing else. */
export function unescapeXml(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole
    const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole
  })
}

/**
 * A parser for provider answers: values stay strings (a key "00123" is not a number), spaces are
 * kept, and entities are decoded by {@link unescapeXml} — fast-xml-parser's own decoding drops
 * control characters that S3 keys may contain. DOCTYPE entities are never expanded.
 */
export function createXmlParser(arrays: readonly string[] = []) {
  const isArray = new Set(arrays)
  return new XMLParser({
    ignoreAttributes: true,
    ignoreDeclaration: true,
    parseTagValue: false,
    trimValues: false,
    processEntities: false,
    htmlEntities: false,
    tagValueProcessor: (_name, value) => unescapeXml(value),
    isArray: (name) => isArray.has(name),
  })
}

/**
 * Parses a provider answer only when it is a whole, well-formed document. fast-xml-parser reads a
 * cut-off document leniently (a DeleteResult without its closing tag parses as an empty result), and
 * an answer cut short must read as unknown — retried — never as "nothing failed" or "last page".
 */
export function parseWellFormed(parser: XMLParser, text: string): unknown {
  const valid = XMLValidator.validate(text)
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`)
  return parser.parse(text)
}

const builder = new XMLBuilder({ processEntities: false, suppressEmptyNode: false, tagValueProcessor: (_name, value) => escapeXml(String(value)) })

/** Serialises a plain object as an XML document with the declaration providers expect. */
export function buildXml(document: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build(document)}`
}
