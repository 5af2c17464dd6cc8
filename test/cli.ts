/**
 * Running the AWS CLI (Debian's `awscli` package) against a test server: each command gets a
 * fresh, empty home directory and only the environment a user would set, so what it prints is
 * exactly what a user sees.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tempDir } from './helpers.js';

export const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CliOptions {
  region?: string;
  /** A 12-digit access key makes the request that account's. */
  accessKey?: string;
}

export interface Cli {
  /** Runs `aws <args> --endpoint-url … --output json` and reports how it ended. */
  aws(args: string[], opts?: CliOptions): Promise<CliResult>;
  /** Runs a command that must succeed; returns its parsed JSON output. */
  ok(args: string[], opts?: CliOptions): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Runs a command that must fail with the AWS error `code`; returns its stderr. */
  fails(args: string[], code: string, opts?: CliOptions): Promise<string>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The CLI pointed at the endpoint `endpoint()` returns when a command runs. */
export function awsCli(endpoint: () => string): Cli {
  const home = tempDir('vpcsim-cli-home-');

  function aws(args: string[], opts: CliOptions = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        AWS,
        [...args, '--endpoint-url', endpoint(), '--output', 'json'],
        {
          env: {
            PATH: process.env.PATH,
            HOME: home,
            AWS_ACCESS_KEY_ID: opts.accessKey ?? 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            AWS_DEFAULT_REGION: opts.region ?? 'us-east-1',
            AWS_PAGER: '',
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_MAX_ATTEMPTS: '1',
          },
          timeout: 60_000,
        },
        (err, stdout, stderr) => {
          const code = err ? ((err as { code?: number }).code ?? 1) : 0;
          let json: unknown;
          try {
            json = stdout.trim() ? JSON.parse(stdout) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr, json });
        },
      );
    });
  }

  async function ok(args: string[], opts?: CliOptions) {
    const r = await aws(args, opts);
    assert.equal(r.code, 0, `aws ${args.join(' ')} failed:\n${r.stderr}`);
    return r.json;
  }

  async function fails(args: string[], code: string, opts?: CliOptions) {
    const r = await aws(args, opts);
    assert.notEqual(r.code, 0, `aws ${args.join(' ')} should have failed`);
    assert.match(r.stderr, new RegExp(`\\(${escapeRegExp(code)}\\)`), r.stderr);
    return r.stderr;
  }

  return { aws, ok, fails };
}
