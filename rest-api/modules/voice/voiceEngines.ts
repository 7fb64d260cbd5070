import type { Services } from '@shared/services.ts';
import { VoiceEngines } from '@shared/voice/VoiceEngines.ts';

const enginesByServices = new WeakMap<Services, VoiceEngines>();

/**
 * The voice engines of a set of services: built from its configuration on first use and closed with it.
 * The routes, the job queue and the stream all take them from here, which is also where a test puts
 * engines of its own (a missing program, a loopback stand-in for a cloud) with `useVoiceEngines`.
 */
export function voiceEnginesOf(services: Services): VoiceEngines {
  let engines = enginesByServices.get(services);
  if (!engines) {
    engines = new VoiceEngines(services.config, services.log.child({ module: 'voice' }));
    useVoiceEngines(services, engines);
  }
  return engines;
}

/** Makes `engines` the ones these services use from now on; they are closed with the services. */
export function useVoiceEngines(services: Services, engines: VoiceEngines): void {
  enginesByServices.set(services, engines);
  services.beforeClose(() => engines.close());
}
