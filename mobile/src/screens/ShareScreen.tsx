import { useEffect, useState } from 'react';
import { Text, View } from 'react-native';
import QRCode from 'react-native-qrcode-svg';
import { ApiError } from '../api/ApiError';
import type { CreatedShare } from '../api/types';
import { useAppServices } from '../AppServices';
import type { ScreenProps } from '../navigation';
import { Button } from '../ui/Button';
import { styles } from '../ui/theme';

/** A read-only link to the conversation: shown as a QR code, handed out through the system share sheet. */
export function ShareScreen({ route }: ScreenProps<'Share'>) {
  const { conversationId, title } = route.params;
  const { api, newKey, shareSheet } = useAppServices();
  const [share, setShare] = useState<CreatedShare | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let isCurrent = true;
    api.createShare(conversationId, newKey()).then(
      (created) => isCurrent && setShare(created),
      (caught: unknown) => isCurrent && setError(caught instanceof ApiError ? caught.message : 'Could not create a link.'),
    );
    return () => void (isCurrent = false);
  }, [api, conversationId, newKey]);

  return (
    <View style={[styles.screen, { alignItems: 'center' }]}>
      <Text style={styles.title}>{title}</Text>
      {error && <Text style={styles.error}>{error}</Text>}
      {!share && !error && <Text style={styles.muted}>Creating a link…</Text>}
      {share && (
        <>
          <View accessibilityLabel="QR code of the link">
            <QRCode value={share.url} size={220} />
          </View>
          <Text selectable style={styles.muted}>
            {share.url}
          </Text>
          <Text style={styles.muted}>Anyone with this link can read the conversation.</Text>
          <Button title="Share link" onPress={() => void shareSheet({ message: share.url, url: share.url, title })} />
        </>
      )}
    </View>
  );
}
