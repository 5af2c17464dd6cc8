/**
 * Turns the flat parameters of an EC2-query or AWS-query request (`Filter.1.Name=vpc-id`,
 * `TagSpecification.1.Tag.1.Key=Name`, ...) into a typed input object whose keys are the
 * model's member names (`Filters[0].Name`), checking every value against the model.
 */
import { ApiError, errors } from './errors.js';
import { type ServiceModel, type Shape, type ShapeRef, shapeOf, ucfirst } from './model.js';

interface Node {
  value?: string;
  children?: Map<string, Node>;
}

/** Parameters that carry authentication or protocol data, never operation input. */
const TRANSPORT_PARAMS = new Set([
  'Action',
  'Version',
  'AWSAccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'Timestamp',
  'Expires',
  'SecurityToken',
  'ContentType',
]);

export const MAX_PARAMS = 20_000;
const MAX_DEPTH = 12;
const MAX_LIST_INDEX = 100_000;

function buildTree(params: Iterable<[string, string]>): { tree: Node; version?: string } {
  const root: Node = { children: new Map() };
  let version: string | undefined;
  let count = 0;
  for (const [key, value] of params) {
    if (key === 'Version') version = value;
    if (TRANSPORT_PARAMS.has(key) || key.startsWith('X-Amz-')) continue;
    if (++count > MAX_PARAMS) {
      throw errors.invalidParameterValue(`The request has more than ${MAX_PARAMS} parameters.`);
    }
    const parts = key.split('.');
    if (parts.length > MAX_DEPTH) throw errors.unknownParameter(key);
    let node = root;
    for (const part of parts) {
      if (part === '') throw errors.unknownParameter(key);
      node.children ??= new Map();
      let next = node.children.get(part);
      if (!next) {
        next = {};
        node.children.set(part, next);
      }
      node = next;
    }
    // Repeated parameter: the last value wins, as with most AWS front ends.
    node.value = value;
  }
  return { tree: root, version };
}

/**
 * The API version a request names must be one the service has: the model's, or an earlier
 * date (older clients still send those, and the wire format of these calls is unchanged).
 * Leaving Version out is tolerated.
 */
export function checkVersion(model: ServiceModel, version: string | undefined): void {
  if (version === undefined) return;
  const current = model.metadata.apiVersion;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(version);
  const valid = m !== null && !Number.isNaN(Date.parse(version)) && version <= current && version >= '2006-01-01';
  if (!valid) {
    const service = `Amazon${(model.metadata.serviceId ?? model.metadata.endpointPrefix).replace(/\s+/g, '')}`;
    throw new ApiError('NoSuchVersion', `The requested version (${version}) of service ${service} does not exist`);
  }
}

export type Flavor = 'ec2' | 'query';

const ec2WireMaps = new WeakMap<Shape, Map<string, [string, ShapeRef]>>();
const queryWireMaps = new WeakMap<Shape, Map<string, [string, ShapeRef]>>();

class Parser {
  constructor(
    private readonly model: ServiceModel,
    private readonly flavor: Flavor,
  ) {}

  private wireName(memberName: string, ref: ShapeRef): string {
    if (this.flavor === 'ec2') return ref.queryName ?? ucfirst(ref.locationName ?? memberName);
    return ref.locationName ?? memberName;
  }

  /** wire name → [member name, ref], per shape, computed once. */
  private wireMap(shape: Shape): Map<string, [string, ShapeRef]> {
    const cache = this.flavor === 'ec2' ? ec2WireMaps : queryWireMaps;
    let map = cache.get(shape);
    if (!map) {
      map = new Map();
      for (const [memberName, ref] of Object.entries(shape.members ?? {})) map.set(this.wireName(memberName, ref), [memberName, ref]);
      cache.set(shape, map);
    }
    return map;
  }

  structure(shape: Shape, node: Node, path: string): Record<string, unknown> {
    if (node.value !== undefined && !node.children) {
      throw errors.badValue(path || 'request', node.value);
    }
    const out: Record<string, unknown> = {};
    if (node.children) {
      const wires = this.wireMap(shape);
      for (const [wire, child] of node.children) {
        const member = wires.get(wire);
        if (!member) throw errors.unknownParameter(path ? `${path}.${wire}` : wire);
        out[member[0]] = this.value(member[1], child, path ? `${path}.${wire}` : wire);
      }
    }
    for (const req of shape.required ?? []) {
      if (out[req] === undefined) {
        const ref = shape.members![req]!;
        const wire = this.wireName(req, ref);
        throw errors.missingParameter(path ? `${path}.${wire}` : wire);
      }
    }
    return out;
  }

