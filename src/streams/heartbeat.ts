// The loop's heartbeat: a Heartbeat event every period. Its step coming out of the loop shows the
// loop is turning; the health endpoint and the systemd watchdog watch for it (src/agent.ts).
import { interval, map, type Observable, type SchedulerLike } from 'rxjs';
import type { EventBody } from '../core/model/events.js';

export function heartbeat(periodMs: number, scheduler: SchedulerLike): Observable<EventBody> {
  return interval(periodMs, scheduler).pipe(map((): EventBody => ({ type: 'Heartbeat' })));
}
