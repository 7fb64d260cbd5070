import { NavigationContainer, createNavigationContainerRef } from '@react-navigation/native';
import { createNativeStackNavigator } from '@react-navigation/native-stack';
import { StatusBar } from 'expo-status-bar';
import { useEffect, useMemo, useState } from 'react';
import { Pressable, Text, View } from 'react-native';
import type { Session } from './src/api/types';
import { AppServicesContext, type AppServices } from './src/AppServices';
import type { RootStackParamList } from './src/navigation';
import { Outbox } from './src/offline/Outbox';
import { ConversationScreen } from './src/screens/ConversationScreen';
import { ConversationsScreen } from './src/screens/ConversationsScreen';
import { SettingsScreen } from './src/screens/SettingsScreen';
import { ShareScreen } from './src/screens/ShareScreen';
import { SignInScreen } from './src/screens/SignInScreen';
import { WorkspacesScreen } from './src/screens/WorkspacesScreen';
import { SignedInContext } from './src/SessionContext';
import { styles } from './src/ui/theme';

const Stack = createNativeStackNavigator<RootStackParamList>();
const navigationRef = createNavigationContainerRef<RootStackParamList>();

/**
 * The app: the session kept from the last launch decides between sign-in and the conversations. On a
 * phone index.ts hands it the services built from the native modules; tests build them on the real servers.
 */
export default function App({ services: appServices }: { services: AppServices }) {
  const { api } = appServices;
  const [session, setSession] = useState<Session | null | undefined>(undefined);

  useEffect(() => {
    const unsubscribe = api.onSessionChange(setSession);
    void api.restore().then(setSession, () => setSession(null));
    return unsubscribe;
  }, [api]);

  const userId = session?.user.id;
  const outbox = useMemo(
    () =>
      userId
        ? new Outbox({
            userId,
            storage: appServices.storage,
            connectivity: appServices.connectivity,
            send: (action) => api.call('POST', action.path, { body: action.body, idempotencyKey: action.key }),
          })
        : null,
    [userId, api, appServices],
  );

  useEffect(() => {
    // Whatever a previous launch left unsent goes now.
    void outbox?.retryNow();
    return () => outbox?.stop();
  }, [outbox]);

  useEffect(() => {
    if (userId && appServices.registerForPush) void appServices.registerForPush(api).catch(() => undefined);
  }, [userId, api, appServices]);

  useEffect(
    () =>
      appServices.onNotificationTap?.((conversationId) => {
        if (navigationRef.isReady()) navigationRef.navigate('Conversation', { conversationId, title: '' });
      }),
    [appServices],
  );

  if (session === undefined) return <View style={styles.screen} />;
  return (
    <AppServicesContext.Provider value={appServices}>
      <SignedInContext.Provider value={session && outbox ? { session, outbox } : null}>
        <NavigationContainer ref={navigationRef}>
          <StatusBar style="auto" />
          <Stack.Navigator>
            {session && outbox ? (
              <>
                <Stack.Screen
                  name="Conversations"
                  component={ConversationsScreen}
                  options={({ navigation }) => ({
                    headerRight: () => (
                      <View style={{ flexDirection: 'row' }}>
                        <Pressable accessibilityRole="button" onPress={() => navigation.navigate('Workspaces')}>
                          <Text style={styles.link}>Workspaces</Text>
                        </Pressable>
                        <Pressable accessibilityRole="button" onPress={() => navigation.navigate('Settings')}>
                          <Text style={styles.link}>Settings</Text>
                        </Pressable>
                      </View>
                    ),
                  })}
                />
                <Stack.Screen name="Conversation" component={ConversationScreen} />
                <Stack.Screen name="Share" component={ShareScreen} options={{ title: 'Share a link' }} />
                <Stack.Screen name="Workspaces" component={WorkspacesScreen} />
                <Stack.Screen name="Settings" component={SettingsScreen} />
              </>
            ) : (
              <Stack.Screen name="SignIn" component={SignInScreen} options={{ headerShown: false }} />
            )}
          </Stack.Navigator>
        </NavigationContainer>
      </SignedInContext.Provider>
    </AppServicesContext.Provider>
  );
}
