// A resident server holds what one command built (a 1,000-host graph, its JSON) until V8 gets
// round to collecting it, and V8 gives memory back to the system only after a full collection.
// So once the server is idle, it asks for one: resident memory follows what is kept, not the
// largest command so far. `gc` is V8's own, exposed at run time (the flag only adds the global).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined;

function fullGc(): void {
  if (gc === undefined) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}

/** Calls for a full collection `delayMs` after the last `busy()` ends, unless another starts. */
export function idleCollector(delayMs = 250): { busy(): void; idle(): void; stop(): void } {
  let active = 0;
  let timer: NodeJS.Timeout | undefined;
  const cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    busy() {
      active++;
      cancel();
    },
    idle() {
      active = Math.max(0, active - 1);
      if (active > 0) return;
      cancel();
      timer = setTimeout(() => {
        timer = undefined;
        if (active === 0) fullGc();
      }, delayMs);
      timer.unref();
    },
    stop: cancel,
  };
}
