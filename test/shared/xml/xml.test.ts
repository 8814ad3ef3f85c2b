import { describe, expect, it } from 'vitest'
import { buildXml, createXmlParser, escapeXml, unescapeXml } from '../../../shared/xml/xml.ts'

const WEIRD = ['a b', ' lead and trail ', 'a&b<c>"d\'e', 'line\nbreak\r\nwin', 'ctl\u0001\u001f\u007f', '文件/ünï', '00123', '😀']

describe('XML helpers', () => {
  it('round-trips keys with entities, control characters, spaces and unicode through build and parse', () => {
    const xml = buildXml({ Delete: { Quiet: 'true', Object: WEIRD.map((Key) => ({ Key })) } })
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>')).toBe(true)
    expect(xml).toContain('&#x1;&#x1F;&#x7F;')
    expect(xml).toContain('&#xD;')
    const parsed = createXmlParser(['Object']).parse(xml)
    expect(parsed.Delete.Object.map((o: { Key: string }) => o.Key)).toEqual(WEIRD)
  })

  it('decodes only XML entities and numeric references', () => {
    expect(unescapeXml('&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#x1F600;&nbsp;&bogus;')).toBe('&<>"\'AB😀&nbsp;&bogus;')
    expect(escapeXml('<&>')).toBe('&lt;&amp;&gt;')
  })

  it('never expands DOCTYPE entities', () => {
    const doc = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;&b;</x>'
    expect(createXmlParser().parse(doc).x).toBe('&b;&b;')
  })
})
