import { ApiError } from '../api.ts';
import { h } from '../dom.ts';
import { currentPlatform, pushSupport } from './platform.ts';
import { disablePush, enablePush, PushBlockedError, registeredDevice, setPreviews } from './pushDevice.ts';

export const IOS_HOME_SCREEN_HINT =
  'On iPhone and iPad, notifications work once you add TwinMCP Collab to your Home Screen (Share → Add to Home Screen, iOS 16.4 or later).';
const UNSUPPORTED_HINT = 'This browser cannot show notifications from TwinMCP Collab.';
const BLOCKED_HINT = 'Notifications are blocked for this site in your browser settings. Allow them there, then turn this on.';

/**
 * "Notifications on this device": a switch that subscribes this browser to Web Push and registers it
 * (or unsubscribes and removes it), and whether notifications may show the message's text.
 */
export function notificationSettings(): HTMLElement {
  const toggle = h('input', { type: 'checkbox', role: 'switch', id: 'push-toggle' });
  const previews = h('input', { type: 'checkbox', id: 'push-previews' });
  const hint = h('p', { class: 'hint', role: 'status' });
  const say = (message: string) => (hint.textContent = message);

  const render = () => {
    const support = pushSupport(currentPlatform());
    const device = registeredDevice();
    toggle.checked = Boolean(device);
    previews.checked = device?.previews ?? false;
    previews.disabled = !device;
    toggle.disabled = support !== 'supported' || (!device && Notification.permission === 'denied');
    if (support === 'ios-needs-home-screen') say(IOS_HOME_SCREEN_HINT);
    else if (support === 'unsupported') say(UNSUPPORTED_HINT);
    else if (Notification.permission === 'denied') say(BLOCKED_HINT);
    else say(device ? 'New messages in your conversations, invitations and used-up share links arrive here as notifications.' : '');
  };

  /** Runs one change with the controls held still, then shows the outcome. */
  const change = async (work: () => Promise<unknown>) => {
    toggle.disabled = previews.disabled = true;
    try {
      await work();
      render();
    } catch (error) {
      render();
      say(
        error instanceof PushBlockedError
          ? BLOCKED_HINT
          : error instanceof ApiError
            ? error.message
            : 'Notifications could not be set up on this device. Try again later.',
      );
    }
  };

  toggle.addEventListener('change', () => void change(() => (toggle.checked ? enablePush(previews.checked) : disablePush())));
  previews.addEventListener('change', () => void change(() => setPreviews(previews.checked)));
  render();

  return h(
    'section',
    { class: 'notification-settings', 'aria-labelledby': 'notification-settings-title' },
    h('h2', { id: 'notification-settings-title' }, 'Notifications'),
    h('label', { class: 'check', for: 'push-toggle' }, toggle, 'Notifications on this device'),
    h('label', { class: 'check', for: 'push-previews' }, previews, 'Show message text in notifications'),
    hint,
  );
}
