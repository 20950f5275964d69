import { NativeConnection } from '@temporalio/worker';
import { ConfigError } from '../lib/config';
import { temporalConnectError, temporalConnectionOptions, type TemporalConfig } from '../lib/temporal';

/**
 * The workers' connection to Temporal (the Rust core's NativeConnection), from the same settings as
 * the client's (lib/temporal.ts): address, TLS / mTLS, server name, API key.
 */
export async function connectWorkerToTemporal(config: TemporalConfig): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(temporalConnectionOptions(config));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw await temporalConnectError(config, err);
  }
}
