// Runs synchronous clean-ups (restore policies.json, kill our Thunderbirds) when this process ends, by exit or signal.

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let installed = false;

function runAll(): void {
  // Latest first: a Thunderbird is killed before the policies it read are restored.
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Keep going: every other clean-up must still run.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  const signals: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
  for (const [signal, number] of Object.entries(signals)) {
    process.once(signal, () => {
      runAll();
      process.exit(128 + number);
    });
  }
}

/** Registers `cleanup`; returns the function that unregisters it (call it after a normal clean-up). */
export function onProcessEnd(cleanup: Cleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
