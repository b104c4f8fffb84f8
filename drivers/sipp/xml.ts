/**
 * Writing XML that SIPp's own mini parser (xp_parser) reads the way a real XML parser would. It is not a
 * real XML parser, so the encoding follows what it does, checked against SIPp 3.6.1's source:
 *  - in attribute values a backslash is an escape (`\\` `\"` `\n` `\t` `\r`), applied to every attribute, so a
 *    literal backslash is written `\\`;
 *  - entities (`&amp; &lt; &gt; &quot;`, not `&apos;`) are decoded afterwards, but only for attributes read as
 *    strings (regexp, log message, values), so names and labels are restricted to plain characters instead;
 *  - an attribute is found by searching the tag's text for ` name=`, so a free-text value holding such a
 *    string could be mistaken for another attribute: free text goes last and is refused when it does that;
 *  - CDATA ends at the first `]]>` (no split sections), and a scenario file is at most 64 KiB.
 */

export const SIPP_MAX_XML_BYTES = 65536;

export class ScenarioError extends Error {}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Labels, variable, counter, rtd and transaction names: SIPp forbids `$` and `,` and decodes no entities. */
export function checkName(kind: string, value: string): string {
  if (!NAME.test(value)) throw new ScenarioError(`${kind} "${value}" must match ${NAME} (SIPp reads it verbatim)`);
  return value;
}

/** A value for any attribute: backslashes doubled (SIPp unescapes them), then XML entities. */
export function attrValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export type AttrValue = string | number | boolean | undefined;

/**
 * Renders attributes in the order given. `freeText` names the attributes whose value is arbitrary text:
 * they must come after the plain ones (see the file comment), and may not contain ` otherName=`.
 */
export function attrs(list: Array<[string, AttrValue]>, freeText: readonly string[] = []): string {
  const present = list.filter((a): a is [string, string | number | boolean] => a[1] !== undefined);
  const names = present.map(([n]) => n);
  let seenFree = false;
  for (const [name, value] of present) {
    const isFree = freeText.includes(name);
    if (!isFree && seenFree) throw new Error(`internal: attribute ${name} follows a free-text attribute`);
    seenFree ||= isFree;
    if (!isFree && typeof value === 'string' && /["&<>\\\s]/.test(value)) {
      throw new ScenarioError(`attribute ${name}="${value}" holds a character SIPp would not decode here`);
    }
    if (isFree && typeof value === 'string') {
      const clash = names.concat(KNOWN_ATTRIBUTES).find((n) => new RegExp(`\\s${n}\\s*=`).test(value));
      if (clash) throw new ScenarioError(`attribute ${name}="${value}" contains "${clash}=", which SIPp's parser would take for that attribute`);
    }
  }
  return present.map(([n, v]) => ` ${n}="${attrValue(String(v))}"`).join('');
}

/** Attribute names SIPp looks up on messages and actions (a free-text value must not imitate one). */
const KNOWN_ATTRIBUTES = [
  'regexp', 'search_in', 'header', 'assign_to', 'check_it', 'check_it_inverse', 'case_indep', 'occurrence', 'start_line',
  'variable', 'variable2', 'value', 'compare', 'message', 'command', 'int_cmd', 'next', 'test', 'ontimeout', 'timeout',
  'optional', 'response', 'request', 'rrs', 'auth', 'retrans', 'crlf', 'lost', 'counter', 'rtd', 'start_rtd', 'repeat_rtd',
  'chance', 'condexec', 'condexec_inverse', 'milliseconds', 'id', 'name', 'host', 'port', 'protocol',
];

/** Message text inside CDATA. SIPp cannot read a split CDATA section, so `]]>` is refused rather than escaped. */
export function cdata(text: string): string {
  if (text.includes(']]>')) throw new ScenarioError('a message may not contain "]]>" (SIPp cannot read split CDATA sections)');
  return `<![CDATA[\n${text}\n]]>`;
}

/** Removes the indentation a template literal adds, and the blank first and last lines, so messages can be written in code. */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length && lines[0].trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut).trimEnd()).join('\n');
}
