/**
 * Go rpcx compresses a payload only when it is strictly larger than 1024 bytes (spec §1.7): the
 * client with its configured type, the server with the request's type.
 */
export const COMPRESS_THRESHOLD_BYTES = 1024;

/** The compress type to put in a header for a payload of `payloadLength` bytes. */
export function compressTypeFor(payloadLength: number, requested: number): number {
  return requested !== 0 && payloadLength > COMPRESS_THRESHOLD_BYTES ? requested : 0;
}
