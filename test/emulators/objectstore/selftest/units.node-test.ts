/**
 * Units of the object-store emulator: XML parsing/escaping, Range parsing, copy-source parsing.
 * (Node side; see harness.ts.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCopySource, parseRange } from '../operations.ts'
import { ossDialect } from '../oss-dialect.ts'
import { s3Dialect } from '../s3-dialect.ts'
import { buildXml, decodeXmlEntities, el, escapeXml, node, parseXmlDocument, XmlSyntaxError } from '../xml.ts'

describe('xml.ts', () => {
  it('decodes the predefined entities and every numeric reference; refuses the rest', () => {
    assert.equal(decodeXmlEntities('&amp;&lt;&gt;&quot;&apos;&#xD;&#13;&#x1;&#x1F600;&#65;'), '&<>"\'\r\r\u0001😀A')
    for (const bad of ['&nbsp;', '&', 'a & b', '&#0;', '&#xD800;', '&#x110000;', '&#;']) assert.throws(() => decodeXmlEntities(bad), XmlSyntaxError, bad)
  })

  it('parses one document with the expected root; keeps whitespace and leading zeros; CDATA is literal', () => {
    const doc = parseXmlDocument(Buffer.from('\uFEFF<?xml version="1.0"?>\n<Delete><Object><Key> 007 </Key></Object><Object><Key><![CDATA[a&amp;<b>]]></Key></Object></Delete>'), 'Delete', ['Object'])
    assert.deepEqual(doc, { Object: [{ Key: ' 007 ' }, { Key: 'a&amp;<b>' }] })
    assert.throws(() => parseXmlDocument(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]), 'a'), /UTF-8/)
    assert.throws(() => parseXmlDocument(Buffer.from('<a/>'), 'b'), /expected one <b>/)
  })

  it('escapes text and builds documents with the XML declaration', () => {
    assert.equal(escapeXml('a&<>"\'\r\n\t\u0001'), 'a&amp;&lt;&gt;&quot;&apos;&#xD;\n\t&#x1;')
    assert.equal(buildXml(node('R', [el('K', 'x<y'), el('E', '')], { xmlns: 'n' })), '<?xml version="1.0" encoding="UTF-8"?><R xmlns="n"><K>x&lt;y</K><E></E></R>')
  })
})

describe('parseRange', () => {
  it('takes one bytes= range and clips it; the rest is ignored or unsatisfiable', () => {
    assert.deepEqual(parseRange('bytes=0-0', 5), [0, 0])
    assert.deepEqual(parseRange('bytes=3-99', 5), [3, 4])
    assert.deepEqual(parseRange('bytes=-2', 5), [3, 4])
    assert.deepEqual(parseRange('bytes=-99', 5), [0, 4])
    assert.deepEqual(parseRange('bytes=2-', 5), [2, 4])
    assert.equal(parseRange('bytes=5-', 5), 'unsatisfiable')
    assert.equal(parseRange('bytes=-0', 5), 'unsatisfiable')
    for (const ignored of [undefined, 'bytes=3-1', 'bytes=0-1,2-3', 'items=0-1', 'bytes=-']) assert.equal(parseRange(ignored, 5), undefined, String(ignored))
  })
})

describe('parseCopySource', () => {
  it('decodes bucket and key once, with or without the leading slash, with a versionId', () => {
    assert.deepEqual(parseCopySource('/b/dir/a%20b%2Bc%25', s3Dialect), { bucket: 'b', key: 'dir/a b+c%' })
    assert.deepEqual(parseCopySource('b/k+k', ossDialect), { bucket: 'b', key: 'k+k' })
    assert.deepEqual(parseCopySource('/b/k%3Fx?versionId=v%2B1', s3Dialect), { bucket: 'b', key: 'k?x', versionId: 'v+1' })
    for (const bad of ['/b', '/b/', '/b/%E0%A4', '/b/k?versionId=', '']) {
      assert.throws(() => parseCopySource(bad, s3Dialect), (e: { status?: number }) => e.status === 400, bad)
    }
  })
})
