import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { operationsDoc } from '../scripts/operations-doc.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

it('docs/operations.md lists exactly the operations the code serves (run npm run docs:operations)', () => {
  assert.equal(readFileSync(join(root, 'docs', 'operations.md'), 'utf8'), operationsDoc());
});
