/**
 * docs/benchmarks.md is written by several benchmarks: bench/run.ts writes the head (the API
 * workload), and every other benchmark owns one section between `<!-- name:start -->` and
 * `<!-- name:end -->`, which it replaces in place (or appends) without touching the others.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_DOC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'benchmarks.md');

const SECTION = /<!-- ([a-z0-9-]+):start -->[\s\S]*?<!-- \1:end -->/g;

function read(): string {
  return existsSync(BENCHMARKS_DOC) ? readFileSync(BENCHMARKS_DOC, 'utf8') : '# Benchmarks\n';
}

/** Replaces (or appends) the section `name` of docs/benchmarks.md with `body`; answers the file's path. */
export function writeSection(name: string, body: string): string {
  const block = `<!-- ${name}:start -->\n${body.trim()}\n<!-- ${name}:end -->`;
  const doc = read();
  const re = new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->`);
  writeFileSync(BENCHMARKS_DOC, re.test(doc) ? doc.replace(re, () => block) : `${doc.trimEnd()}\n\n${block}\n`);
  return BENCHMARKS_DOC;
}

/** Rewrites the head of docs/benchmarks.md, keeping every benchmark's own section after it. */
export function writeHead(head: string): string {
  const sections = read().match(SECTION) ?? [];
  writeFileSync(BENCHMARKS_DOC, [head.trimEnd(), ...sections].join('\n\n') + '\n');
  return BENCHMARKS_DOC;
}
