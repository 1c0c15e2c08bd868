// Source of relist triggers: the CRI container event stream (GetContainerEvents). Runtimes that
// answer Unimplemented (containerd 1.6) leave the periodic relist as the only observer.
import { Observable } from 'rxjs';
import type { CriRuntime } from '../runtime/cri/types.js';

export function runtimeContainerEvents(cri: CriRuntime, onFallback: (why: string) => void): Observable<void> {
  return new Observable<void>((subscriber) => {
    const sub = cri.containerEvents().subscribe({
      next: () => subscriber.next(),
      error: (err) => {
        onFallback(
          err.code === 'UNIMPLEMENTED'
            ? 'the runtime has no container event stream (GetContainerEvents unimplemented): relisting only'
            : `the container event stream failed (${err.message}): relisting only`,
        );
        subscriber.complete();
      },
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
}
