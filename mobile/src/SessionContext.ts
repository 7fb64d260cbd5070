import { createContext, useContext } from 'react';
import type { Session } from './api/types';
import type { Outbox } from './offline/Outbox';

/** The signed-in person and their outbox, for the screens behind sign-in. */
export interface SignedIn {
  session: Session;
  outbox: Outbox;
}

export const SignedInContext = createContext<SignedIn | null>(null);

export function useSignedIn(): SignedIn {
  const signedIn = useContext(SignedInContext);
  if (!signedIn) throw new Error('useSignedIn: only screens behind sign-in may ask');
  return signedIn;
}
