/**
 * Who is calling, and which service and region they addressed: read from the SigV4
 * credential scope (Authorization header or presigned query), as AWS does.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface Caller {
  accessKeyId: string;
  account: string;
  /** From the credential scope; undefined when the request is unsigned. */
  region?: string;
  /** Signing name from the credential scope ("ec2", "sts", "logs", ...). */
  service?: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

export function identifyCaller(headers: IncomingHttpHeaders, query: URLSearchParams, defaultAccount: string): Caller {
  let accessKeyId = '';
  let region: string | undefined;
  let service: string | undefined;
  const auth = headers.authorization;
  const m = (typeof auth === 'string' && CREDENTIAL.exec(auth)) || null;
  if (m) {
    [, accessKeyId, , region, service] = m as unknown as [string, string, string, string, string];
  } else {
    const cred = query.get('X-Amz-Credential');
    const parts = cred?.split('/');
    if (parts && parts.length === 5) [accessKeyId, , region, service] = parts as [string, string, string, string];
  }
  const account = /^\d{12}$/.test(accessKeyId) ? accessKeyId : defaultAccount;
  return { accessKeyId: accessKeyId || 'AKIAIOSFODNN7EXAMPLE', account, region, service };
}
