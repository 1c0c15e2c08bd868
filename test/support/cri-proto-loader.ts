// The CRI proto as grpc-js servers in the tests take it: through @grpc/proto-loader, an encoder
// and decoder independent of the agent's own (src/runtime/grpc/proto-method.ts), with the same
// conversion options, so what a test server reads and writes matches what the agent sends and expects.
import * as protoLoader from '@grpc/proto-loader';
import { CRI_DECODE_OPTIONS, defaultProtoPath } from '../../src/runtime/cri/proto-methods.js';

export function criPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(defaultProtoPath(), { keepCase: false, ...CRI_DECODE_OPTIONS });
}
