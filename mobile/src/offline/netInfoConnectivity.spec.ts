import type { NetInfoState } from '@react-native-community/netinfo';
import { netInfoConnectivity } from './netInfoConnectivity';

// NetInfo's native module does not exist in Node: this stands in for its event source, so what is
// tested is how the app reads NetInfo's reports.
const mockListeners: Array<(state: NetInfoState) => void> = [];
jest.mock('@react-native-community/netinfo', () => ({
  __esModule: true,
  default: { addEventListener: (listener: (state: NetInfoState) => void) => void mockListeners.push(listener) },
}));

const report = (isConnected: boolean | null, isInternetReachable: boolean | null) =>
  mockListeners.forEach((listener) => listener({ isConnected, isInternetReachable } as NetInfoState));

describe('connectivity from NetInfo', () => {
  it('goes offline when the connection or the internet is gone, and tells only on a change', () => {
    const connectivity = netInfoConnectivity();
    const heard: boolean[] = [];
    connectivity.subscribe((isOnline) => heard.push(isOnline));
    expect(connectivity.isOnline()).toBe(true);

    report(true, null); // Reachability not known yet: still tried.
    report(true, false); // On Wi-Fi behind a captive portal.
    report(false, false);
    report(true, true);

    expect(heard).toEqual([false, true]);
    expect(connectivity.isOnline()).toBe(true);
  });
});
