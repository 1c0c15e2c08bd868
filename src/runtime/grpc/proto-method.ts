// A gRPC method of one of our .proto files, loaded at run time by protobufjs: its path and its
// message (de)serialisers, which every carrier of calls takes. protobufjs directly, not
// @grpc/proto-loader: the loader also builds a file descriptor of every message type for grpc-js's
// reflection, heap that nothing here reads (docs/architecture.md).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** A method's path (`/package.Service/Method`) and its request encoder and response decoder. */
export interface ProtoMethod {
  readonly path: string;
  requestSerialize(request: object): Buffer;
  responseDeserialize(message: Buffer): object;
}

/** How a decoded message becomes a plain object (protobufjs's conversion options). */
export interface DecodeOptions {
  /** 64-bit integers as decimal strings (exact) or as numbers. */
  readonly longs: StringConstructor | NumberConstructor;
  /** Enums by name (String) or by number (left out). */
  readonly enums?: StringConstructor;
  /** Fields at their default in the object too; left out when false. */
  readonly defaults: boolean;
  /** The name of the set member of each oneof as a property of its own. */
  readonly oneofs?: boolean;
}

/**
 * Our protos ship as source next to src/ (neither tsc nor the bundler copies them), so find one
 * from the package root: the first directory above `fromUrl`'s module that holds a package.json.
 */
export function shippedProtoPath(fromUrl: string, relative: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, relative);
      if (existsSync(candidate)) return candidate;
      throw new Error(`proto not found at ${candidate} (package root ${dir})`);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(fromUrl)}: cannot locate ${relative}`);
    dir = parent;
  }
}

/** A .proto file and its imports (google/protobuf/* from protobufjs's own copies), field names in camelCase. */
export function loadProto(protoPath: string): protobuf.Root {
  const root = new protobuf.Root().loadSync(protoPath, { keepCase: false });
  root.resolveAll();
  return root;
}

/** `service` fully qualified (`runtime.v1.RuntimeService`); throws naming the file if it has no such method. */
export function protoMethod(root: protobuf.Root, service: string, name: string, decode: DecodeOptions): ProtoMethod {
  const found = root.lookup(service);
  if (!(found instanceof protobuf.Service)) throw new Error(`${root.files[0]}: no service ${service}`);
  const method = found.methods[name];
  if (!method) throw new Error(`${root.files[0]}: no method ${service}.${name}`);
  method.resolve();
  const request = method.resolvedRequestType!;
  const response = method.resolvedResponseType!;
  return {
    path: `/${service}/${name}`,
    requestSerialize: (value) => request.encode(request.fromObject(value)).finish() as Buffer,
    responseDeserialize: (message) => response.toObject(response.decode(message), decode),
  };
}
