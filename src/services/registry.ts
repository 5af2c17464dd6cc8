/**
 * Every service provider the endpoint serves.
 */
import type { ServiceProvider } from './context.js';
import { directConnectProvider } from './directconnect/index.js';
import { ec2Provider } from './ec2/index.js';
import { logsProvider } from './logs/index.js';
import { monitoringProvider } from './monitoring/index.js';
import { s3Provider } from './s3/index.js';
import { stsProvider } from './sts/index.js';

export function allProviders(): ServiceProvider[] {
  return [ec2Provider(), stsProvider(), directConnectProvider(), logsProvider(), monitoringProvider(), s3Provider()];
}
