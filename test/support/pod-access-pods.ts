// The pods the pod-access tests (kubelet-pod-access: the routes over plain HTTP; kubectl-pod-access:
// through the API server) read logs from, exec and attach into and port-forward to.
import { IMAGE } from './harness.js';

/** An sh with its stdin open, for `attach -i`. */
const SHELL_CONTAINER = `    - name: shell
      image: ${IMAGE}
      stdin: true
      command: ["sh"]
`;

/**
 * `web`: `main` prints line-1 to line-5 (then `stderrLine` on stderr, when given) and serves
 * pf-works on port 8080; `ticker` prints tick-N every 0.2 s until TERM; with `shell`, a third
 * container for `attach -i`.
 */
export function webPod(opts: { stderrLine?: string; shell?: boolean } = {}): string {
  const stderr = opts.stderrLine ? ` echo ${opts.stderrLine} >&2;` : '';
  return `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; done;${stderr} mkdir -p /www && echo pf-works > /www/index.html && exec httpd -f -p 8080 -h /www"]
    - name: ticker
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done"]
${opts.shell ? SHELL_CONTAINER : ''}`;
}

/** `crash`: each start prints boot-N, N counted in an emptyDir across restarts, and exits 1 after 3 s
 * (for the previous instance's log, and a follow that ends with the container). */
export const CRASH_POD = `apiVersion: v1
kind: Pod
metadata:
  name: crash
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - name: data
      emptyDir: {}
  containers:
    - name: main
      image: ${IMAGE}
      volumeMounts:
        - name: data
          mountPath: /data
      command: ["sh", "-c", "n=$(cat /data/n 2>/dev/null || echo 0); echo boot-$n; echo $((n+1)) > /data/n; sleep 3; exit 1"]
`;
