// The layering of src, checked by `npm run lint` (part of `npm test`). See docs/architecture.md.
//   core      pure: no I/O, no RxJS, no effects, streams or adapters
//   core/model  the core's data types (state, events, actions, observations): imports only itself
//   cri-api   the CRI's messages and the runtime port: imports nothing of ours
//   streams   sources: may use core, cri-api and the runtime adapters, never an effect
//   effects   I/O operators: may use core, cri-api and the runtime adapters, never a stream
//   runtime   adapters: no core logic beyond types, never effects, streams or the wiring
/** Paths are matched from the folder depcruise runs in (the repo root, or a test's fixture). */
const LAYER = (name) => `(^|/)src/${name}/`;
/** A package, whether resolved into node_modules or not. */
const npm = (name) => `(^|(^|/)node_modules/)${name}(/|$)`;
// node:net is left out: the validator uses its pure isIP.
const IO_MODULES = '^(node:)?(fs|fs/promises|child_process|http|https|http2|dgram|dns|tls|worker_threads|os|process)$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: give the shared type an owner both sides can import.',
      from: { path: '(^|/)src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'The core is pure: it may not import effects, streams, adapters, the wiring or the CLI.',
      from: { path: LAYER('core') },
      to: { path: ['(^|/)src/(effects|streams|runtime|cli)/', '(^|/)src/(agent|main|loop)\\.ts$'] },
    },
    {
      name: 'core-has-no-io',
      severity: 'error',
      comment: 'The core is pure: no file, network or process I/O, no RxJS, no gRPC, no logger.',
      from: { path: LAYER('core') },
      to: { path: [IO_MODULES, npm('rxjs'), npm('@grpc/[^/]+'), npm('chokidar'), npm('pino')] },
    },
    {
      name: 'core-uses-kubernetes-types-only',
      severity: 'error',
      comment:
        'The core takes the pod model from @kubernetes/client-node as types only (the client is heavy and does I/O).',
      from: { path: LAYER('core') },
      to: { path: npm('@kubernetes/client-node'), dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'kubernetes-client-loads-lazily',
      severity: 'error',
      comment:
        "The Kubernetes client is most of the agent's memory and only needed with --kubeconfig: outside src/runtime/kube only its types are imported, and the folder's client modules only through import() (src/main.ts). types.ts and observations.ts are the folder's light face: client types only.",
      // The core has its own, stricter rule (core-uses-kubernetes-types-only).
      from: { path: '(^|/)src/', pathNot: ['(^|/)src/runtime/kube/(?!types\\.ts$|observations\\.ts$)', LAYER('core')] },
      to: {
        path: [npm('@kubernetes/client-node'), '(^|/)src/runtime/kube/'],
        pathNot: '(^|/)src/runtime/kube/(types|observations)\\.ts$',
        dependencyTypesNot: ['type-only', 'dynamic-import'],
      },
    },
    {
      name: 'kubelet-api-loads-lazily',
      severity: 'error',
      comment:
        "The kubelet API's server, certificates and pod access load only when the port is served (src/main.ts, through import()): a standalone node never pays their memory. settings.ts and routes.ts are its light face.",
      from: { path: '(^|/)src/', pathNot: '(^|/)src/(serving/kubelet-api\\.ts$|runtime/kubelet-api/)' },
      to: {
        path: '(^|/)src/(serving/kubelet-api\\.ts$|runtime/kubelet-api/)',
        pathNot: '(^|/)src/runtime/kubelet-api/(settings|routes)\\.ts$',
        dependencyTypesNot: ['type-only', 'dynamic-import'],
      },
    },
    {
      name: 'grpc-js-loads-lazily',
      severity: 'error',
      comment:
        "@grpc/grpc-js costs the idle agent ~2 MiB of heap and carries nothing by default (our lean channel, src/runtime/grpc, makes the unary calls and the streams): only src/runtime/cri/grpc-js-transport.ts imports it, and that module is reached only through import() (src/runtime/cri/client.ts, when unaryTransport is 'grpc-js'). So no static import chain from src/main.ts reaches grpc-js. Types may be imported anywhere.",
      from: { path: '(^|/)src/', pathNot: '(^|/)src/runtime/cri/grpc-js-transport\\.ts$' },
      to: {
        path: [npm('@grpc/grpc-js'), '(^|/)src/runtime/cri/grpc-js-transport\\.ts$'],
        dependencyTypesNot: ['type-only', 'dynamic-import'],
      },
    },
    {
      name: 'yaml-library-loads-lazily',
      severity: 'error',
      comment:
        "The `yaml` library reads only manifests js-yaml leaves to it and names problems' lines: src/core/manifest/parse.ts loads it at its first use, so a node with plain manifests never pays its memory.",
      from: { path: '(^|/)src/' },
      to: { path: npm('yaml'), dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-model-is-a-leaf',
      severity: 'error',
      comment:
        "The core's data types have one owner each in src/core/model, which imports nothing of ours outside itself: logic depends on the types, never the reverse.",
      from: { path: '(^|/)src/core/model/' },
      to: { path: '(^|/)src/', pathNot: '(^|/)src/core/model/' },
    },
    {
      name: 'cri-api-is-a-leaf',
      severity: 'error',
      comment: 'The CRI API module is the contract between core, effects and adapters: it imports nothing of ours.',
      from: { path: LAYER('cri-api') },
      to: { path: '(^|/)src/', pathNot: LAYER('cri-api') },
    },
    {
      name: 'streams-do-not-use-effects',
      severity: 'error',
      comment: 'A source observes; what it must share with an effect is wired in agent.ts.',
      from: { path: LAYER('streams') },
      to: { path: ['(^|/)src/effects/', '(^|/)src/cli/', '(^|/)src/(agent|main)\\.ts$'] },
    },
    {
      name: 'effects-do-not-use-streams',
      severity: 'error',
      comment: 'An effect acts; what it must share with a source is wired in agent.ts.',
      from: { path: LAYER('effects') },
      to: { path: ['(^|/)src/streams/', '(^|/)src/cli/', '(^|/)src/(agent|main)\\.ts$'] },
    },
    {
      name: 'adapters-stay-adapters',
      severity: 'error',
      comment:
        'Adapters (src/runtime) talk to the outside world; they do not reach up into effects, streams, the CLI or the wiring.',
      from: { path: LAYER('runtime') },
      to: { path: ['(^|/)src/(effects|streams|cli)/', '(^|/)src/(agent|main|loop)\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
