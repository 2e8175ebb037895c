export { formatAddress, type Network, parseAddress, type RpcxAddress } from './address.js';
export { type DialOptions, dial } from './dial.js';
export { FramedConnection, type FramedConnectionOptions } from './framed-connection.js';
export { InProcessSocket } from './in-process-socket.js';
export { type Listener, type ListenOptions, listen } from './listen.js';
export { silentCloseHint, verifiedPeerCertificate } from './peer-certificate.js';
export { toRpcxError } from './socket-errors.js';
export { describeRemote, type TransportSocket } from './transport-socket.js';
