/**
 * Builds docs/operations.md from the providers themselves: every operation vpcsim serves,
 * per service, out of what AWS's model defines.
 */
import { allProviders } from '../src/services/registry.js';

export function operationsDoc(): string {
  const lines: string[] = [
    '# Supported operations',
    '',
    'Generated from the code by `npm run docs:operations`; a test fails when this file is out of date.',
    'Every other operation of these services answers `UnsupportedOperation` (HTTP 400) naming the operation;',
    'an action no AWS model knows answers `InvalidAction`.',
    '',
  ];
  for (const p of allProviders()) {
    const implemented = Object.keys(p.handlers).sort();
    const total = Object.keys(p.model.operations).length;
    const title = p.model.metadata.serviceId ?? p.name;
    lines.push(`## ${title} (\`${p.name}\`, API ${p.model.metadata.apiVersion})`, '');
    lines.push(`${implemented.length} of the model's ${total} operations.`, '');
    for (const op of implemented) lines.push(`- ${op}`);
    lines.push('');
  }
  return lines.join('\n');
}
