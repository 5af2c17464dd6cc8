/**
 * Loads AWS's official machine-readable service models (the JSON that ships in the
 * `aws-sdk` npm package) and exposes the bits the protocol layer needs.
 */
import { createRequire } from 'node:module';

export interface ShapeRef {
  shape: string;
  locationName?: string;
  queryName?: string;
  location?: string;
  flattened?: boolean;
  xmlAttribute?: boolean;
  timestampFormat?: string;
}

export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'double' | 'float' | 'blob';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  enum?: string[];
  flattened?: boolean;
  locationName?: string;
  timestampFormat?: string;
  min?: number;
  max?: number;
  exception?: boolean;
  payload?: string;
}

export interface Operation {
  name: string;
  http?: { method: string; requestUri: string };
  input?: ShapeRef;
  output?: ShapeRef & { resultWrapper?: string };
  errors?: ShapeRef[];
}

export interface ServiceModel {
  metadata: {
    apiVersion: string;
    protocol: 'ec2' | 'query' | 'json' | 'rest-json' | 'rest-xml';
    endpointPrefix: string;
    xmlNamespace?: string;
    jsonVersion?: string;
    targetPrefix?: string;
    serviceId?: string;
    signingName?: string;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const require = createRequire(import.meta.url);
const cache = new Map<string, ServiceModel>();

const REF_FIELDS = new Set(['shape', 'locationName', 'queryName', 'location', 'xmlAttribute', 'resultWrapper']);

/**
 * The minified models define many shapes inline (`{"type":"list","member":{...}}`, or `{}`
 * for a plain string). Give every inline shape a name so that every reference is
 * `{ shape, locationName?, queryName? }`.
 */
function normalize(model: ServiceModel): ServiceModel {
  let counter = 0;
  const fixRef = (ref: Record<string, unknown>): void => {
    if (typeof ref.shape === 'string') return;
    const shape: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ref)) {
      if (!REF_FIELDS.has(k)) {
        shape[k] = v;
        delete ref[k];
      }
    }
    shape.type ??= 'string';
    const name = `__inline${++counter}`;
    model.shapes[name] = shape as unknown as Shape;
    ref.shape = name;
    fixShape(shape as unknown as Shape);
  };
  const fixShape = (shape: Shape): void => {
    for (const m of Object.values(shape.members ?? {})) fixRef(m as unknown as Record<string, unknown>);
    for (const r of [shape.member, shape.key, shape.value]) if (r) fixRef(r as unknown as Record<string, unknown>);
  };
  for (const shape of Object.values({ ...model.shapes })) fixShape(shape);
  for (const [name, op] of Object.entries(model.operations)) {
    op.name = name;
    if (op.input) fixRef(op.input as unknown as Record<string, unknown>);
    if (op.output) fixRef(op.output as unknown as Record<string, unknown>);
  }
  return model;
}

/** Loads e.g. `ec2-2016-11-15` from the aws-sdk package's apis folder. */
export function loadModel(name: string): ServiceModel {
  let model = cache.get(name);
  if (!model) {
    const raw = require(`aws-sdk/apis/${name}.min.json`) as ServiceModel;
    model = normalize(structuredClone(raw));
    cache.set(name, model);
  }
  return model;
}

export function shapeOf(model: ServiceModel, ref: ShapeRef): Shape {
  const shape = model.shapes[ref.shape];
  if (!shape) throw new Error(`model has no shape ${ref.shape}`);
  return shape;
}

export function ucfirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
