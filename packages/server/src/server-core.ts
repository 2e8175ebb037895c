/** The server state the request pipeline works with. Internal. */

import type { CodecRegistry } from '@rpcx/codecs';
import type { DeadlineQueue, Logger } from '@rpcx/core';
import type { CompressorRegistry, DecodeOptions } from '@rpcx/protocol';
import type { RequestContext } from './call-context.js';
import type { PluginContainer } from './plugin-container.js';
import type { ServiceTable } from './service-table.js';
import type {
  AuthFunction,
  ErrorTextFunction,
  ServerHandle,
  ServiceErrorHandler,
} from './types.js';

export interface ServerCore {
  readonly handle: ServerHandle;
  readonly services: ServiceTable;
  readonly codecs: CodecRegistry;
  readonly compressors: CompressorRegistry;
  readonly plugins: PluginContainer;
  readonly logger: Logger;
  readonly deadlines: DeadlineQueue<RequestContext>;
  readonly decodeOptions: DecodeOptions;
  readonly auth: AuthFunction | undefined;
  readonly errorText: ErrorTextFunction | undefined;
  readonly onServiceError: ServiceErrorHandler | undefined;
  /** True from `shutdown()` or `close()` on: new requests are refused. */
  draining: boolean;
  /** A request is over (counterpart of the server's in-flight count). */
  requestFinished(): void;
}
