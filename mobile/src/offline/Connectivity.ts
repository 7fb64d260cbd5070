/**
 * Whether the phone can reach the network, and when that changes. On a phone it is NetInfo
 * (netInfoConnectivity.ts); tests use manualConnectivity and switch it themselves, since NetInfo's
 * native module does not exist in Node.
 */
export interface Connectivity {
  isOnline(): boolean;
  /** Calls `listener` on every change; returns the unsubscribe. */
  subscribe(listener: (isOnline: boolean) => void): () => void;
}

/** A switch the tests flip: "go offline", "come back". */
export interface ManualConnectivity extends Connectivity {
  set(isOnline: boolean): void;
}

export function manualConnectivity(initial = true): ManualConnectivity {
  let online = initial;
  const listeners = new Set<(isOnline: boolean) => void>();
  return {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      if (next === online) return;
      online = next;
      listeners.forEach((listener) => listener(online));
    },
  };
}
