import NetInfo, { type NetInfoState } from '@react-native-community/netinfo';
import type { Connectivity } from './Connectivity';

/** Online unless NetInfo says otherwise: an unknown reachability (null) is tried, not assumed lost. */
const isReachable = (state: NetInfoState) => state.isConnected !== false && state.isInternetReachable !== false;

/** Connectivity from @react-native-community/netinfo; starts online until the first report. */
export function netInfoConnectivity(): Connectivity {
  let online = true;
  const listeners = new Set<(isOnline: boolean) => void>();
  NetInfo.addEventListener((state) => {
    const next = isReachable(state);
    if (next === online) return;
    online = next;
    listeners.forEach((listener) => listener(online));
  });
  return {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
