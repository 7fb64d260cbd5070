import type { NativeStackScreenProps } from '@react-navigation/native-stack';

/** Every screen and what it is opened with. */
export type RootStackParamList = {
  SignIn: undefined;
  Conversations: undefined;
  Conversation: { conversationId: string; title: string };
  Share: { conversationId: string; title: string };
  Workspaces: undefined;
  Settings: undefined;
};

export type ScreenProps<Name extends keyof RootStackParamList> = NativeStackScreenProps<RootStackParamList, Name>;
