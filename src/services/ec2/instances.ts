/**
 * instances.
 */
import type { Handler } from '../context.js';

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {};
