/**
 * The AWS JSON 1.0/1.1 protocol (Direct Connect, CloudWatch Logs): `X-Amz-Target:
 * Prefix.Operation`, a JSON body whose keys are the model's member names, JSON out.
 * Values are checked against the model like the query protocols do.
 */
import { ApiError } from './errors.js';
import type { ServiceModel, Shape, ShapeRef } from './model.js';

const MAX_DEPTH = 40;

/** Code used for a body that does not fit the model (wrong type, missing member). */
export interface JsonErrors {
  serialization: (message: string) => ApiError;
  validation: (message: string) => ApiError;
}

export const defaultJsonErrors: JsonErrors = {
  serialization: (m) => new ApiError('SerializationException', m),
  validation: (m) => new ApiError('ValidationException', m),
};

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

class JsonReader {
  constructor(
    private readonly model: ServiceModel,
    private readonly errs: JsonErrors,
  ) {}

  value(ref: ShapeRef, v: unknown, path: string, depth: number): unknown {
    if (depth > MAX_DEPTH) throw this.errs.serialization('The request is nested too deeply.');
    const shape = this.model.shapes[ref.shape]!;
    if (v === null) return undefined;
    switch (shape.type) {
      case 'structure': {
        if (typeof v !== 'object' || Array.isArray(v)) throw this.wrong(path, 'object', v);
        return this.structure(shape, v as Record<string, unknown>, path, depth);
      }
      case 'list': {
        if (!Array.isArray(v)) throw this.wrong(path, 'array', v);
        return v.map((item, i) => this.value(shape.member!, item, `${path}[${i}]`, depth + 1));
      }
      case 'map': {
        if (typeof v !== 'object' || Array.isArray(v)) throw this.wrong(path, 'object', v);
        const out: Record<string, unknown> = {};
        for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
          out[k] = this.value(shape.value!, item, `${path}.${k}`, depth + 1);
        }
        return out;
      }
      case 'string':
        if (typeof v !== 'string') throw this.wrong(path, 'string', v);
        if (shape.enum && !shape.enum.includes(v)) {
          throw this.errs.validation(`Value '${v}' at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
        }
        if (shape.min !== undefined && v.length < shape.min) {
          throw this.errs.validation(`Value at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${shape.min}`);
        }
        if (shape.max !== undefined && v.length > shape.max) {
          throw this.errs.validation(`Value at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${shape.max}`);
        }
        return v;
      case 'integer':
      case 'long':
        if (typeof v !== 'number' || !Number.isInteger(v)) throw this.wrong(path, 'integer', v);
        if (shape.min !== undefined && v < shape.min) {
          throw this.errs.validation(`Value '${v}' at '${path}' failed to satisfy constraint: Member must have value greater than or equal to ${shape.min}`);
        }
        if (shape.max !== undefined && v > shape.max) {
          throw this.errs.validation(`Value '${v}' at '${path}' failed to satisfy constraint: Member must have value less than or equal to ${shape.max}`);
        }
        return v;
      case 'double':
      case 'float':
        if (typeof v !== 'number') throw this.wrong(path, 'number', v);
        return v;
      case 'boolean':
        if (typeof v !== 'boolean') throw this.wrong(path, 'boolean', v);
        return v;
      case 'timestamp': {
        const d = typeof v === 'number' ? new Date(v * 1000) : typeof v === 'string' ? new Date(v) : undefined;
        if (!d || Number.isNaN(d.getTime())) throw this.wrong(path, 'timestamp', v);
        return d;
      }
      case 'blob':
        if (typeof v !== 'string') throw this.wrong(path, 'base64 string', v);
        return Buffer.from(v, 'base64');
      default:
        return v;
    }
  }

  structure(shape: Shape, v: Record<string, unknown>, path: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const wire = ref.locationName ?? name;
      if (Object.hasOwn(v, wire)) {
        const parsed = this.value(ref, v[wire], path ? `${path}.${wire}` : wire, depth + 1);
        if (parsed !== undefined) out[name] = parsed;
      }
    }
    for (const req of shape.required ?? []) {
      if (out[req] === undefined) {
        throw this.errs.validation(`1 validation error detected: Value null at '${path ? `${path}.` : ''}${req}' failed to satisfy constraint: Member must not be null`);
      }
    }
    return out;
  }

  private wrong(path: string, expected: string, v: unknown): ApiError {
    return this.errs.serialization(`Expected ${expected} for '${path}', got ${typeName(v)}.`);
  }
}

export function parseJsonInput(
  model: ServiceModel,
  inputRef: ShapeRef | undefined,
  body: string,
  errs: JsonErrors = defaultJsonErrors,
): Record<string, unknown> {
  let doc: unknown = {};
  if (body.trim()) {
    try {
      doc = JSON.parse(body);
    } catch {
      throw errs.serialization('The request body is not valid JSON.');
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw errs.serialization('The request body must be a JSON object.');
  if (!inputRef) return {};
  return new JsonReader(model, errs).structure(model.shapes[inputRef.shape]!, doc as Record<string, unknown>, '', 0);
}

function writeValue(model: ServiceModel, ref: ShapeRef, v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  const shape = model.shapes[ref.shape]!;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, m] of Object.entries(shape.members ?? {})) {
        const w = writeValue(model, m, (v as Record<string, unknown>)[name]);
        if (w !== undefined) out[m.locationName ?? name] = w;
      }
      return out;
    }
    case 'list':
      return (v as unknown[]).map((i) => writeValue(model, shape.member!, i));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, i] of Object.entries(v as Record<string, unknown>)) out[k] = writeValue(model, shape.value!, i);
      return out;
    }
    case 'timestamp': {
      const d = v instanceof Date ? v : new Date(v as string | number);
      return d.getTime() / 1000;
    }
    case 'blob':
      return Buffer.isBuffer(v) ? v.toString('base64') : v;
    default:
      return v;
  }
}

export function renderJsonOutput(model: ServiceModel, outputRef: ShapeRef | undefined, output: Record<string, unknown>): string {
  if (!outputRef) return '{}';
  return JSON.stringify(writeValue(model, outputRef, output) ?? {});
}

export function renderJsonError(code: string, message: string): string {
  return JSON.stringify({ __type: code, message });
}
