import { useState } from 'react';
import { Text, View } from 'react-native';
import { ApiError } from '../api/ApiError';
import { useAppServices } from '../AppServices';
import { useSignedIn } from '../SessionContext';
import { Button } from '../ui/Button';
import { styles } from '../ui/theme';

/** Who is signed in; sign out here, or everywhere (every device's session revoked). */
export function SettingsScreen() {
  const { api } = useAppServices();
  const { session, outbox } = useSignedIn();
  const [error, setError] = useState<string | null>(null);

  const signOut = async (everywhere: boolean) => {
    setError(null);
    try {
      if (everywhere) await api.signOutEverywhere();
      else await api.signOut();
      // Signing out on purpose wipes what this phone kept for the person, unsent actions included.
      await outbox.wipe();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Could not sign out. Check your connection.');
    }
  };

  return (
    <View style={styles.screen}>
      <Text style={styles.title}>{session.user.name}</Text>
      <Text style={styles.muted}>{session.user.email}</Text>
      {error && <Text style={styles.error}>{error}</Text>}
      <Button title="Sign out" onPress={() => void signOut(false)} />
      <Button title="Sign out everywhere" onPress={() => void signOut(true)} />
    </View>
  );
}
