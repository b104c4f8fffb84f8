/**
 * Test support for the SIPp driver tests: a real XML parser (Python's ElementTree, strict about
 * well-formedness) to read emitted scenarios back, and a decoder that applies SIPp's own attribute rules.
 */
import { execFileSync } from 'node:child_process';

export interface XmlNode {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlNode[];
}

const PY = `
import sys, json, xml.etree.ElementTree as E
def node(e):
    return {"tag": e.tag, "attrs": dict(e.attrib), "text": e.text or "", "children": [node(c) for c in e]}
print(json.dumps(node(E.fromstring(sys.stdin.buffer.read()))))
`;

/** Parses with a conforming XML parser; throws (with the parser's message) when the XML is not well-formed. */
export function parseXml(xml: string): XmlNode {
  return JSON.parse(execFileSync('python3', ['-c', PY], { input: xml, encoding: 'utf8' })) as XmlNode;
}

/** What SIPp reads from an attribute that a conforming parser read as `xmlValue`: backslash escapes undone. */
export function sippAttr(xmlValue: string): string {
  return xmlValue.replace(/\\(["\\ntr])/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

/** Child elements by tag, in order. */
export function children(n: XmlNode, tag?: string): XmlNode[] {
  return tag ? n.children.filter((c) => c.tag === tag) : n.children;
}

/** SIPp processes (any owner) whose -i address is in the block: the check that a test left nothing behind. */
export function sippProcessesIn(cidr: string): string[] {
  const prefix = cidr.replace(/0\/24$/, '');
  const out = execFileSync('sh', ['-c', 'pgrep -a sipp || true'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(` -i ${prefix}`));
}