  private value(ref: ShapeRef, node: Node, path: string): unknown {
    const shape = shapeOf(this.model, ref);
    switch (shape.type) {
      case 'structure':
        return this.structure(shape, node, path);
      case 'list':
        return this.list(shape, node, path);
      case 'map':
        return this.map(shape, node, path);
      default:
        if (node.children) throw errors.unknownParameter(`${path}.${[...node.children.keys()][0]}`);
        return scalar(shape, node.value ?? '', path);
    }
  }

  private list(shape: Shape, node: Node, path: string): unknown[] {
    if (!node.children) {
      // `Name=` is how the query protocols send an empty list.
      if (node.value === '' || node.value === undefined) return [];
      throw errors.badValue(path, node.value);
    }
    let children = node.children;
    if (this.flavor === 'query' && !shape.flattened) {
      const inner = children.get(shape.member?.locationName ?? 'member');
      if (!inner || children.size !== 1) throw errors.unknownParameter(`${path}.${[...children.keys()][0]}`);
      children = inner.children ?? new Map();
    }
    const indexed: Array<[number, Node]> = [];
    for (const [key, child] of children) {
      if (!/^[1-9][0-9]{0,5}$/.test(key) || Number(key) > MAX_LIST_INDEX) {
        throw errors.unknownParameter(`${path}.${key}`);
      }
      indexed.push([Number(key), child]);
    }
    indexed.sort((a, b) => a[0] - b[0]);
    return indexed.map(([i, child]) => this.value(shape.member!, child, `${path}.${i}`));
  }

  private map(shape: Shape, node: Node, path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let entries = node.children ?? new Map<string, Node>();
    if (!shape.flattened && this.flavor === 'query') entries = entries.get('entry')?.children ?? new Map();
    const keyName = shape.key?.locationName ?? 'key';
    const valueName = shape.value?.locationName ?? 'value';
    for (const [i, entry] of entries) {
      const k = entry.children?.get(keyName)?.value;
      const v = entry.children?.get(valueName);
      if (k === undefined || !v) throw errors.missingParameter(`${path}.${i}.${keyName}`);
      out[k] = this.value(shape.value!, v, `${path}.${i}.${valueName}`);
    }
    return out;
  }
}

function scalar(shape: Shape, raw: string, path: string): unknown {
  switch (shape.type) {
    case 'string':
      if (shape.enum && !shape.enum.includes(raw)) {
        throw errors.invalidParameterValue(
          `Value (${raw}) for parameter ${path} is invalid. Valid values: ${shape.enum.join(', ')}`,
        );
      }
      return raw;
    case 'integer':
    case 'long': {
      if (!/^[-+]?\d{1,18}$/.test(raw.trim())) {
        throw errors.invalidParameterValue(`Invalid value '${raw}' for ${path}: an integer is required.`);
      }
      const n = Number(raw.trim());
      if (shape.type === 'integer' && (n > 2147483647 || n < -2147483648)) {
        throw errors.invalidParameterValue(`Value (${raw}) for parameter ${path} is out of range.`);
      }
      return n;
    }
    case 'double':
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) {
        throw errors.invalidParameterValue(`Invalid value '${raw}' for ${path}: a number is required.`);
      }
      return n;
    }
    case 'boolean': {
      const v = raw.toLowerCase();
      if (v !== 'true' && v !== 'false') {
        throw errors.invalidParameterValue(`Invalid value '${raw}' for ${path}: a boolean (true or false) is required.`);
      }
      return v === 'true';
    }
    case 'timestamp': {
      const d = /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
      if (Number.isNaN(d.getTime())) {
        throw errors.invalidParameterValue(`Invalid value '${raw}' for ${path}: a timestamp is required.`);
      }
      return d;
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      throw new ApiError('InternalError', `unsupported shape type ${shape.type as string}`, 500);
  }
}

/** Parses the request parameters into the operation's input, per the model. */
export function parseQueryInput(
  model: ServiceModel,
  flavor: Flavor,
  inputRef: ShapeRef | undefined,
  params: Iterable<[string, string]>,
): Record<string, unknown> {
  const { tree, version } = buildTree(params);
  checkVersion(model, version);
  if (!inputRef) {
    const extra = tree.children?.keys().next();
    if (extra && !extra.done) throw errors.unknownParameter(extra.value);
    return {};
  }
  return new Parser(model, flavor).structure(shapeOf(model, inputRef), tree, '');
}
