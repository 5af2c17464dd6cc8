/**
 * AWS XML answers (EC2 Query and the AWS query protocol) as plain objects: an element whose
 * children are all <item> or <member> is a list, a leaf is its text, anything else an object
 * keyed by child name. An empty list element reads as "" — read lists through `arr()`.
 */
export type XValue = string | XObject | XValue[];
export interface XObject {
  [key: string]: XValue;
}

export function elementToValue(el: Element): XValue {
  const kids = el.children;
  if (kids.length === 0) return el.textContent ?? '';
  let allItems = true;
  for (const k of kids) {
    if (k.localName !== 'item' && k.localName !== 'member') {
      allItems = false;
      break;
    }
  }
  if (allItems) return Array.from(kids, elementToValue);
  const out: XObject = {};
  for (const k of kids) {
    const v = elementToValue(k);
    const name = k.localName;
    if (Object.hasOwn(out, name)) {
      const prev = out[name]!;
      out[name] = Array.isArray(prev) ? [...prev, v] : [prev, v];
    } else {
      out[name] = v;
    }
  }
  return out;
}

export function parseXml(text: string): Element {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const err = doc.getElementsByTagName('parsererror')[0];
  if (err) throw new Error(`The answer is not XML: ${text.slice(0, 200)}`);
  return doc.documentElement;
}

/** The first error in an AWS XML error envelope (EC2 <Response><Errors> or query <ErrorResponse>). */
export function xmlError(root: Element): { code: string; message: string } | undefined {
  if (root.localName !== 'Response' && root.localName !== 'ErrorResponse') return undefined;
  const code = root.getElementsByTagName('Code')[0]?.textContent;
  if (!code) return undefined;
  return { code, message: root.getElementsByTagName('Message')[0]?.textContent ?? '' };
}
